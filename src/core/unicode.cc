#include "core/unicode.h"

#include <cstdlib>
#include <memory>

#include <utf8proc.h>

namespace s3m {

namespace {

struct FreeDeleter {
  void operator()(utf8proc_uint8_t* p) const { std::free(p); }
};

// utf8proc_map with `options`; the input unchanged when it is not valid UTF-8
// (or memory runs out: then nothing is folded, which only makes names
// compare as distinct, as on an exact filesystem).
std::string Map(std::string_view utf8, int options) {
  if (utf8.empty()) return {};
  utf8proc_uint8_t* out = nullptr;
  const utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(utf8.data()),
                                          static_cast<utf8proc_ssize_t>(utf8.size()), &out,
                                          static_cast<utf8proc_option_t>(options));
  std::unique_ptr<utf8proc_uint8_t, FreeDeleter> owned(out);
  if (n < 0) return std::string(utf8);
  return std::string(reinterpret_cast<const char*>(out), static_cast<size_t>(n));
}

}  // namespace

bool IsValidUtf8(std::string_view text) {
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  utf8proc_ssize_t left = static_cast<utf8proc_ssize_t>(text.size());
  while (left > 0) {
    utf8proc_int32_t cp = 0;
    const utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
    if (n <= 0) return false;
    p += n;
    left -= n;
  }
  return true;
}

std::string Nfc(std::string_view utf8) { return Map(utf8, UTF8PROC_STABLE | UTF8PROC_COMPOSE); }

std::string CaseFoldNfc(std::string_view utf8) {
  // Fold the decomposed form, then compose: folding can produce sequences
  // that compose differently from the original ("K" KELVIN SIGN -> "k").
  return Map(utf8, UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD);
}

std::string NameIdentity(std::string_view path, NameEquivalence equivalence) {
  switch (equivalence) {
    case NameEquivalence::kExact:
      return std::string(path);
    case NameEquivalence::kNormalized:
      return Nfc(path);
    case NameEquivalence::kCaseFolded:
      return CaseFoldNfc(path);
  }
  return std::string(path);
}

}  // namespace s3m
