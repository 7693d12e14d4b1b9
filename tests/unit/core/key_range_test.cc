#include "core/key_range.h"

#include <gtest/gtest.h>

namespace s3m {
namespace {

TEST(KeyRangeTest, KeysAfterStartUpToAndIncludingEnd) {
  struct Case {
    const char* key;
    const char* start;
    const char* end;
    bool in;
  } cases[] = {
      {"a", "", "", true},     {"b", "a", "c", true},   {"a", "a", "c", false},
      {"c", "a", "c", true},   {"c0", "a", "c", false}, {"zzz", "m", "", true},
      {"m", "m", "", false},   {"\xc3\xa9", "z", "", true},  // é sorts after ASCII in bytes
  };
  for (const Case& c : cases) {
    EXPECT_EQ(KeyInRange(c.key, c.start, c.end), c.in) << c.key << " in (" << c.start << ", " << c.end << "]";
  }
}

TEST(KeyRangeTest, AListingReachesTheEndOfItsRange) {
  EXPECT_FALSE(ListingReachedEnd("zzz", "", false));
  EXPECT_FALSE(ListingReachedEnd("b", "c", false));
  EXPECT_TRUE(ListingReachedEnd("c", "c", false));
  EXPECT_TRUE(ListingReachedEnd("d", "c", false));
  // Versions of the end key may go on in the next page.
  EXPECT_FALSE(ListingReachedEnd("c", "c", true));
  EXPECT_TRUE(ListingReachedEnd("c0", "c", true));
}

TEST(KeyRangeTest, AKeyBetweenTwoKeysLiesStrictlyBetweenThem) {
  struct Case {
    const char* lo;
    const char* hi;  // nullptr: no upper bound
    const char* expected;
  } cases[] = {
      {"photos/2019", "photos/2023", "photos/201\\"},  // adjacent '1', '2': above "9" after "1"
      {"key-000", "key-999", "key-4"},
      {"a", "c", "b"},
      {"", "b", "@"},                    // printable: from 0x1f up
      {"a", nullptr, "p"},               // ASCII first: between 'a' and 0x80
      {"", nullptr, "O"},
      {"a", "b", "aO"},                  // adjacent: lo's character, then above lo's rest
      {"ab", "b", "aq"},
      {"az", "b", "a}"},
      {"a\x7f", "b", "a\xe6\xb0\xbf"},   // no ASCII room above 0x7f: U+6C3F
      {"\x7e", nullptr, "\x7f"},
      {"z", "\xe6\x97\xa5", "}"},        // 日: the ASCII part is taken first
      {"\xc3\xa9", "\xe6\x97\xa5", "\xe3\x8d\xa7"},  // between é (U+E9) and 日 (U+65E5): U+3367
      {"key-0099", "key-0100", "key-00\\"},
  };
  for (const Case& c : cases) {
    std::optional<std::string_view> hi;
    if (c.hi != nullptr) hi = c.hi;
    auto between = KeyBetween(c.lo, hi);
    ASSERT_TRUE(between.has_value()) << c.lo;
    EXPECT_EQ(*between, c.expected) << c.lo;
    EXPECT_GT(*between, std::string_view(c.lo));
    if (c.hi != nullptr) {
      EXPECT_LT(*between, std::string_view(c.hi));
    }
  }
}

TEST(KeyRangeTest, NoKeyBetweenAdjacentOrUnorderedKeys) {
  EXPECT_FALSE(KeyBetween("a", std::string_view("a")));
  EXPECT_FALSE(KeyBetween("b", std::string_view("a")));
  EXPECT_FALSE(KeyBetween("a", std::string_view("a\x01")));  // only "a\x00", a control character
  EXPECT_FALSE(KeyBetween("ab", std::string_view("a")));
  EXPECT_FALSE(KeyBetween("\xff", std::nullopt));            // not UTF-8
}

// A split key never holds a character at or above U+D800: s3rver orders
// keys by UTF-16 code units, where U+10000 and above (surrogates, D800)
// sort before U+E000..U+FFFF, unlike S3's byte order.
TEST(KeyRangeTest, NoSplitInsideCharactersWhoseOrderServersDisagreeOn) {
  // A common part holding U+FF21 (fullwidth A): no key between.
  EXPECT_FALSE(KeyBetween("\xef\xbc\xa1" "a", std::string_view("\xef\xbc\xa1" "z")));
  // Above a key starting at U+E000: no room below U+D800.
  EXPECT_FALSE(KeyBetween("\xee\x80\x80", std::nullopt));
  // An upper bound above U+D800 is capped: the key stays below it.
  auto between = KeyBetween("z", std::string_view("\xf0\x9f\x98\x80"));  // U+1F600
  ASSERT_TRUE(between);
  EXPECT_EQ(*between, "}");
}

}  // namespace
}  // namespace s3m
