// Where to split a key range still being listed (issue 20): a key near the
// middle of what its lister has left, found with a few one-key listings.
//
// S3 cannot count keys in a range, so the split assumes keys spread evenly
// between the lister's position and the range's last key (true of hashed,
// numbered and dated keys), and finds that last key by bisection: a listing
// of one key after a guess says whether keys lie above it. A split that
// lands unevenly is split again by the next idle lister.
#pragma once

#include <optional>
#include <string>

#include "core/status.h"
#include "s3/object_store.h"
#include "store/state_store.h"

namespace s3m::scan {

// One-key listings spent looking for a range's last key.
inline constexpr int kSplitProbes = 16;

// What is left of a range: its first key after the lister's position, and
// (about) its last.
struct KeysLeft {
  std::string first;
  std::string last;
};

// Probes what `range` has left after its lister's position (range.after());
// nullopt when it has fewer than two keys left, or when the server ignores
// start-after (which makes the probes meaningless).
Result<std::optional<KeysLeft>> ProbeKeysLeft(s3::ObjectStore& objects, const store::ListingRange& range,
                                              int probes = kSplitProbes);

// Where to split what is left when the range's lister has reached
// `position` (it went on while the probes ran): half way between the first
// key left above it and the last; nullopt when nothing is left to split.
// Pure; unit-tested.
std::optional<std::string> SplitKey(const KeysLeft& left, const std::string& position);

}  // namespace s3m::scan
