// Parsing and formatting of S3 timestamps. Cases gathered from the XML
// parsers' and the credential chain's needs, which both use these functions.
#include "core/time_format.h"

#include <gtest/gtest.h>

namespace s3m {
namespace {

using std::chrono::system_clock;

system_clock::time_point FromEpoch(int64_t seconds) {
  return system_clock::time_point(std::chrono::seconds(seconds));
}

int64_t EpochSeconds(system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// ---------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------

TEST(HttpDateTest, Accepted) {
  const std::pair<const char*, int64_t> cases[] = {
      {"Fri, 21 Dec 2012 00:00:00 GMT", 1356048000},
      {"Sun, 06 Nov 1994 08:49:37 GMT", 784111777},
      {"Sunday, 06-Nov-94 08:49:37 GMT", 784111777},  // RFC 850
      {"Sun Nov  6 08:49:37 1994", 784111777},        // asctime
      {"Mon, 1 Nov 2010 20:34:56 GMT", 1288643696},   // one-digit day, as in AWS samples
      {"  Fri, 21 Dec 2012 00:00:00 GMT  ", 1356048000},
      {"fri, 21 dec 2012 00:00:00 gmt", 1356048000},
      {"Thu, 29 Feb 2024 00:00:00 GMT", 1709164800},
      {"Thu, 01 Jan 1970 00:00:00 GMT", 0},
      {"Tue, 19 Jan 2038 03:14:08 GMT", 2147483648},
      {"Thu, 31 Dec 2099 23:59:59 GMT", 4102444799},
  };
  for (const auto& [text, epoch] : cases) {
    auto t = ParseHttpDate(text);
    ASSERT_TRUE(t.has_value()) << text;
    EXPECT_EQ(EpochSeconds(*t), epoch) << text;
  }
}

TEST(HttpDateTest, Rejected) {
  const char* cases[] = {
      "",
      "Fri, 21 Dec 2012 00:00:00",
      "Fri, 21 Dec 2012 00:00:00 UTC",
      "Fri, 21 Dec 2012 00:00:00 GMTx",
      "Fri, 21 Dec 2012 00:00:00 GMT extra",
      "Fri, 32 Dec 2012 00:00:00 GMT",
      "Fri, 00 Dec 2012 00:00:00 GMT",
      "Wed, 31 Apr 2024 00:00:00 GMT",
      "Wed, 29 Feb 2023 00:00:00 GMT",
      "Fri, 21 Dex 2012 00:00:00 GMT",
      "Fry, 21 Dec 2012 00:00:00 GMT",
      "Fri, 21 Dec 2012 24:00:00 GMT",
      "Fri, 21 Dec 2012 00:60:00 GMT",
      "Fri, 21 Dec 12 00:00:00 GMT",
      "Fri 21 Dec 2012 00:00:00 GMT",
      "Fri, 21 Dec 2012 0:00:00 GMT",
      "2012-12-21T00:00:00Z",
      "1356048000",
      // Beyond what a time point holds (int64 ns): refused, not overflowed
      // (tests/fuzz/headers_fuzz.cc found the overflow).
      "Fri, 21 Dec 4025 00:00:00 GMT",
      "Mon, 01 Jan 1600 00:00:00 GMT",
  };
  for (const char* text : cases) {
    EXPECT_FALSE(ParseHttpDate(text).has_value()) << text;
  }
}

TEST(Iso8601Test, Accepted) {
  using std::chrono::milliseconds;
  using std::chrono::nanoseconds;
  EXPECT_EQ(ParseIso8601("2009-10-12T17:50:30.000Z"), FromEpoch(1255369830));
  EXPECT_EQ(ParseIso8601("2009-10-12T17:50:30Z"), FromEpoch(1255369830));
  EXPECT_EQ(ParseIso8601("2009-10-12t17:50:30z"), FromEpoch(1255369830));
  EXPECT_EQ(ParseIso8601("2019-12-11T23:32:47+00:00"), FromEpoch(1576107167));
  EXPECT_EQ(ParseIso8601("2019-12-12T00:32:47+01:00"), FromEpoch(1576107167));
  EXPECT_EQ(ParseIso8601("2019-12-11T21:02:47-0230"), FromEpoch(1576107167));
  EXPECT_EQ(ParseIso8601("2012-12-21T00:00:00.000Z"), FromEpoch(1356048000));
  EXPECT_EQ(ParseIso8601("2012-12-21T00:00:00.5Z"), FromEpoch(1356048000) + milliseconds(500));
  EXPECT_EQ(ParseIso8601("2012-12-21T00:00:00.123Z"), FromEpoch(1356048000) + milliseconds(123));
  EXPECT_EQ(ParseIso8601("2012-12-21T00:00:00.123456789123Z"),
            FromEpoch(1356048000) +
                std::chrono::duration_cast<system_clock::duration>(nanoseconds(123456789)));
  EXPECT_EQ(ParseIso8601("2024-02-29T00:00:00Z"), FromEpoch(1709164800));
}

TEST(Iso8601Test, Rejected) {
  const char* cases[] = {
      "",
      "2009-10-12T17:50:30",        // no zone
      "9999-12-31T00:00:00Z",       // beyond a time point's range
      "2009-10-12 17:50:30Z",
      "2009-13-01T00:00:00Z",
      "2023-02-29T00:00:00Z",
      "2009-10-12T24:00:00Z",
      "2009-10-12T17:50:30.Z",
      "2009-10-12T17:50Z",
      "20091012T175030Z",
      "2009-10-12T17:50:30+25:00",
      "2009-10-12T17:50:30+01",
      "2009-10-12T17:50:30ZZ",
      "Fri, 21 Dec 2012 00:00:00 GMT",
  };
  for (const char* text : cases) {
    EXPECT_FALSE(ParseIso8601(text).has_value()) << text;
  }
}

TEST(Iso8601Test, OffsetsAndFractionsTable) {
  using namespace std::chrono;
  const auto base = sys_days{year{2025} / 3 / 4} + 5h + 6min + 7s;
  struct Case {
    const char* text;
    system_clock::time_point want;
  } ok[] = {
      {"2025-03-04T05:06:07Z", base},
      {"2025-03-04t05:06:07z", base},
      {"2025-03-04T05:06:07.250Z", base + 250ms},
      {"2025-03-04T05:06:07.123456789Z", base + 123456789ns},
      {"2025-03-04T07:06:07+02:00", base},
      {"2025-03-04T04:36:07-0030", base},
  };
  for (const Case& c : ok) {
    EXPECT_EQ(ParseIso8601(c.text), c.want) << c.text;
  }
  const char* bad[] = {"",
                       "2025-03-04",
                       "2025-03-04T05:06:07",  // no zone
                       "2025-03-04 05:06:07Z",
                       "2025-02-30T05:06:07Z",
                       "2025-03-04T25:06:07Z",
                       "2025-03-04T05:06:07.Z",
                       "2025-03-04T05:06:07Zjunk",
                       "2025-03-04T05:06:07+2",
                       "Tue, 04 Mar 2025 05:06:07 GMT"};
  for (const char* b : bad) {
    EXPECT_FALSE(ParseIso8601(b).has_value()) << b;
  }
}

TEST(FormatTest, HttpDateAsInXAmzRestore) {
  EXPECT_EQ(FormatHttpDate(FromEpoch(1356048000)), "Fri, 21 Dec 2012 00:00:00 GMT");
  EXPECT_EQ(FormatHttpDate(FromEpoch(784111777)), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(FormatHttpDate(FromEpoch(0)), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(FormatHttpDate(FromEpoch(1709164800)), "Thu, 29 Feb 2024 00:00:00 GMT");
}

TEST(FormatTest, Iso8601WithMilliseconds) {
  EXPECT_EQ(FormatIso8601(FromEpoch(1255369830)), "2009-10-12T17:50:30.000Z");
  EXPECT_EQ(FormatIso8601(FromEpoch(1356048000) + std::chrono::milliseconds(123)),
            "2012-12-21T00:00:00.123Z");
}

TEST(FormatTest, Iso8601ToTheSecond) {
  EXPECT_EQ(FormatIso8601(FromEpoch(1255369830), Iso8601Precision::kSeconds), "2009-10-12T17:50:30Z");
  // Milliseconds are dropped, never rounded up into the next second.
  EXPECT_EQ(FormatIso8601(FromEpoch(1356047999) + std::chrono::milliseconds(999), Iso8601Precision::kSeconds),
            "2012-12-20T23:59:59Z");
}

TEST(FormatTest, AmzDateIsUtcBasicIso8601) {
  using namespace std::chrono;
  struct Case {
    system_clock::time_point time;
    std::string_view expected;
  } cases[] = {
      {sys_days{2015y / August / 30} + 12h + 36min, "20150830T123600Z"},
      {sys_days{1970y / January / 1}, "19700101T000000Z"},
      {sys_days{2013y / May / 24}, "20130524T000000Z"},
      // Sub-seconds are dropped, never rounded up into the next second or day.
      {sys_days{2024y / February / 29} + 23h + 59min + 59s + 999ms, "20240229T235959Z"},
      {sys_days{2099y / December / 31} + 1h + 2min + 3s, "20991231T010203Z"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(FormatAmzDate(c.time), c.expected);
  }
}

TEST(AmzDateTest, Accepted) {
  EXPECT_EQ(ParseAmzDate("20150830T123600Z"), FromEpoch(1440938160));
  EXPECT_EQ(ParseAmzDate("19700101T000000Z"), FromEpoch(0));
  EXPECT_EQ(ParseAmzDate("20240229T235959Z"), FromEpoch(1709251199));
}

TEST(AmzDateTest, Rejected) {
  const char* bad[] = {"",
                       "20150830T123600",     // no zone
                       "20150830T123600z",    // SigV4 writes an upper-case Z
                       "20150830 123600Z",
                       "2015-08-30T12:36:00Z",  // extended format
                       "20150830T1236Z",
                       "20150830T123600Z ",
                       "20150230T123600Z",    // 30 Feb
                       "20150830T243600Z",
                       "2015083OT123600Z"};
  for (const char* b : bad) {
    EXPECT_FALSE(ParseAmzDate(b).has_value()) << b;
  }
}

TEST(FormatTest, RoundTripsThroughTheParsers) {
  for (int64_t t = 0; t < 4102444800; t += 86400 * 37 + 3661) {
    EXPECT_EQ(ParseHttpDate(FormatHttpDate(FromEpoch(t))), FromEpoch(t)) << t;
    EXPECT_EQ(ParseIso8601(FormatIso8601(FromEpoch(t))), FromEpoch(t)) << t;
    EXPECT_EQ(ParseIso8601(FormatIso8601(FromEpoch(t), Iso8601Precision::kSeconds)), FromEpoch(t)) << t;
    EXPECT_EQ(ParseAmzDate(FormatAmzDate(FromEpoch(t))), FromEpoch(t)) << t;
  }
}

}  // namespace
}  // namespace s3m
