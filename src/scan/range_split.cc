#include "scan/range_split.h"

#include "core/key_range.h"

namespace s3m::scan {

namespace {

// U+10FFFF, the highest character: above every key that starts with what
// precedes it (but a key holding it there).
constexpr const char* kTopCharacter = "\xf4\x8f\xbf\xbf";

// The first key after `after`, or nullopt when there is none.
Result<std::optional<std::string>> FirstKeyAfter(s3::ObjectStore& objects, const std::string& bucket,
                                                 const std::string& after) {
  s3::ListObjectsV2Request probe;
  probe.bucket = bucket;
  probe.start_after = after;
  probe.max_keys = 1;
  S3M_ASSIGN_OR_RETURN(s3::ListObjectsV2Page page, objects.ListObjectsV2(probe));
  if (page.objects.empty()) return std::optional<std::string>();
  return std::optional<std::string>(page.objects.front().key);
}

}  // namespace

Result<std::optional<KeysLeft>> ProbeKeysLeft(s3::ObjectStore& objects, const store::ListingRange& range,
                                              int probes) {
  std::optional<KeysLeft> none;
  auto inside = [&](const std::optional<std::string>& key) {
    return key && (range.end.empty() || *key <= range.end);
  };
  int spent = 0;
  auto first_after = [&](const std::string& after) {
    ++spent;
    return FirstKeyAfter(objects, range.bucket, after);
  };
  // The first key its lister has left: the split lies between it and the
  // last, in the characters where keys differ (not between the position,
  // often "", and the keys).
  S3M_ASSIGN_OR_RETURN(std::optional<std::string> first, first_after(range.after()));
  if (!inside(first)) return none;
  if (*first <= range.after()) return none;  // start-after ignored
  // The longest prefix of `first` every key left shares (no key inside the
  // range lies above prefix + U+10FFFF), by bisection on its length: keys
  // like "logs/2026/..." differ only after it.
  size_t shared = 0;
  for (size_t low = 0, high = first->size(); low < high && spent < probes / 2;) {
    size_t mid = (low + high + 1) / 2;
    while (mid > low && mid < first->size() && (static_cast<unsigned char>((*first)[mid]) & 0xc0) == 0x80) --mid;
    if (mid == low) break;
    const std::string prefix = first->substr(0, mid);
    S3M_ASSIGN_OR_RETURN(std::optional<std::string> above, first_after(prefix + kTopCharacter));
    if (above && *above <= prefix + kTopCharacter) return none;  // start-after ignored
    if (inside(above)) {
      high = mid - 1;
    } else {
      low = shared = mid;
    }
  }
  std::string upper = first->substr(0, shared) + kTopCharacter;  // no key lies after it inside the range
  if (!range.end.empty() && range.end < upper) upper = range.end;
  // The highest key known inside the range; bisection between it and
  // `upper` moves it towards the range's last key.
  std::string highest = *first;
  while (spent < probes) {
    std::optional<std::string> guess = KeyBetween(highest, std::string_view(upper));
    if (!guess) break;
    S3M_ASSIGN_OR_RETURN(std::optional<std::string> found, first_after(*guess));
    if (found && *found <= *guess) return none;  // start-after ignored
    if (inside(found)) {
      highest = *found;
    } else {
      upper = *guess;
    }
  }
  if (highest == *first) return none;  // one key left
  return std::optional<KeysLeft>(KeysLeft{*first, highest});
}

std::optional<std::string> SplitKey(const KeysLeft& left, const std::string& position) {
  // The last key found stays above the split, so the new range is not empty.
  const std::string& from = position > left.first ? position : left.first;
  if (from >= left.last) return std::nullopt;
  return KeyBetween(from, std::string_view(left.last));
}

}  // namespace s3m::scan
