// Key ranges of one bucket's listing: a bucket listed by several listers at
// once (issue 20). A range holds the keys after `start` up to and including
// `end`; "" as start is before the bucket's first key, "" as end after its
// last. Keys compare byte for byte: UTF-8 order, the order S3 lists in.
//
//   KeyInRange("b", "a", "c")  == true      KeyInRange("a", "a", "c") == false
//   KeyBetween("key-000", "key-999")        == "key-4"
//   KeyBetween("a", std::nullopt)           == "p"   (no upper bound: ASCII first)
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace s3m {

bool KeyInRange(std::string_view key, std::string_view start, std::string_view end);

// A listing page whose last key is `last_key` has reached the end of range
// `end` ("" never is: that range ends with the listing). A key version
// listing may continue `end`'s versions on the next page, so it reaches the
// end only past it.
bool ListingReachedEnd(std::string_view last_key, std::string_view end, bool version_listing);

// A key strictly between `lo` and `hi` (nullopt: no upper bound), in the
// middle of the first character where they differ, leaning to ASCII. Every
// character of it is below U+D800, so that a server ordering keys by UTF-16
// code units (s3rver) orders it against any key exactly as S3 does by bytes.
// nullopt when there is none: `lo` and `hi` adjacent, their common part
// holding a character at or above U+D800, or text that is not UTF-8.
std::optional<std::string> KeyBetween(std::string_view lo, std::optional<std::string_view> hi);

}  // namespace s3m
