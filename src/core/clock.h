// Time behind an interface so that signing, backoff and polling can be tested
// with a frozen clock and no real sleeping.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>

namespace s3m {

class Clock {
 public:
  using WallTime = std::chrono::system_clock::time_point;
  using MonoTime = std::chrono::steady_clock::time_point;
  using Duration = std::chrono::nanoseconds;

  virtual ~Clock() = default;
  // Wall-clock time: request signatures, timestamps stored in the database.
  virtual WallTime Now() const = 0;
  // Monotonic time: timeouts, backoff, throughput.
  virtual MonoTime MonotonicNow() const = 0;
  // Blocks the calling thread for `d` (a fake clock advances instead).
  virtual void SleepFor(Duration d) = 0;

  // The process-wide real clock.
  static Clock& Real();
};

// Sleeps `wait` on `clock` in steps of at most 100 ms, returning early once
// `cancelled` (may be null) is true: a Ctrl+C is never kept waiting.
void SleepUnlessCancelled(Clock& clock, Clock::Duration wait, const std::atomic<bool>* cancelled);

class SystemClock final : public Clock {
 public:
  WallTime Now() const override { return std::chrono::system_clock::now(); }
  MonoTime MonotonicNow() const override { return std::chrono::steady_clock::now(); }
  void SleepFor(Duration d) override;
};

// A clock that only moves when told to. SleepFor() advances it and records the
// total slept, so tests can assert exact backoff delays. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(WallTime start = WallTime{}) : wall_(start) {}

  WallTime Now() const override;
  MonoTime MonotonicNow() const override;
  void SleepFor(Duration d) override;
  void Advance(Duration d);
  Duration TotalSlept() const;

 private:
  mutable std::mutex mu_;
  // Guarded by mu_:
  WallTime wall_;
  MonoTime mono_{};
  Duration slept_{0};
};

}  // namespace s3m
