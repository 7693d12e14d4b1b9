#include "cli/format.h"

#include <algorithm>
#include <cmath>
#include <ctime>

#include <fmt/format.h>

#include "core/text.h"

namespace s3m::cli {

std::string FormatRate(double bytes_per_second) {
  return fmt::format("{:.2f} MB/s", std::max(0.0, bytes_per_second) / 1e6);
}

std::string FormatPercent(int64_t part, int64_t whole) {
  if (whole <= 0) return "100.0%";
  double percent = std::round(static_cast<double>(part) * 1000.0 / static_cast<double>(whole)) / 10.0;
  if (part < whole) percent = std::min(percent, 99.9);
  return fmt::format("{:.1f}%", percent);
}

std::string FormatDuration(std::chrono::nanoseconds d) {
  using namespace std::chrono;
  if (d <= nanoseconds::zero()) return "0s";
  if (d < seconds(1)) return "<1s";
  const int64_t total = duration_cast<seconds>(d).count();
  const int64_t days = total / 86400, hours = total / 3600 % 24, minutes = total / 60 % 60,
                secs = total % 60;
  if (days > 0) return fmt::format("{}d {}h", days, hours);
  if (hours > 0) return fmt::format("{}h {}m", hours, minutes);
  if (minutes > 0) return fmt::format("{}m {}s", minutes, secs);
  return fmt::format("{}s", secs);
}

std::string FormatClockTime(std::chrono::system_clock::time_point t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm local{};
  if (::localtime_r(&seconds, &local) == nullptr) return "??:??:??";
  return fmt::format("{:02d}:{:02d}:{:02d}", local.tm_hour, local.tm_min, local.tm_sec);
}

namespace {

// The length of the well-formed UTF-8 sequence starting at s[i] (RFC 3629:
// no overlong forms, no surrogates, nothing above U+10FFFF), or 0.
size_t Utf8SequenceLength(std::string_view s, size_t i, char32_t& code_point) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = byte(0);
  size_t len = 0;
  unsigned char lo = 0x80, hi = 0xbf;  // allowed range of the second byte
  if (c < 0x80) {
    code_point = c;
    return 1;
  } else if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
    code_point = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    code_point = c & 0x0f;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    code_point = c & 0x07;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;
  } else {
    return 0;
  }
  if (i + len > s.size() || byte(1) < lo || byte(1) > hi) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((byte(k) & 0xc0) != 0x80) return 0;
    code_point = (code_point << 6) | (byte(k) & 0x3f);
  }
  return len;
}

// Characters a terminal acts on instead of showing: C0 and C1 controls (ESC
// starts a sequence; U+009B is a one-character CSI on some terminals), DEL,
// and the bidirectional embeddings, overrides and isolates that let a name
// display in another order than it is stored.
bool ActsOnTerminal(char32_t cp) {
  return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

}  // namespace

std::string PrintableKey(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  size_t i = 0;
  while (i < key.size()) {
    char32_t cp = 0;
    const size_t len = Utf8SequenceLength(key, i, cp);
    if (len == 0) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(key[i]));
      ++i;
      continue;
    }
    if (ActsOnTerminal(cp) || cp == '\\') {
      for (size_t k = 0; k < len; ++k) {
        out += fmt::format("\\x{:02x}", static_cast<unsigned char>(key[i + k]));
      }
    } else {
      out.append(key.substr(i, len));
    }
    i += len;
  }
  return out;
}

std::string StateLabel(store::FileState state) {
  std::string label(store::FileStateName(state));
  for (char& c : label) c = c == '_' ? ' ' : c;
  label[0] = AsciiToUpper(label[0]);
  return label;
}

std::string FormatTallyLine(std::string_view label, int64_t files, int64_t bytes, int indent,
                            int count_end) {
  const std::string count = FormatCount(files);
  const int used = indent + static_cast<int>(label.size() + count.size());
  const int pad = std::max(1, count_end - used);
  return fmt::format("{:{}}{}{:{}}{} files {:>12}\n", "", indent, label, "", pad, count,
                     FormatBytes(bytes));
}

}  // namespace s3m::cli
