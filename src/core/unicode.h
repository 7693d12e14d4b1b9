// Unicode forms of names, for deciding when two local paths are the same file
// on filesystems that normalise or fold case (utf8proc, Unicode 15):
//
//   Nfc("cafe\xcc\x81")        == "caf\xc3\xa9"    (NFD "café" -> NFC)
//   CaseFoldNfc("\xc3\x84rger") == "\xc3\xa4rger"  ("Ärger" -> "ärger")
//   CaseFoldNfc("STRASSE")      == CaseFoldNfc("stra\xc3\x9f" "e")  (full folding: ß -> ss)
//
// CaseFoldNfc is NFC(full case fold(NFD(s))), the identity macOS (APFS/HFS+),
// ext4/f2fs casefold folders and SMB shares give names, taken conservatively:
// two names equal under it may be one file there, so they must never both be
// used. Text that is not valid UTF-8 is returned unchanged by both (such
// bytes are escaped by the key mapping before they reach a path).
#pragma once

#include <string>
#include <string_view>

namespace s3m {

std::string Nfc(std::string_view utf8);
std::string CaseFoldNfc(std::string_view utf8);
// Every byte belongs to a well-formed UTF-8 sequence of a Unicode scalar
// value (no overlong forms, no surrogates).
bool IsValidUtf8(std::string_view text);

// How a destination filesystem compares names, as probed (LocalLayout).
enum class NameEquivalence {
  kExact,       // byte for byte (ext4, xfs, btrfs: the Linux default)
  kNormalized,  // NFC == NFD (ZFS normalization=formD, some NAS shares)
  kCaseFolded,  // case and normalisation both ignored (APFS, SMB, casefold)
};

// The form of `path` under which two paths are one file on a destination
// comparing names by `equivalence`.
std::string NameIdentity(std::string_view path, NameEquivalence equivalence);

}  // namespace s3m
