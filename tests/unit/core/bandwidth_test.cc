// --bwlimit: the timetable (core/bandwidth_schedule.h) and the shared pacing
// of received bytes (core/bandwidth_limit.h), on a fake clock.
#include <gtest/gtest.h>

#include <atomic>
#include <algorithm>
#include <chrono>
#include <functional>

#include "core/bandwidth_limit.h"
#include "core/bandwidth_schedule.h"

namespace s3m {
namespace {

constexpr uint64_t kMiB = 1 << 20;

BandwidthSchedule Parsed(const char* text) {
  auto schedule = BandwidthSchedule::Parse(text);
  EXPECT_TRUE(schedule.ok()) << text << ": " << schedule.status().ToString();
  return schedule.ok() ? *schedule : BandwidthSchedule();
}

TEST(BandwidthScheduleTest, RatesWithBinarySuffixes) {
  EXPECT_EQ(Parsed("10M").RateAt(0), 10 * kMiB);
  EXPECT_EQ(Parsed("512k").RateAt(0), 512u * 1024);
  EXPECT_EQ(Parsed("1.5M").RateAt(0), 3 * kMiB / 2);
  EXPECT_EQ(Parsed("2048").RateAt(0), 2048u);
  EXPECT_EQ(Parsed("1G").RateAt(50000), 1024 * kMiB);
  EXPECT_EQ(Parsed("off").RateAt(0), std::nullopt);
  EXPECT_EQ(Parsed("").RateAt(0), std::nullopt);
  EXPECT_FALSE(Parsed("").limits_ever());
  EXPECT_TRUE(Parsed("10M").limits_ever());
  EXPECT_EQ(Parsed("08:00,2M 12:00,512K 19:00,off").lowest_rate(), 512u * 1024);
  EXPECT_EQ(Parsed("off").lowest_rate(), std::nullopt);
}

TEST(BandwidthScheduleTest, ATimetableHoldsEachRateUntilTheNextAndWrapsAtMidnight) {
  const BandwidthSchedule s = Parsed("19:00,10M 08:00,512K 23:30:30,off");
  const auto at = [](int h, int m, int sec = 0) { return h * 3600 + m * 60 + sec; };
  EXPECT_EQ(s.RateAt(at(7, 59)), std::nullopt) << "before the first entry: yesterday's last (off)";
  EXPECT_EQ(s.RateAt(at(8, 0)), 512u * 1024);
  EXPECT_EQ(s.RateAt(at(18, 59, 59)), 512u * 1024);
  EXPECT_EQ(s.RateAt(at(19, 0)), 10 * kMiB);
  EXPECT_EQ(s.RateAt(at(23, 30, 29)), 10 * kMiB);
  EXPECT_EQ(s.RateAt(at(23, 30, 30)), std::nullopt);
  EXPECT_EQ(s.NextChangeAfter(at(12, 0)), at(19, 0));
  EXPECT_EQ(s.NextChangeAfter(at(23, 45)), at(8, 0)) << "tomorrow morning";
  EXPECT_EQ(Parsed("5M").NextChangeAfter(0), std::nullopt);
  EXPECT_EQ(s.text(), "19:00,10M 08:00,512K 23:30:30,off");
}

TEST(BandwidthScheduleTest, MistakesAreNamed) {
  for (const char* bad : {"10X", "-1M", "0", "fast", "25:00,1M", "08:60,1M", "8:00,1M", "08:00,", "08:00,1M 2M",
                          "08:00,1M 08:00,2M", "08:00:00:00,1M", "nanM"}) {
    auto parsed = BandwidthSchedule::Parse(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().kind(), ErrorKind::kInvalidArgument);
    EXPECT_NE(parsed.status().message().find(bad), std::string::npos) << parsed.status().message();
  }
}

TEST(BandwidthLimitTest, BytesPassAtTheRateWithATenthOfASecondOfBurst) {
  FakeClock clock;
  BandwidthLimit limit(clock, Parsed("1M"));
  const auto start = clock.MonotonicNow();
  // 10 MiB in 64 KiB blocks: about 10 s, whatever the block size.
  for (int i = 0; i < 160; ++i) limit.Acquire(64 * 1024);
  const double seconds = std::chrono::duration<double>(clock.MonotonicNow() - start).count();
  EXPECT_GE(seconds, 9.7) << "10 MiB less the burst and the last block, at 1 MiB/s";
  EXPECT_LE(seconds, 10.0);
  // A pause does not bank time beyond the burst.
  clock.Advance(std::chrono::seconds(30));
  EXPECT_EQ(limit.TryPass(kMiB), Clock::Duration::zero()) << "due: passes (its time is owed after it)";
  const Clock::Duration owed = limit.TryPass(1);
  EXPECT_GE(owed, std::chrono::milliseconds(790)) << "1 s of bytes, less the burst it started with and the one it may run ahead";
  EXPECT_LE(owed, std::chrono::milliseconds(810));
  EXPECT_EQ(limit.TryPass(1), owed) << "a block not passed owes nothing";
}

TEST(BandwidthLimitTest, OffPassesEverythingAndANewScheduleTakesEffectAtOnce) {
  FakeClock clock;
  BandwidthLimit limit(clock, Parsed("off"));
  EXPECT_EQ(limit.TryPass(100 * kMiB), Clock::Duration::zero());
  EXPECT_EQ(limit.rate(), std::nullopt);
  limit.SetSchedule(Parsed("1M"));
  EXPECT_EQ(limit.rate(), kMiB);
  EXPECT_EQ(limit.TryPass(10 * kMiB), Clock::Duration::zero());
  EXPECT_GT(limit.TryPass(1), std::chrono::seconds(9)) << "ten seconds owed";
  limit.SetSchedule(Parsed("off"));
  EXPECT_EQ(limit.TryPass(kMiB), Clock::Duration::zero()) << "the old rate's debt is forgotten";
  limit.SetSchedule(Parsed("10M"));
  EXPECT_EQ(limit.TryPass(kMiB / 2), Clock::Duration::zero()) << "nor carried into the new rate";
}

// A clock whose sleeps run a hook (here: the schedule changes while a
// transfer waits).
class HookedClock final : public Clock {
 public:
  WallTime Now() const override { return fake_.Now(); }
  MonoTime MonotonicNow() const override { return fake_.MonotonicNow(); }
  void SleepFor(Duration d) override {
    longest_sleep = std::max(longest_sleep, d);
    if (++sleeps == hook_at && hook) hook();
    fake_.SleepFor(d);
  }
  int sleeps = 0;
  int hook_at = 0;
  std::function<void()> hook;
  Duration longest_sleep{};

 private:
  FakeClock fake_;
};

// A transfer waiting for its turn sees a new rate within one step, instead
// of sleeping out what the old rate owed.
TEST(BandwidthLimitTest, AWaitingTransferSeesTheNewRateWithinAStep) {
  HookedClock clock;
  BandwidthLimit limit(clock, Parsed("64K"));
  ASSERT_EQ(limit.TryPass(64 * 1024 * 60), Clock::Duration::zero());  // a minute owed
  clock.hook_at = 3;
  clock.hook = [&limit] { limit.SetSchedule(Parsed("off")); };
  const auto start = clock.MonotonicNow();
  std::atomic<bool> cancelled{false};
  limit.Acquire(1024, &cancelled);
  EXPECT_LE(clock.MonotonicNow() - start, std::chrono::milliseconds(400));
  EXPECT_LE(clock.longest_sleep, std::chrono::milliseconds(200));
}

}  // namespace
}  // namespace s3m
