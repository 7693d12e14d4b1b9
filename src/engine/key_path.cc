#include "engine/key_path.h"

#include <vector>

#include "core/hash.h"

namespace s3m::engine {

namespace {

constexpr size_t kMaxSegmentBytes = 255;  // NAME_MAX on Linux filesystems
constexpr size_t kKeptPrefixBytes = 200;
constexpr char kHex[] = "0123456789ABCDEF";

void AppendEscapedByte(unsigned char c, std::string* out) {
  out->push_back('%');
  out->push_back(kHex[c >> 4]);
  out->push_back(kHex[c & 0xf]);
}

// Length of the valid UTF-8 sequence starting at s[i], or 0 when invalid
// (overlong forms, surrogates and code points past U+10FFFF are invalid).
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) return 1;
  size_t len;
  uint32_t cp;
  if ((b0 & 0xe0) == 0xc0) {
    len = 2;
    cp = b0 & 0x1f;
  } else if ((b0 & 0xf0) == 0xe0) {
    len = 3;
    cp = b0 & 0x0f;
  } else if ((b0 & 0xf8) == 0xf0) {
    len = 4;
    cp = b0 & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3f);
  }
  static constexpr uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMinForLength[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return len;
}

std::string Hash16(std::string_view bytes) { return HexEncode(Sha256(bytes)).substr(0, 16); }

// The first <= kKeptPrefixBytes bytes of an escaped segment, cut at a
// character boundary: never inside a UTF-8 sequence or a %XX escape.
std::string CutAtBoundary(std::string_view escaped) {
  if (escaped.size() <= kKeptPrefixBytes) return std::string(escaped);
  size_t cut = kKeptPrefixBytes;
  while (cut > 0 && (static_cast<unsigned char>(escaped[cut]) & 0xc0) == 0x80) --cut;
  if (cut >= 1 && escaped[cut - 1] == '%') {
    cut -= 1;
  } else if (cut >= 2 && escaped[cut - 2] == '%') {
    cut -= 2;
  }
  return std::string(escaped.substr(0, cut));
}

std::string EscapeSegment(std::string_view segment) {
  if (segment.empty()) return "%2F";
  if (segment == ".") return "%2E";
  if (segment == "..") return "%2E%2E";
  std::string out;
  out.reserve(segment.size());
  size_t i = 0;
  // ".<anything>%~partial" is how a partial file is spelt (atomic_file.h).
  if (segment.size() >= 1 + kPartialFileSuffix.size() && segment.front() == '.' &&
      segment.ends_with(kPartialFileSuffix)) {
    AppendEscapedByte('.', &out);
    i = 1;
  }
  while (i < segment.size()) {
    const auto c = static_cast<unsigned char>(segment[i]);
    if (c < 0x20 || c == 0x7f) {
      AppendEscapedByte(c, &out);
      ++i;
      continue;
    }
    const size_t len = Utf8SequenceLength(segment, i);
    if (len == 0) {
      AppendEscapedByte(c, &out);
      ++i;
      continue;
    }
    out.append(segment.substr(i, len));
    i += len;
  }
  if (out.size() > kMaxSegmentBytes) out = CutAtBoundary(out) + "%~" + Hash16(segment);
  return out;
}

std::vector<std::string_view> SplitSegments(std::string_view key) {
  std::vector<std::string_view> segments;
  size_t start = 0;
  while (true) {
    const size_t slash = key.find('/', start);
    if (slash == std::string_view::npos) {
      segments.push_back(key.substr(start));
      return segments;
    }
    segments.push_back(key.substr(start, slash - start));
    start = slash + 1;
  }
}

}  // namespace

LocalName MapKeyToLocalName(std::string_view key) {
  LocalName name;
  std::string_view body = key;
  if (!body.empty() && body.back() == '/') {
    name.is_directory = true;
    body.remove_suffix(1);
  }
  std::string path;
  path.reserve(body.size() + 8);
  bool first = true;
  for (std::string_view segment : SplitSegments(body)) {
    if (!first) path.push_back('/');
    first = false;
    path += EscapeSegment(segment);
  }
  name.escaped = path != body;
  name.relative_path = std::move(path);
  return name;
}

std::string ConflictName(std::string_view key, std::string_view salt) {
  std::string path = MapKeyToLocalName(key).relative_path;
  const size_t last = path.rfind('/') + 1;  // npos + 1 == 0
  std::string segment = path.substr(last);
  // Keep room for the suffix within the 255-byte name limit.
  if (segment.size() + 18 > kMaxSegmentBytes) segment = CutAtBoundary(segment);
  const std::string hashed = salt.empty() ? std::string(key) : std::string(key) + '\0' + std::string(salt);
  return path.substr(0, last) + segment + "%~" + Hash16(hashed);
}

bool IsConfinedRelativePath(std::string_view relative_path) {
  if (relative_path.empty() || relative_path.front() == '/') return false;
  if (relative_path.find('\0') != std::string_view::npos) return false;
  for (std::string_view segment : SplitSegments(relative_path)) {
    if (segment.empty() || segment == "." || segment == ".." || segment.size() > kMaxSegmentBytes) {
      return false;
    }
  }
  return true;
}

}  // namespace s3m::engine
