// Pacer: throttling shared by every request to one endpoint, as rclone's
// pacer. When S3 answers SlowDown (503) or 429, each worker backing off on its
// own keeps the other workers at full speed and the server throttling; here a
// throttled reply anywhere spaces out everyone's next requests.
//
//   interval      0 while nothing is throttled: requests go at once.
//   OnThrottled   interval = clamp(2 * interval, initial, max)   (attack)
//   OnSuccess     interval -= interval / 2^decay_shift; below floor: 0 (decay)
//   Acquire       each request takes the next slot, slots `interval` apart
//                 (so N workers together send about 1/interval requests/s)
//
// The per-request retry (core/retry.h) still backs off the request that was
// throttled; the pacer slows the rest. Thread-safe; the clock is injected.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>

#include "core/clock.h"

namespace s3m {

class Pacer {
 public:
  struct Options {
    Clock::Duration initial = std::chrono::milliseconds(20);
    Clock::Duration max = std::chrono::seconds(2);
    int decay_shift = 3;  // each success removes 1/8 of the interval
    Clock::Duration floor = std::chrono::milliseconds(1);
  };

  explicit Pacer(Clock& clock) : Pacer(clock, Options{}) {}
  Pacer(Clock& clock, Options options) : clock_(clock), options_(options) {}

  // Waits for this request's slot; returns at once while not throttled, or
  // when `cancelled` becomes true.
  void Acquire(const std::atomic<bool>* cancelled = nullptr);
  // How long the caller must wait for its slot (and takes the slot). Acquire
  // is this plus the sleep.
  Clock::Duration Reserve();
  void OnThrottled();
  void OnSuccess();
  Clock::Duration interval() const;

 private:
  Clock& clock_;
  const Options options_;
  mutable std::mutex mu_;
  Clock::Duration interval_{0};      // guarded by mu_
  Clock::MonoTime next_slot_{};      // guarded by mu_
};

}  // namespace s3m
