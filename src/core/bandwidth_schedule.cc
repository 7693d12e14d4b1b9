#include "core/bandwidth_schedule.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "core/number_format.h"
#include "core/text.h"

namespace s3m {
namespace {

Status Invalid(std::string_view text, std::string why) {
  return Status::Error(ErrorKind::kInvalidArgument,
                       fmt::format("bwlimit \"{}\": {} (examples: \"10M\", \"08:00,512K 19:00,off\")", text, why));
}

// "10M" -> 10485760; "off" -> nullopt.
Result<std::optional<uint64_t>> ParseRate(std::string_view whole, std::string_view rate) {
  if (EqualsIgnoreCase(rate, "off")) return std::optional<uint64_t>();
  if (rate.empty()) return Invalid(whole, "a rate is missing");
  double scale = 1;
  const char suffix = AsciiToLower(rate.back());
  const std::string_view units = "bkmgt";
  if (const size_t power = units.find(suffix); power != std::string_view::npos) {
    scale = std::pow(1024.0, static_cast<double>(power));
    rate.remove_suffix(1);
  }
  const std::string number(rate);
  char* end = nullptr;
  const double value = std::strtod(number.c_str(), &end);
  if (number.empty() || end != number.c_str() + number.size() || !std::isfinite(value) || value <= 0 ||
      value * scale < 1 || value * scale > 1e15) {
    return Invalid(whole, fmt::format("\"{}\" is not a rate: a positive number of bytes per second, "
                                      "optionally with B, K, M, G or T, or off", rate));
  }
  return std::optional<uint64_t>(static_cast<uint64_t>(value * scale));
}

// "08:00" or "08:00:30" -> seconds of the day.
Result<int> ParseTimeOfDay(std::string_view whole, std::string_view time) {
  int parts[3] = {0, 0, 0};
  int count = 0;
  for (size_t at = 0; at <= time.size() && count < 4; ++count) {
    size_t colon = time.find(':', at);
    if (colon == std::string_view::npos) colon = time.size();
    const std::string_view digits = time.substr(at, colon - at);
    if (count == 3 || digits.size() != 2 || !IsAsciiDigit(digits[0]) || !IsAsciiDigit(digits[1])) {
      return Invalid(whole, fmt::format("\"{}\" is not a time of day (HH:MM or HH:MM:SS)", time));
    }
    parts[count] = (digits[0] - '0') * 10 + (digits[1] - '0');
    at = colon + 1;
  }
  if (count < 2 || parts[0] > 23 || parts[1] > 59 || parts[2] > 59) {
    return Invalid(whole, fmt::format("\"{}\" is not a time of day (HH:MM or HH:MM:SS)", time));
  }
  return parts[0] * 3600 + parts[1] * 60 + parts[2];
}

}  // namespace

Result<BandwidthSchedule> BandwidthSchedule::Parse(std::string_view text) {
  BandwidthSchedule schedule;
  schedule.text_ = std::string(TrimAsciiSpace(text));
  const std::string_view whole = schedule.text_;
  if (whole.empty()) return schedule;
  std::vector<std::string_view> items;
  for (size_t at = 0; at < whole.size();) {
    const size_t space = whole.find(' ', at);
    const size_t end = space == std::string_view::npos ? whole.size() : space;
    if (end > at) items.push_back(whole.substr(at, end - at));
    at = end + 1;
  }
  for (std::string_view item : items) {
    const size_t comma = item.find(',');
    Entry entry;
    if (comma == std::string_view::npos) {
      if (items.size() > 1) return Invalid(whole, fmt::format("\"{}\" needs a time: HH:MM,RATE", item));
    } else {
      S3M_ASSIGN_OR_RETURN(entry.second_of_day, ParseTimeOfDay(whole, item.substr(0, comma)));
    }
    S3M_ASSIGN_OR_RETURN(entry.rate, ParseRate(whole, comma == std::string_view::npos ? item : item.substr(comma + 1)));
    for (const Entry& other : schedule.entries_) {
      if (other.second_of_day == entry.second_of_day) return Invalid(whole, "two entries at the same time");
    }
    schedule.entries_.push_back(entry);
  }
  std::sort(schedule.entries_.begin(), schedule.entries_.end(),
            [](const Entry& a, const Entry& b) { return a.second_of_day < b.second_of_day; });
  return schedule;
}

std::optional<uint64_t> BandwidthSchedule::RateAt(int second_of_day) const {
  if (entries_.empty()) return std::nullopt;
  // The last entry at or before the time; before the first, yesterday's last.
  const Entry* current = &entries_.back();
  for (const Entry& e : entries_) {
    if (e.second_of_day <= second_of_day) current = &e;
  }
  return current->rate;
}

std::optional<int> BandwidthSchedule::NextChangeAfter(int second_of_day) const {
  const std::optional<uint64_t> now = RateAt(second_of_day);
  for (int day = 0; day < 2; ++day) {
    for (const Entry& e : entries_) {
      const int at = e.second_of_day + day * 86400;
      if (at > second_of_day && e.rate != now) return at % 86400;
    }
  }
  return std::nullopt;
}

bool BandwidthSchedule::limits_ever() const {
  return std::any_of(entries_.begin(), entries_.end(), [](const Entry& e) { return e.rate.has_value(); });
}

std::optional<uint64_t> BandwidthSchedule::lowest_rate() const {
  std::optional<uint64_t> lowest;
  for (const Entry& e : entries_) {
    if (e.rate && (!lowest || *e.rate < *lowest)) lowest = e.rate;
  }
  return lowest;
}

std::string FormatBandwidth(std::optional<uint64_t> bytes_per_second) {
  return bytes_per_second ? FormatBytes(static_cast<int64_t>(*bytes_per_second)) + "/s" : "off";
}

}  // namespace s3m
