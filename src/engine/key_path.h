// Object key -> local path, PRODUCT.md §5.5.
//
// Every key maps to a path relative to <local_base_path>/<bucket>/ that can
// never leave that folder, by a pure, deterministic function that keeps the
// key's own spelling wherever the filesystem can hold it ("natural names"):
//
//   * the key is split on '/'; a key ending in '/' is a folder marker and maps
//     to a directory;
//   * each segment is written exactly as in the key ("100%", "a%20b", "+",
//     "#", "&", "=", spaces, any valid UTF-8), except what cannot live on a
//     filesystem as named, which becomes "%XX" (upper-case hex) escapes:
//       ""  (from "//", a leading '/', or the key "/")   -> "%2F"
//       "." -> "%2E"      ".." -> "%2E%2E"
//       NUL and control bytes 0x01-0x1F, 0x7F            -> "%XX"
//         (refused by exFAT, NTFS and SMB shares; a newline in a name breaks
//         every shell script that reads the tree)
//       bytes that are not valid UTF-8                   -> "%XX"
//         (refused by APFS, ZFS utf8only and SMB)
//       a leading '.' of a name ending in "%~partial"    -> "%2E"
//         (such a name is the spelling of s3migrate's partial files)
//   * a segment longer than 255 bytes (NAME_MAX) once escaped keeps its first
//     <= 200 bytes and gets "%~" + 16 hex digits of SHA-256(segment) appended.
//
// The mapping is not injective ("%2E" and "." both give "%2E"; "Foo" and
// "foo" are one file on a case-insensitive disk; "a" and "a/b" cannot both be
// files). Uniqueness is not the mapping's job: the engine records every
// object's chosen path in the state database, compares each new path with
// the recorded ones the way the destination compares names (unicode.h's
// NameIdentity), and gives a key whose natural name is taken a
// ConflictName(), which it records too. The final rename never replaces a
// file (FileSystem::RenameNoReplace), so a clash the database missed also
// ends in a recorded conflict name, never in an overwrite.
#pragma once

#include <string>
#include <string_view>

namespace s3m::engine {

// Appended to ".<final name>" for the temporary file a download is written
// to. Mapping never produces a name that starts with '.' and ends with it, so
// no object can be mistaken for a partial file.
inline constexpr std::string_view kPartialFileSuffix = "%~partial";

struct LocalName {
  // '/'-separated, relative, never empty; no empty, "." or ".." segments; no
  // segment longer than 255 bytes; no NUL byte.
  std::string relative_path;
  bool is_directory = false;  // a folder marker (the key ends in '/')
  bool escaped = false;       // relative_path differs from the key
};

LocalName MapKeyToLocalName(std::string_view key);

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
