#include "core/rate_limit.h"

#include <algorithm>

namespace s3m {

RateLimit::RateLimit(Clock& clock, double per_second)
    : clock_(clock),
      per_second_(per_second),
      interval_(std::chrono::duration_cast<Clock::Duration>(std::chrono::duration<double>(1.0 / per_second))) {}

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
