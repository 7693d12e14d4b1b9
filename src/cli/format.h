// How the CLI prints numbers, sizes, durations, states and untrusted names.
// One implementation for status, scan, retry, ls and the migrate progress
// display, so the same figure reads the same everywhere.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "store/file_state.h"

namespace s3m::cli {

// The 70-column rule above and below the status and progress blocks.
inline const std::string kRule(70, '=');

// "1,234,567"
std::string FormatCount(int64_t n);
// "156.78 GB" (GB = 2^30 bytes, as AWS bills), "12.5 MB", "512 B"
std::string FormatBytes(int64_t bytes);
// "$1,234.57", "$0.0012" (small amounts keep significant digits), "< $0.0001"
std::string FormatUsd(double dollars);

// Makes a key safe to print on a terminal: control characters, backslashes and
// invalid UTF-8 bytes become \xNN escapes. Never changes a key in storage.
std::string PrintableKey(std::string_view key);

// "Glacier restore requested" from "glacier_restore_requested".
std::string StateLabel(store::FileState state);

// One row of a files/bytes table:
//   "  Discovered                    3,210 files    421.34 GB\n"
// The label starts after `indent` spaces, the count is right-aligned to end
// at column `count_end` (with at least one space after a long label), the
// size right-aligned in the 12 columns after " files ".
std::string FormatTallyLine(std::string_view label, int64_t files, int64_t bytes, int indent,
                            int count_end);

}  // namespace s3m::cli
