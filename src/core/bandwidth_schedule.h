// --bwlimit: a bandwidth limit, or a timetable of them, as rclone writes it.
//
//   "10M"                        10 MiB/s all day
//   "off"                        no limit
//   "08:00,512K 19:00,10M 23:30,off"
//                                from 08:00 512 KiB/s, from 19:00 10 MiB/s,
//                                from 23:30 none; before 08:00 the last entry
//                                of the day before (off) holds
//
// Rates are bytes per second with an optional binary suffix: B, K, M, G, T
// (K = 1024; "1.5M" allowed), or "off". Times are local, HH:MM or HH:MM:SS.
// Pure: parsing and "which rate at this time of day"; BandwidthLimit applies it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace s3m {

class BandwidthSchedule {
 public:
  struct Entry {
    int second_of_day = 0;                // 0 .. 86399, local time
    std::optional<uint64_t> rate;         // bytes per second; nullopt = off
  };

  BandwidthSchedule() = default;  // no limit
  // kInvalidArgument naming the bad part; "" and "off" are no limit.
  static Result<BandwidthSchedule> Parse(std::string_view text);

  // The rate in force at `second_of_day` (local).
  std::optional<uint64_t> RateAt(int second_of_day) const;
  // The next second of the day (after `second_of_day`, wrapping) at which
  // the rate changes, or nullopt when it never does.
  std::optional<int> NextChangeAfter(int second_of_day) const;
  bool limits_ever() const;
  // The lowest rate of any entry (nullopt when none limits).
  std::optional<uint64_t> lowest_rate() const;
  const std::string& text() const { return text_; }

 private:
  std::vector<Entry> entries_;  // by second_of_day; one entry without a time is at 0
  std::string text_;            // as given, for display
};

// "10 MiB/s", "512 KiB/s"; "off" for nullopt.
std::string FormatBandwidth(std::optional<uint64_t> bytes_per_second);

}  // namespace s3m
