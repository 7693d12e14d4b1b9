// Figures as people read them, the same in the CLI, the status page and the
// report.
#pragma once

#include <cstdint>
#include <string>

namespace s3m {

// "1,234,567"
std::string FormatCount(int64_t n);
// "156.78 GB" (GB = 2^30 bytes, as AWS bills), "12.5 MB", "512 B"
std::string FormatBytes(int64_t bytes);
// "$1,234.57", "$0.0012" (small amounts keep significant digits), "< $0.0001"
std::string FormatUsd(double dollars);

}  // namespace s3m
