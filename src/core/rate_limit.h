// RateLimit: at most `per_second` requests a second, spaced evenly
// (--max-requests-per-second, issue 21). Every request takes the next slot,
// 1/per_second after the previous one, whatever thread asks: a shared budget
// for all of a process's workers. No burst: over any window of T seconds at
// most per_second * T + 1 requests start. Several processes holding one
// limit each take a share (SetShare). Thread-safe; the clock is injected.
#pragma once

#include <atomic>
#include <mutex>

#include "core/clock.h"

namespace s3m {

class RateLimit {
 public:
  RateLimit(Clock& clock, double per_second);

  // How long the caller must wait for its slot (and takes it).
  Clock::Duration Reserve();
  // Reserve, then wait in short steps (a Ctrl+C is not kept waiting).
  void Acquire(const std::atomic<bool>* cancelled = nullptr);
  double per_second() const { return per_second_; }
  // This process's part of a limit several processes hold together (the
  // workers of one shared state, issue 20): 1/parts of per_second from the
  // next slot on. parts < 1 counts as 1.
  void SetShare(int parts);

 private:
  Clock& clock_;
  const double per_second_;
  Clock::Duration interval_;     // guarded by mu_
  std::mutex mu_;
  Clock::MonoTime next_slot_{};  // guarded by mu_
};

}  // namespace s3m
