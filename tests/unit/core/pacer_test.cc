#include "core/pacer.h"

#include <gtest/gtest.h>

namespace s3m {
namespace {

using std::chrono::milliseconds;

TEST(PacerTest, NoPaceUntilThrottled) {
  FakeClock clock;
  Pacer pacer(clock);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(pacer.Reserve(), Clock::Duration::zero());
  EXPECT_EQ(pacer.interval(), Clock::Duration::zero());
}

TEST(PacerTest, ThrottlingSpacesEveryCallerAndBacksOffUpToTheMax) {
  FakeClock clock;
  Pacer pacer(clock, {milliseconds(20), milliseconds(160), 3, milliseconds(1)});
  pacer.OnThrottled();
  EXPECT_EQ(pacer.interval(), milliseconds(20));
  // Four workers asking at the same instant get slots 20 ms apart.
  EXPECT_EQ(pacer.Reserve(), milliseconds(0));
  EXPECT_EQ(pacer.Reserve(), milliseconds(20));
  EXPECT_EQ(pacer.Reserve(), milliseconds(40));
  EXPECT_EQ(pacer.Reserve(), milliseconds(60));
  for (int i = 0; i < 5; ++i) pacer.OnThrottled();
  EXPECT_EQ(pacer.interval(), milliseconds(160));
  // Acquire sleeps for the slot on the injected clock.
  clock.Advance(std::chrono::seconds(10));
  pacer.Acquire();
  const auto before = clock.TotalSlept();
  pacer.Acquire();
  EXPECT_EQ(clock.TotalSlept() - before, milliseconds(160));
}

TEST(PacerTest, SuccessesDecayThePaceToNothing) {
  FakeClock clock;
  Pacer pacer(clock, {milliseconds(20), milliseconds(2000), 3, milliseconds(1)});
  for (int i = 0; i < 7; ++i) pacer.OnThrottled();
  EXPECT_EQ(pacer.interval(), milliseconds(1280));
  pacer.OnSuccess();
  EXPECT_EQ(pacer.interval(), milliseconds(1120));  // minus an eighth
  int successes = 1;
  while (pacer.interval() > Clock::Duration::zero() && successes < 1000) {
    pacer.OnSuccess();
    ++successes;
  }
  EXPECT_EQ(pacer.interval(), Clock::Duration::zero());
  EXPECT_LT(successes, 60);
  EXPECT_EQ(pacer.Reserve(), Clock::Duration::zero());
}

}  // namespace
}  // namespace s3m
