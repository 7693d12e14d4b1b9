#include "core/pacer.h"

#include <algorithm>

namespace s3m {

Clock::Duration Pacer::Reserve() {
  std::lock_guard lock(mu_);
  if (interval_ == Clock::Duration::zero()) return Clock::Duration::zero();
  const Clock::MonoTime now = clock_.MonotonicNow();
  const Clock::MonoTime slot = std::max(now, next_slot_);
  next_slot_ = slot + interval_;
  return slot - now;
}

void Pacer::Acquire(const std::atomic<bool>* cancelled) {
  SleepUnlessCancelled(clock_, Reserve(), cancelled);
}

void Pacer::OnThrottled() {
  std::lock_guard lock(mu_);
  interval_ = std::clamp(2 * interval_, options_.initial, options_.max);
}

void Pacer::OnSuccess() {
  std::lock_guard lock(mu_);
  if (interval_ == Clock::Duration::zero()) return;
  interval_ -= interval_ / (1 << options_.decay_shift);
  if (interval_ < options_.floor) interval_ = Clock::Duration::zero();
}

Clock::Duration Pacer::interval() const {
  std::lock_guard lock(mu_);
  return interval_;
}

}  // namespace s3m
