#include "core/key_range.h"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace s3m {

bool KeyInRange(std::string_view key, std::string_view start, std::string_view end) {
  return key > start && (end.empty() || key <= end);
}

bool ListingReachedEnd(std::string_view last_key, std::string_view end, bool version_listing) {
  if (end.empty()) return false;
  return version_listing ? last_key > end : last_key >= end;
}

namespace {

// Split keys are made of code points below this (see KeyBetween).
constexpr int64_t kCeiling = 0xD800;

// Code points of well-formed UTF-8; false when `text` is not.
bool Decode(std::string_view text, std::vector<int64_t>& out, std::vector<size_t>& offsets) {
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    const size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (len == 0 || i + len > text.size()) return false;
    int64_t cp = len == 1 ? c : c & (0x7f >> len);
    for (size_t k = 1; k < len; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (next & 0x3f);
    }
    offsets.push_back(i);
    out.push_back(cp);
    i += len;
  }
  offsets.push_back(text.size());
  return true;
}

void Encode(int64_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {  // below kCeiling: three bytes at most
    out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

// A code point strictly between a (-1: none) and b, printable (no control
// character goes into a listing position), and in ASCII when there is room
// there: most keys are ASCII, and a middle far above them splits nothing.
std::optional<int64_t> Middle(int64_t a, int64_t b) {
  a = std::max<int64_t>(a, 0x1f);
  if (a < 0x7f) b = std::min<int64_t>(b, 0x80);
  if (b - a < 2) return std::nullopt;
  return a + (b - a) / 2;
}

}  // namespace

std::optional<std::string> KeyBetween(std::string_view lo, std::optional<std::string_view> hi) {
  std::vector<int64_t> a_points, b_points;
  std::vector<size_t> a_offsets, b_offsets;
  if (!Decode(lo, a_points, a_offsets)) return std::nullopt;
  if (hi && !Decode(*hi, b_points, b_offsets)) return std::nullopt;
  std::string out;
  for (size_t i = 0;; ++i) {
    const int64_t a = i < a_points.size() ? a_points[i] : -1;
    const int64_t b = !hi ? kCeiling : i < b_points.size() ? b_points[i] : -1;
    if (a == b) {
      if (a < 0 || a >= kCeiling) return std::nullopt;  // equal keys, or a character we may not copy
      Encode(a, out);
      continue;
    }
    if (a > b) return std::nullopt;  // lo is not below hi
    if (auto mid = Middle(a, std::min(b, kCeiling))) {
      Encode(*mid, out);
      return out;
    }
    // Adjacent characters: keep lo's, then go above the rest of lo (any
    // continuation stays below hi, whose character here is greater).
    if (a < 0 || a >= kCeiling) return std::nullopt;
    Encode(a, out);
    auto rest = KeyBetween(lo.substr(a_offsets[i + 1]), std::nullopt);
    if (!rest) return std::nullopt;
    return out + *rest;
  }
}

}  // namespace s3m
