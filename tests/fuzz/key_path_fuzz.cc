// Key -> local path (src/engine/key_path.h) on arbitrary keys. Properties,
// for every key: the path is confined to the bucket folder (relative, no
// empty, "." or ".." segment, no NUL, no segment over 255 bytes), is never
// shaped like a partial download, and is the same every time; the conflict
// names of two different keys differ, and differ from the natural name.
// The input is one key, or two separated by the first 0xFF 0x00 pair.
#include <cstdint>

#include "engine/key_path.h"
#include "fuzz_input.h"

namespace {

using s3m::engine::LocalName;

void CheckConfined(const LocalName& name, std::string_view key) {
  const std::string& path = name.relative_path;
  s3m::fuzz::Check(s3m::engine::IsConfinedRelativePath(path), "the path stays in the bucket folder", key);
  for (std::string_view segment : s3m::fuzz::Split(path, '/')) {
    s3m::fuzz::Check(!segment.empty() && segment != "." && segment != "..", "no empty, . or .. segment", key);
    s3m::fuzz::Check(segment.size() <= 255, "no segment over NAME_MAX", key);
    const bool partial_shape = segment.front() == '.' && segment.size() >= 9 &&
                               segment.substr(segment.size() - 9) == s3m::engine::kPartialFileSuffix;
    s3m::fuzz::Check(!partial_shape, "no name shaped like a partial download", key);
  }
  s3m::fuzz::Check(path.find('\0') == std::string::npos, "no NUL byte", key);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input = s3m::fuzz::AsText(data, size);
  const size_t cut = input.find(std::string_view("\xff\x00", 2));
  const std::string_view first = input.substr(0, cut);
  const LocalName name = s3m::engine::MapKeyToLocalName(first);
  CheckConfined(name, first);
  const LocalName again = s3m::engine::MapKeyToLocalName(first);
  s3m::fuzz::Check(again.relative_path == name.relative_path && again.is_directory == name.is_directory,
                   "the mapping is deterministic", first);
  const std::string conflict = s3m::engine::ConflictName(first);
  s3m::fuzz::Check(s3m::engine::IsConfinedRelativePath(conflict), "a conflict name stays in the bucket folder", first);
  s3m::fuzz::Check(conflict != name.relative_path, "a conflict name differs from the natural one", first);
  if (cut == std::string_view::npos) return 0;
  const std::string_view second = input.substr(cut + 2);
  CheckConfined(s3m::engine::MapKeyToLocalName(second), second);
  if (first != second) {
    s3m::fuzz::Check(s3m::engine::ConflictName(second) != conflict,
                     "different keys get different conflict names", input);
  }
  return 0;
}
