#include "core/bandwidth_limit.h"

#include <time.h>

#include <algorithm>
#include <chrono>

namespace s3m {
namespace {

constexpr Clock::Duration kBurst = std::chrono::milliseconds(100);
constexpr Clock::Duration kRefreshEvery = std::chrono::seconds(1);
constexpr Clock::Duration kLookAgain = std::chrono::milliseconds(200);

}  // namespace

int LocalSecondOfDay(Clock::WallTime when) {
  const time_t t = std::chrono::system_clock::to_time_t(when);
  struct tm local {};
  localtime_r(&t, &local);
  return local.tm_hour * 3600 + local.tm_min * 60 + local.tm_sec;
}

BandwidthLimit::BandwidthLimit(Clock& clock, BandwidthSchedule schedule)
    : clock_(clock), schedule_(std::move(schedule)) {}

void BandwidthLimit::SetSchedule(BandwidthSchedule schedule) {
  std::lock_guard lock(mu_);
  schedule_ = std::move(schedule);
  refreshed_ = false;  // looked up at the next block
}

BandwidthSchedule BandwidthLimit::schedule() const {
  std::lock_guard lock(mu_);
  return schedule_;
}

std::optional<uint64_t> BandwidthLimit::rate() {
  std::lock_guard lock(mu_);
  RefreshLocked(clock_.MonotonicNow());
  return rate_;
}

void BandwidthLimit::RefreshLocked(Clock::MonoTime now) {
  if (refreshed_ && now - refreshed_at_ < kRefreshEvery) return;
  refreshed_ = true;
  refreshed_at_ = now;
  const std::optional<uint64_t> rate = schedule_.RateAt(LocalSecondOfDay(clock_.Now()));
  if (rate != rate_) next_free_ = now;  // the old rate's debt is not the new one's
  rate_ = rate;
}

BandwidthLimit::InForce BandwidthLimit::in_force() {
  std::lock_guard lock(mu_);
  RefreshLocked(clock_.MonotonicNow());
  if (!schedule_.limits_ever()) return {};
  return {rate_, schedule_.text(), schedule_.NextChangeAfter(0).has_value()};
}

Clock::Duration BandwidthLimit::TryPass(uint64_t bytes) {
  std::lock_guard lock(mu_);
  const Clock::MonoTime now = clock_.MonotonicNow();
  RefreshLocked(now);
  if (!rate_) return Clock::Duration::zero();
  if (next_free_ > now + kBurst) return next_free_ - now - kBurst;
  // Unused time does not pile up beyond the burst.
  next_free_ = std::max(next_free_, now - kBurst) +
               std::chrono::duration_cast<Clock::Duration>(
                   std::chrono::duration<double>(static_cast<double>(bytes) / static_cast<double>(*rate_)));
  return Clock::Duration::zero();
}

void BandwidthLimit::Acquire(uint64_t bytes, const std::atomic<bool>* cancelled) {
  for (Clock::Duration wait; (wait = TryPass(bytes)) > Clock::Duration::zero();) {
    if (cancelled != nullptr && cancelled->load()) return;
    SleepUnlessCancelled(clock_, std::min<Clock::Duration>(wait, kLookAgain), cancelled);
  }
}

}  // namespace s3m
