// How the CLI prints numbers, sizes, durations, states and untrusted names.
// One implementation for status, scan, retry, ls and the migrate progress
// display, so the same figure reads the same everywhere.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/number_format.h"
#include "store/file_state.h"

namespace s3m::cli {

// The 70-column rule above and below the status and progress blocks.
inline const std::string kRule(70, '=');

// FormatCount, FormatBytes, FormatUsd: core/number_format.h (the status
// page and the report print figures the same way).
using s3m::FormatBytes;
using s3m::FormatCount;
using s3m::FormatUsd;

// "19.45 MB/s": MB = 10^6 bytes here, as network speeds are quoted (sizes
// above use 2^30 GB, as AWS bills storage).
std::string FormatRate(double bytes_per_second);
// "21.7%" of `whole`, to one decimal; "99.9%" rather than a rounded "100.0%"
// while part < whole; "100.0%" when whole is 0 (nothing to do).
std::string FormatPercent(int64_t part, int64_t whole);

// A duration as a person reads it: the two largest units, truncated:
// "3d 4h", "2h 15m", "2h 0m", "45m 30s", "12s"; "0s" for zero (or negative),
// "<1s" for under a second.
std::string FormatDuration(std::chrono::nanoseconds d);
// "10:42:00": the time of day in the local time zone, as the user's clock
// shows it (display only; stored and protocol timestamps are UTC).
std::string FormatClockTime(std::chrono::system_clock::time_point t);

// Makes a key (or any text that came from S3, a server or the user: bucket
// names, error messages, paths) safe to print on a terminal: C0 and C1
// control characters, DEL, bidirectional overrides, backslashes and bytes
// that are not well-formed UTF-8 become \xNN escapes of their bytes, so the
// output is one line that shows every byte. Never changes a key in storage.
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
