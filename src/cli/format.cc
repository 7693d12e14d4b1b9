#include "cli/format.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/text.h"

namespace s3m::cli {

std::string FormatCount(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return n < 0 ? "-" + out : out;
}

std::string FormatBytes(int64_t bytes) {
  static const char* kUnits[] = {"KB", "MB", "GB", "TB", "PB"};
  if (bytes < 1024) return fmt::format("{} B", bytes);
  double value = static_cast<double>(bytes);
  int unit = -1;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  return fmt::format("{:.2f} {}", value, kUnits[unit]);
}

std::string FormatUsd(double dollars) {
  if (dollars > 0 && dollars < 0.00005) return "< $0.0001";
  if (dollars != 0 && std::fabs(dollars) < 0.01) return fmt::format("${:.4f}", dollars);
  const auto cents = static_cast<int64_t>(std::llround(dollars * 100));
  return fmt::format("${}.{:02d}", FormatCount(cents / 100), static_cast<int>(cents % 100));
}

std::string PrintableKey(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  size_t i = 0;
  while (i < key.size()) {
    const auto c = static_cast<unsigned char>(key[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    bool valid = len > 0 && i + len <= key.size();
    for (size_t k = 1; valid && k < len; ++k) {
      valid = (static_cast<unsigned char>(key[i + k]) & 0xc0) == 0x80;
    }
    if (!valid || c < 0x20 || c == 0x7f || c == '\\') {
      out += fmt::format("\\x{:02x}", c);
      ++i;
    } else {
      out.append(key.substr(i, len));
      i += len;
    }
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
