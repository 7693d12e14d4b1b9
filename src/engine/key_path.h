// Object key -> local path, PRODUCT.md §5.5.
//
// Every key maps to a path relative to <local_base_path>/<bucket>/ that can
// never leave that folder, by a pure, deterministic function:
//
//   * the key is split on '/'; a key ending in '/' is a folder marker and maps
//     to a directory;
//   * each segment is written as is when it is a valid UTF-8 file name, except:
//       '%'                         -> "%25"   ('%' is the escape character)
//       control bytes 0x00-0x1F, 0x7F, bytes of invalid UTF-8
//                                   -> "%XX"   (upper-case hex)
//       ""  (from "//", a leading '/', or the key "/")
//                                   -> "%2F"
//       "." -> "%2E"      ".." -> "%2E%2E"
//   * a segment longer than 255 bytes once escaped keeps its first <= 200
//     bytes and gets "%~" + 16 hex digits of SHA-256(segment) appended.
//
// Ordinary keys ("photos/2020/cat.jpg") map to themselves. Without the
// length rule the mapping is invertible (DecodeLocalName), hence injective:
// two keys never share a path. Spellings that start with "%~" are reserved for
// s3migrate (hashed names, conflict names, partial files) and never come out
// of escaping, since a literal '%' is always written "%25".
//
// Names that cannot coexist on a filesystem ("a" as a file and "a/b", or
// "Foo"/"foo" on a case-insensitive one) are resolved by the engine with
// ConflictName(), which is also deterministic; the chosen path is recorded in
// the state database.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace s3m::engine {

// Appended to a final name for the temporary file a download is written to.
// Escaping never produces it, so no object can be mistaken for a partial file.
inline constexpr std::string_view kPartialFileSuffix = "%~partial";

struct LocalName {
  // '/'-separated, relative, never empty; no empty, "." or ".." segments; no
  // segment longer than 255 bytes; no NUL byte.
  std::string relative_path;
  bool is_directory = false;  // a folder marker (the key ends in '/')
  bool escaped = false;       // relative_path differs from the key
};

LocalName MapKeyToLocalName(std::string_view key);

// The inverse of MapKeyToLocalName for names without hashed segments; nullopt
// for a name that escaping cannot produce (or that was shortened by hashing).
std::optional<std::string> DecodeLocalName(std::string_view relative_path, bool is_directory);

// An alternative name for `key` when its natural name is taken by another
// object (file/directory clash, case-insensitive clash): the last segment of
// its LocalName gets "%~" + 16 hex digits of SHA-256(key). Distinct keys get
// distinct names. A non-empty `salt` (e.g. an ETag) gives the same key
// another distinct name: a newer version of an object whose older local copy
// must be kept.
std::string ConflictName(std::string_view key, std::string_view salt = {});

// The last line of defence before any write: true when `relative_path` is a
// relative path of non-empty segments none of which is "." or "..", with no
// NUL byte, so that <base>/<relative_path> is inside <base>.
bool IsConfinedRelativePath(std::string_view relative_path);

}  // namespace s3m::engine
