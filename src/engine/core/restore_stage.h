// RestoreStage: archived objects (PRODUCT.md §4) — which restores to ask for,
// when to look at those under way, and what the answers mean for the rows.
//
//   capacity     max_glacier_restores bounds every restore paid for and not
//                yet downloaded: requests on their way, restores running,
//                restored copies waiting for a download slot (they expire).
//   rate         requests are spaced by restore_requests_per_second: each
//                RestoreJob carries the earliest time it may be sent.
//   workers      several workers on one state hold both limits together:
//                each takes requests under the shared row's lock
//                (MigrationStore::LockRestoreShare), counting the others'
//                unanswered requests, and spaces its slots after the latest
//                any of them took.
//   polls        every restore in flight is checked once per
//                restore_poll_interval; between polls nothing wakes the run.
//   restored     a readable copy goes to the front of the download lane.
//   lost         a restore that expired or vanished is asked for again (a
//                request younger than kRestoreGrace may not show yet).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "engine/core/commands.h"
#include "engine/core/events.h"
#include "engine/core/run_context.h"
#include "engine/core/setbacks.h"

namespace s3m::engine {

class RestoreStage {
 public:
  using Mono = Clock::MonoTime;
  static constexpr auto kRestoreGrace = std::chrono::minutes(2);

  RestoreStage(RunContext& ctx, Setbacks& setbacks) : ctx_(ctx), setbacks_(setbacks) {}

  void Start() { next_poll_ = ctx_.now(); }
  // Counts the restores in flight, and takes restore requests as capacity
  // and the rate allow.
  Status TakeRequests(std::vector<RestoreJob>& out);
  // Status checks, when the poll interval has passed and none is running.
  Status TakePolls(std::vector<RestoreCheck>& out);
  Status OnAnswer(const RestoreAnswered& answer);
  bool Idle() const;
  // Walks the archived objects again from the start (rows another worker left).
  void Rewind() {
    cursor_ = 0;
    walked_ = false;
  }
  int64_t in_flight() const { return in_flight_; }
  int64_t ready() const { return ready_; }
  // When the restores under way are next checked (nullopt: none are).
  std::optional<Mono> next_poll() const;

 private:
  int64_t Capacity() const;
  // Restores in flight and restored copies waiting, from the running totals.
  void Count(const store::StateTotals& totals);
  Status TakeUpToCapacity(std::vector<RestoreJob>& out);
  void Request(store::WorkItem item, std::vector<RestoreJob>& out);
  Status OnRequestAnswer(const store::WorkItem& item, const RestoreOutcome& out);
  Status OnCheckAnswer(const store::WorkItem& item, const RestoreOutcome& out);
  Status Settled(const store::WorkItem& item, store::FileState from, const RestoreOutcome& out);
  // A readable copy: recorded, and the object goes to the front of the line.
  Status Restored(const store::WorkItem& item, store::FileState from, const RestoreOutcome& out);
  Status NotRestored(const store::WorkItem& item);

  RunContext& ctx_;
  Setbacks& setbacks_;
  int64_t cursor_ = 0;
  bool walked_ = false;
  size_t pending_requests_ = 0;  // sent, answer not yet recorded
  size_t pending_shared_ = 0;    // as the other workers last read it
  size_t taken_ = 0;             // requests taken this step
  int64_t others_pending_ = 0;   // the other workers' pending requests
  size_t polls_outstanding_ = 0;
  Mono next_poll_{};
  Mono next_token_{};
  int64_t in_flight_ = 0;  // requested or restoring, without a readable copy
  int64_t ready_ = 0;      // restored copies waiting for a download
};

}  // namespace s3m::engine
