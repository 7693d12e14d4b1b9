#include "core/rate_limit.h"

#include <algorithm>

namespace s3m {

namespace {
Clock::Duration Interval(double per_second, int parts) {
  return std::chrono::duration_cast<Clock::Duration>(
      std::chrono::duration<double>(std::max(1, parts) / per_second));
}
}  // namespace

RateLimit::RateLimit(Clock& clock, double per_second)
    : clock_(clock), per_second_(per_second), interval_(Interval(per_second, 1)) {}

void RateLimit::SetShare(int parts) {
  std::lock_guard lock(mu_);
  interval_ = Interval(per_second_, parts);
}

Clock::Duration RateLimit::Reserve() {
  std::lock_guard lock(mu_);
  const Clock::MonoTime now = clock_.MonotonicNow();
  const Clock::MonoTime slot = std::max(now, next_slot_);
  next_slot_ = slot + interval_;
  return slot - now;
}

void RateLimit::Acquire(const std::atomic<bool>* cancelled) {
  SleepUnlessCancelled(clock_, Reserve(), cancelled);
}

}  // namespace s3m
