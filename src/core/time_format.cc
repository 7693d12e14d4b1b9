#include "core/time_format.h"

#include <array>
#include <cstdint>

#include <fmt/format.h>

#include "core/text.h"

namespace s3m {

namespace {

// Local spellings of the shared ASCII helpers, for the date grammar below.
constexpr auto IsDigit = IsAsciiDigit;
constexpr auto IsAlpha = IsAsciiAlpha;
constexpr auto ToLower = AsciiToLower;
constexpr auto Trim = TrimAsciiSpace;

}  // namespace

namespace {

using TimePoint = std::chrono::system_clock::time_point;

constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr std::array<std::string_view, 7> kShortDays = {"Mon", "Tue", "Wed", "Thu",
                                                        "Fri", "Sat", "Sun"};
constexpr std::array<std::string_view, 7> kLongDays = {
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};

// A forward-only reader over a date string; every method consumes only on success.
class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}

  bool Done() const { return i_ == s_.size(); }

  bool Char(char c) {
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }

  bool CharIgnoreCase(char c) {
    if (i_ < s_.size() && ToLower(s_[i_]) == ToLower(c)) {
      ++i_;
      return true;
    }
    return false;
  }

  // One or more spaces.
  bool Spaces() {
    size_t start = i_;
    while (i_ < s_.size() && s_[i_] == ' ') ++i_;
    return i_ > start;
  }

  // Between min and max decimal digits.
  bool Digits(size_t min, size_t max, int* out) {
    size_t start = i_;
    int value = 0;
    while (i_ < s_.size() && i_ - start < max && IsDigit(s_[i_])) {
      value = value * 10 + (s_[i_] - '0');
      ++i_;
    }
    if (i_ - start < min) {
      i_ = start;
      return false;
    }
    *out = value;
    return true;
  }

  // A run of letters that is one of `names` (ASCII case-insensitive);
  // *index receives its position.
  template <size_t N>
  bool Name(const std::array<std::string_view, N>& names, int* index) {
    size_t start = i_;
    while (i_ < s_.size() && IsAlpha(s_[i_])) ++i_;
    std::string_view word = s_.substr(start, i_ - start);
    for (size_t k = 0; k < N; ++k) {
      if (EqualsIgnoreCase(word, names[k])) {
        *index = static_cast<int>(k);
        return true;
      }
    }
    i_ = start;
    return false;
  }

  bool Word(std::string_view expected) {
    size_t start = i_;
    while (i_ < s_.size() && IsAlpha(s_[i_])) ++i_;
    if (EqualsIgnoreCase(s_.substr(start, i_ - start), expected)) return true;
    i_ = start;
    return false;
  }

