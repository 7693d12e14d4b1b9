// Timestamps as S3 and AWS services write them, parsed and formatted without
// locales or the C library's time zone state. One implementation for the S3
// client, the credential chain, the state database and the emulator.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace s3m {

// An HTTP date (RFC 7231 §7.1.1.1): IMF-fixdate "Fri, 21 Dec 2012 00:00:00 GMT"
// (a one-digit day is tolerated), and the obsolete RFC 850
// "Friday, 21-Dec-12 00:00:00 GMT" and asctime "Fri Dec 21 00:00:00 2012" forms
// that recipients must accept. Leading and trailing spaces are ignored. The
// day name is checked for spelling, not against the date. Returns nullopt for
// anything else, including impossible dates (31 Apr, 29 Feb 2023, 24:00:00).
// Locale-independent.
std::optional<std::chrono::system_clock::time_point> ParseHttpDate(std::string_view text);

// An ISO 8601 / RFC 3339 timestamp as S3 writes them: "2009-10-12T17:50:30.000Z",
// with or without fractional seconds (up to nanoseconds), with "Z" or a numeric
// offset ("2019-12-11T23:32:47+00:00"). A zone is required. Returns nullopt for
// anything else. Locale-independent.
std::optional<std::chrono::system_clock::time_point> ParseIso8601(std::string_view text);

// "20150830T123600Z": the ISO 8601 basic format of SigV4's X-Amz-Date, in UTC,
// exactly 16 characters. Returns nullopt for anything else, including
// impossible dates. Locale-independent.
std::optional<std::chrono::system_clock::time_point> ParseAmzDate(std::string_view text);

// "Fri, 21 Dec 2012 00:00:00 GMT" (RFC 7231 IMF-fixdate, as in x-amz-restore
// and Last-Modified). Sub-seconds are dropped.
std::string FormatHttpDate(std::chrono::system_clock::time_point time);

enum class Iso8601Precision {
  kMilliseconds,  // "2009-10-12T17:50:30.000Z", as S3 listings write it
  kSeconds,       // "2009-10-12T17:50:30Z", as the state database stores it
};

// ISO 8601 in UTC; digits below the precision are dropped (never rounded), so
// text order is time order at either precision.
std::string FormatIso8601(std::chrono::system_clock::time_point time,
                          Iso8601Precision precision = Iso8601Precision::kMilliseconds);

// "20150830T123600Z" (X-Amz-Date: UTC, ISO 8601 basic format). Sub-seconds are dropped.
std::string FormatAmzDate(std::chrono::system_clock::time_point time);

}  // namespace s3m
