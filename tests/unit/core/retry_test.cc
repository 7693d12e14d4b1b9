#include "core/retry.h"

#include <gtest/gtest.h>

#include <vector>

namespace s3m {
namespace {

using std::chrono::milliseconds;

// A random source that always returns the given value, so delays are exact.
UniformRandom Fixed(double value) {
  return [value] { return value; };
}

TEST(BackoffTest, FullJitterScalesTheExponentialCeiling) {
  RetryPolicy policy;
  policy.base_delay = milliseconds(100);
  policy.max_delay = milliseconds(20000);
  Backoff backoff(policy, Fixed(0.5));
  EXPECT_EQ(backoff.DelayFor(0, ErrorKind::kTransient), milliseconds(50));
  EXPECT_EQ(backoff.DelayFor(1, ErrorKind::kTransient), milliseconds(100));
  EXPECT_EQ(backoff.DelayFor(3, ErrorKind::kTransient), milliseconds(400));
}

TEST(BackoffTest, CeilingIsCappedAndHugeAttemptsDoNotOverflow) {
  RetryPolicy policy;
  policy.base_delay = milliseconds(100);
  policy.max_delay = milliseconds(5000);
  Backoff backoff(policy, Fixed(1.0));
  EXPECT_EQ(backoff.DelayFor(10, ErrorKind::kTransient), milliseconds(5000));
  EXPECT_EQ(backoff.DelayFor(1000000, ErrorKind::kTransient), milliseconds(5000));
  EXPECT_EQ(backoff.DelayFor(-3, ErrorKind::kTransient), milliseconds(100));
}

TEST(BackoffTest, ThrottlingStartsFromALargerBase) {
  RetryPolicy policy;
  policy.base_delay = milliseconds(100);
  policy.throttled_base_delay = milliseconds(1000);
  Backoff backoff(policy, Fixed(1.0));
  EXPECT_EQ(backoff.DelayFor(0, ErrorKind::kThrottled), milliseconds(1000));
  EXPECT_EQ(backoff.DelayFor(2, ErrorKind::kThrottled), milliseconds(4000));
}

TEST(BackoffTest, ZeroRandomMeansNoWait) {
  Backoff backoff(RetryPolicy{}, Fixed(0.0));
  EXPECT_EQ(backoff.DelayFor(5, ErrorKind::kTransient), Clock::Duration::zero());
}

TEST(RetryCallTest, RetriesTransientUntilSuccessSleepingTheBackoff) {
  FakeClock clock;
  RetryPolicy policy;
  policy.base_delay = milliseconds(100);
  Backoff backoff(policy, Fixed(1.0));
  std::vector<int> attempts;
  Result<int> r = RetryCall(backoff, clock, [&](int n) -> Result<int> {
    attempts.push_back(n);
    if (n < 3) return Status::Error(ErrorKind::kTransient, "reset");
    return 42;
  });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 42);
  EXPECT_EQ(attempts, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(clock.TotalSlept(), milliseconds(100 + 200 + 400));
}

TEST(RetryCallTest, NeverRetriesNonRetryableKinds) {
  for (ErrorKind kind : {ErrorKind::kAuth, ErrorKind::kNotFound, ErrorKind::kPreconditionFailed,
                         ErrorKind::kNeedsRestore, ErrorKind::kFatal}) {
    FakeClock clock;
    Backoff backoff(RetryPolicy{}, Fixed(1.0));
    int calls = 0;
    Status s = RetryCall(backoff, clock, [&](int) {
      ++calls;
      return Status::Error(kind, "no");
    });
    EXPECT_EQ(s.kind(), kind);
    EXPECT_EQ(calls, 1) << ErrorKindName(kind);
    EXPECT_EQ(clock.TotalSlept(), Clock::Duration::zero());
  }
}

TEST(RetryCallTest, GivesUpAfterMaxAttemptsWithTheLastError) {
  FakeClock clock;
  RetryPolicy policy;
  policy.max_attempts = 4;
  Backoff backoff(policy, Fixed(0.0));
  int calls = 0;
  Status s = RetryCall(backoff, clock, [&](int n) {
    ++calls;
    return Status::Error(ErrorKind::kThrottled, "slow down " + std::to_string(n));
  });
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(s.message(), "slow down 3");
}

TEST(RetryCallTest, StopsWhenCancelled) {
  FakeClock clock;
  Backoff backoff(RetryPolicy{}, Fixed(1.0));
  std::atomic<bool> cancelled{false};
  int calls = 0;
  Status s = RetryCall(
      backoff, clock,
      [&](int) {
        ++calls;
        cancelled = true;
        return Status::Error(ErrorKind::kTransient, "boom");
      },
      &cancelled);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(s.kind(), ErrorKind::kTransient);
}

TEST(FakeClockTest, AdvanceMovesBothClocksWithoutCountingSleep) {
  FakeClock clock;
  auto wall = clock.Now();
  auto mono = clock.MonotonicNow();
  clock.Advance(std::chrono::seconds(5));
  EXPECT_EQ(clock.Now() - wall, std::chrono::seconds(5));
  EXPECT_EQ(clock.MonotonicNow() - mono, std::chrono::seconds(5));
  EXPECT_EQ(clock.TotalSlept(), Clock::Duration::zero());
}

}  // namespace
}  // namespace s3m