  // HH:MM:SS
  bool Time(int* h, int* m, int* s) {
    return Digits(2, 2, h) && Char(':') && Digits(2, 2, m) && Char(':') && Digits(2, 2, s);
  }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

// Civil date and time in UTC to a time point, or nullopt when out of range.
// A second of 60 (a leap second in the grammar of both formats) rolls over.
std::optional<TimePoint> MakeTime(int y, int mon, int d, int h, int mi, int s) {
  using namespace std::chrono;
  // What a system_clock time point (int64 nanoseconds around 1970) holds:
  // a date beyond it, from a broken or hostile reply, is refused rather than
  // overflowing (found by tests/fuzz/headers_fuzz.cc).
  if (y < 1678 || y > 2261) return std::nullopt;
  if (mon < 1 || mon > 12 || d < 1 || d > 31) return std::nullopt;
  if (h > 23 || mi > 59 || s > 60) return std::nullopt;
  year_month_day ymd{year{y}, month{static_cast<unsigned>(mon)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  sys_seconds t = sys_days{ymd} + hours{h} + minutes{mi} + seconds{s};
  return time_point_cast<system_clock::duration>(t);
}

std::optional<TimePoint> ParseImfFixdate(std::string_view text) {
  Cursor c(text);
  int weekday = 0, month = 0, d = 0, y = 0, h = 0, mi = 0, s = 0;
  if (c.Name(kShortDays, &weekday) && c.Char(',') && c.Spaces() && c.Digits(1, 2, &d) &&
      c.Spaces() && c.Name(kMonths, &month) && c.Spaces() && c.Digits(4, 4, &y) && c.Spaces() &&
      c.Time(&h, &mi, &s) && c.Spaces() && c.Word("GMT") && c.Done()) {
    return MakeTime(y, month + 1, d, h, mi, s);
  }
  return std::nullopt;
}

std::optional<TimePoint> ParseRfc850Date(std::string_view text) {
  Cursor c(text);
  int weekday = 0, month = 0, d = 0, yy = 0, h = 0, mi = 0, s = 0;
  if (c.Name(kLongDays, &weekday) && c.Char(',') && c.Spaces() && c.Digits(2, 2, &d) &&
      c.Char('-') && c.Name(kMonths, &month) && c.Char('-') && c.Digits(2, 2, &yy) &&
      c.Spaces() && c.Time(&h, &mi, &s) && c.Spaces() && c.Word("GMT") && c.Done()) {
    // RFC 7231: a two-digit year more than 50 years ahead is in the past
    // century; with no clock here, 70..99 is taken as 19xx (the Unix era).
    return MakeTime(yy < 70 ? 2000 + yy : 1900 + yy, month + 1, d, h, mi, s);
  }
  return std::nullopt;
}

std::optional<TimePoint> ParseAsctimeDate(std::string_view text) {
  Cursor c(text);
  int weekday = 0, month = 0, d = 0, y = 0, h = 0, mi = 0, s = 0;
  if (c.Name(kShortDays, &weekday) && c.Spaces() && c.Name(kMonths, &month) && c.Spaces() &&
      c.Digits(1, 2, &d) && c.Spaces() && c.Time(&h, &mi, &s) && c.Spaces() &&
      c.Digits(4, 4, &y) && c.Done()) {
    return MakeTime(y, month + 1, d, h, mi, s);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> ParseHttpDate(std::string_view text) {
  text = Trim(text);
  if (auto t = ParseImfFixdate(text)) return t;
  if (auto t = ParseRfc850Date(text)) return t;
  return ParseAsctimeDate(text);
}

std::optional<std::chrono::system_clock::time_point> ParseIso8601(std::string_view text) {
  using namespace std::chrono;
  Cursor c(Trim(text));
  int y = 0, mon = 0, d = 0, h = 0, mi = 0, s = 0;
  if (!(c.Digits(4, 4, &y) && c.Char('-') && c.Digits(2, 2, &mon) && c.Char('-') &&
        c.Digits(2, 2, &d) && c.CharIgnoreCase('T') && c.Time(&h, &mi, &s))) {
    return std::nullopt;
  }
  nanoseconds fraction{0};
  if (c.Char('.')) {
    // Read up to nine digits at a time; digits past nanoseconds are dropped.
    int digits = 0;
    int64_t ns = 0;
    int value = 0;
    bool any = false;
    while (c.Digits(1, 1, &value)) {
      any = true;
      if (digits < 9) {
        ns = ns * 10 + value;
        ++digits;
      }
    }
    if (!any) return std::nullopt;
    for (; digits < 9; ++digits) ns *= 10;
    fraction = nanoseconds{ns};
  }
  minutes offset{0};
  if (!c.CharIgnoreCase('Z')) {
    int sign = 0;
    if (c.Char('+')) {
      sign = 1;
    } else if (c.Char('-')) {
      sign = -1;
    } else {
      return std::nullopt;
    }
    int oh = 0, om = 0;
    if (!c.Digits(2, 2, &oh)) return std::nullopt;
    c.Char(':');
    if (!c.Digits(2, 2, &om) || oh > 23 || om > 59) return std::nullopt;
    offset = minutes{sign * (oh * 60 + om)};
  }
  if (!c.Done()) return std::nullopt;
  std::optional<TimePoint> t = MakeTime(y, mon, d, h, mi, s);
  if (!t) return std::nullopt;
  return *t + duration_cast<system_clock::duration>(fraction) - offset;
}

std::optional<std::chrono::system_clock::time_point> ParseAmzDate(std::string_view text) {
  Cursor c(text);
  int y = 0, mon = 0, d = 0, h = 0, mi = 0, s = 0;
  if (c.Digits(4, 4, &y) && c.Digits(2, 2, &mon) && c.Digits(2, 2, &d) && c.Char('T') &&
      c.Digits(2, 2, &h) && c.Digits(2, 2, &mi) && c.Digits(2, 2, &s) && c.Char('Z') && c.Done()) {
    return MakeTime(y, mon, d, h, mi, s);
  }
  return std::nullopt;
}

namespace {

// A time point's UTC calendar fields, to the millisecond.
struct Civil {
  std::chrono::sys_days day;
  int year;
  unsigned month, day_of_month;
  int64_t hour, minute, second, millisecond;
};

Civil ToCivil(TimePoint time) {
  using namespace std::chrono;
  const sys_days day = floor<days>(time);
  const year_month_day ymd{day};
  const hh_mm_ss hms{floor<milliseconds>(time - day)};
  return {day,
          static_cast<int>(ymd.year()),
          static_cast<unsigned>(ymd.month()),
          static_cast<unsigned>(ymd.day()),
          hms.hours().count(),
          hms.minutes().count(),
          hms.seconds().count(),
          hms.subseconds().count()};
}

}  // namespace

std::string FormatHttpDate(std::chrono::system_clock::time_point time) {
  const Civil c = ToCivil(time);
  // 1970-01-01 was a Thursday; kShortDays starts on Monday.
  const auto weekday_index = static_cast<size_t>((c.day.time_since_epoch().count() % 7 + 7 + 3) % 7);
  return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT", kShortDays[weekday_index], c.day_of_month,
                     kMonths[c.month - 1], c.year, c.hour, c.minute, c.second);
}

std::string FormatIso8601(std::chrono::system_clock::time_point time, Iso8601Precision precision) {
  const Civil c = ToCivil(time);
  const std::string seconds_part = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", c.year, c.month,
                                               c.day_of_month, c.hour, c.minute, c.second);
  switch (precision) {
    case Iso8601Precision::kSeconds: return seconds_part + "Z";
    case Iso8601Precision::kMilliseconds: return fmt::format("{}.{:03}Z", seconds_part, c.millisecond);
  }
  return seconds_part + "Z";  // not reached: every precision is handled above
}

std::string FormatAmzDate(std::chrono::system_clock::time_point time) {
  const Civil c = ToCivil(time);
  return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}Z", c.year, c.month, c.day_of_month, c.hour, c.minute,
                     c.second);
}

}  // namespace s3m
