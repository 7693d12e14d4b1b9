// BandwidthLimit: the bytes every transfer of the process receives, paced to
// the rate its BandwidthSchedule gives for the time of day (--bwlimit, issue
// 21). One shared timeline for all threads: a received block may pass once
// the blocks passed before it are due (1/rate per byte), give or take a
// tenth of a second of burst; until then its thread sleeps (in the write
// callback: TCP then slows the sender). Over any window of T seconds at most
// rate * (T + 0.1) bytes pass, plus the last block.
//
// Nothing is reserved ahead: a waiting thread only looks again, in steps of
// at most 200 ms, so a new rate (SIGHUP, the config file changing, the
// timetable's next entry) applies to every transfer within that step. The
// rate in force is looked up at most once a second; a change forgets the
// time owed at the old one. Thread-safe; the clock is injected.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "core/bandwidth_schedule.h"
#include "core/clock.h"

namespace s3m {

class BandwidthLimit {
 public:
  BandwidthLimit(Clock& clock, BandwidthSchedule schedule);

  void SetSchedule(BandwidthSchedule schedule);
  BandwidthSchedule schedule() const;
  // The rate in force now (nullopt: none).
  std::optional<uint64_t> rate();

  // What the progress display shows, read under one lock.
  struct InForce {
    std::optional<uint64_t> rate;  // now
    std::string setting;           // as given; "" when it never limits
    bool timetable = false;        // the rate changes with the time of day
  };
  InForce in_force();

  // Lets `bytes` pass and returns zero when they are due, or returns how
  // long until they are (and lets nothing pass).
  Clock::Duration TryPass(uint64_t bytes);
  // Waits, in short steps, until `bytes` may pass (or `cancelled` is set).
  void Acquire(uint64_t bytes, const std::atomic<bool>* cancelled = nullptr);

 private:
  void RefreshLocked(Clock::MonoTime now);

  Clock& clock_;
  mutable std::mutex mu_;
  BandwidthSchedule schedule_;        // guarded by mu_
  std::optional<uint64_t> rate_;      // guarded by mu_
  Clock::MonoTime next_free_{};       // guarded by mu_: when the reserved bytes have passed
  Clock::MonoTime refreshed_at_{};    // guarded by mu_
  bool refreshed_ = false;            // guarded by mu_
};

// Seconds since local midnight at `when`.
int LocalSecondOfDay(Clock::WallTime when);

}  // namespace s3m
