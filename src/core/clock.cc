#include "core/clock.h"

#include <algorithm>
#include <thread>

namespace s3m {

Clock& Clock::Real() {
  static SystemClock clock;
  return clock;
}

void SystemClock::SleepFor(Duration d) { std::this_thread::sleep_for(d); }

Clock::WallTime FakeClock::Now() const {
  std::lock_guard lock(mu_);
  return wall_;
}

Clock::MonoTime FakeClock::MonotonicNow() const {
  std::lock_guard lock(mu_);
  return mono_;
}

void FakeClock::SleepFor(Duration d) {
  std::lock_guard lock(mu_);
  wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
  mono_ += d;
  slept_ += d;
}

void FakeClock::Advance(Duration d) {
  std::lock_guard lock(mu_);
  wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
  mono_ += d;
}

Clock::Duration FakeClock::TotalSlept() const {
  std::lock_guard lock(mu_);
  return slept_;
}

void SleepUnlessCancelled(Clock& clock, Clock::Duration wait, const std::atomic<bool>* cancelled) {
  constexpr Clock::Duration kStep = std::chrono::milliseconds(100);
  while (wait > Clock::Duration::zero() && !(cancelled != nullptr && cancelled->load())) {
    const Clock::Duration step = std::min(wait, kStep);
    clock.SleepFor(step);
    wait -= step;
  }
}

}  // namespace s3m
