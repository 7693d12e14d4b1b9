// WriteFence: whether this process may still write into the partial files
// of the objects it holds and publish them (issue 20, several workers).
//
// A worker's objects may be taken over by another worker once its heartbeat
// is older than its lease (worker_heartbeat.h). The heartbeat moves this
// fence to half a lease past each renewal it sent; every write into a
// partial file and every publish asks the fence first. A worker that could
// not renew in time — the database unreachable, or the whole process frozen
// (SIGSTOP, a paused VM), its heartbeat thread included — therefore writes
// nothing more as soon as it runs again, before anyone may have taken its
// objects over: two workers never write the same file. The deadline is on
// this host's monotonic clock, the lapse on the server's: only their rates
// must agree, and the half-lease margin absorbs the difference.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "core/clock.h"
#include "core/status.h"

namespace s3m {

class WriteFence {
 public:
  WriteFence(Clock& clock, Clock::MonoTime deadline) : clock_(clock), deadline_ns_(Ns(deadline)) {}

  // Moves the deadline later (never earlier) while the fence is open; once
  // closed it stays closed: a renewal that lands after the deadline does
  // not make the objects this worker held its own again. Thread-safe.
  void ExtendTo(Clock::MonoTime deadline) {
    const int64_t ns = Ns(deadline);
    int64_t current = deadline_ns_.load(std::memory_order_relaxed);
    while (ns > current && Ns(clock_.MonotonicNow()) < current &&
           !deadline_ns_.compare_exchange_weak(current, ns, std::memory_order_relaxed)) {
    }
  }
  // True until the deadline. Thread-safe; one clock read.
  bool open() const { return Ns(clock_.MonotonicNow()) < deadline_ns_.load(std::memory_order_relaxed); }
  // OK while open; kCancelled after (the partial file is kept as it is).
  Status Check() const {
    if (open()) return Status::Ok();
    return Status::Error(ErrorKind::kCancelled,
                         "this worker could not renew its lease in time: it writes nothing more (another "
                         "worker may take its objects over)");
  }

 private:
  static int64_t Ns(Clock::MonoTime t) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  }
  Clock& clock_;
  std::atomic<int64_t> deadline_ns_;
};

}  // namespace s3m
