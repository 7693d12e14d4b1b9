#include "core/rate_limit.h"

#include <gtest/gtest.h>

namespace s3m {
namespace {

using std::chrono::milliseconds;

TEST(RateLimitTest, SlotsAreSpacedEvenlyWithoutBurst) {
  FakeClock clock;
  RateLimit limit(clock, 5);  // one every 200 ms
  EXPECT_EQ(limit.Reserve(), milliseconds(0));
  EXPECT_EQ(limit.Reserve(), milliseconds(200));
  EXPECT_EQ(limit.Reserve(), milliseconds(400));
  clock.Advance(milliseconds(1000));  // idle time is not saved up as a burst
  EXPECT_EQ(limit.Reserve(), milliseconds(0));
  EXPECT_EQ(limit.Reserve(), milliseconds(200));
}

TEST(RateLimitTest, OverAnyWindowAtMostRateTimesSecondsPlusOneStart) {
  FakeClock clock;
  RateLimit limit(clock, 20);
  int started = 0;
  const auto start = clock.MonotonicNow();
  while (clock.MonotonicNow() - start < std::chrono::seconds(10)) {
    limit.Acquire();  // FakeClock::SleepFor advances the clock
    if (clock.MonotonicNow() - start < std::chrono::seconds(10)) ++started;
  }
  EXPECT_EQ(started, 200);
}

// Workers of one shared state: each takes 1/N of the limit, from the next
// slot on; the share follows N as workers come and go.
TEST(RateLimitTest, AShareSpacesSlotsByTheNumberOfParts) {
  FakeClock clock;
  RateLimit limit(clock, 10);  // one every 100 ms
  EXPECT_EQ(limit.Reserve(), milliseconds(0));
  limit.SetShare(4);  // now one every 400 ms
  EXPECT_EQ(limit.Reserve(), milliseconds(100));
  EXPECT_EQ(limit.Reserve(), milliseconds(500));
  limit.SetShare(1);
  EXPECT_EQ(limit.Reserve(), milliseconds(900));
  EXPECT_EQ(limit.Reserve(), milliseconds(1000));
  limit.SetShare(0);  // counts as 1
  EXPECT_EQ(limit.Reserve(), milliseconds(1100));
  EXPECT_EQ(limit.per_second(), 10);
}

TEST(RateLimitTest, ACancelledWaitReturnsAtOnce) {
  FakeClock clock;
  RateLimit limit(clock, 0.1);  // one every 10 s
  limit.Reserve();
  std::atomic<bool> cancelled{true};
  limit.Acquire(&cancelled);
  EXPECT_EQ(clock.TotalSlept(), Clock::Duration::zero());
}

}  // namespace
}  // namespace s3m
