#include "core/number_format.h"

#include <cmath>

#include <fmt/format.h>

namespace s3m {

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

}  // namespace s3m
