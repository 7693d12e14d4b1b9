// DeleteScheduler: which verified objects go to the delete gate, in which
// batches, and when — decided in pure code on the caller's clock readings, so
// unit tests drive it from tables (no threads, no S3).
//
// S3 bills DeleteObjects per request, 1,000 keys or 1, so:
//   * a bucket's pending requests leave as soon as they fill a batch;
//   * a partial batch leaves when nothing more is coming soon (the caller
//     says so) or when its oldest request has waited `max_wait`;
//   * at most `max_batches_in_flight` batches are out at once; the rest wait.
// A failed delete comes back through RetryAt and rejoins the pending ones at
// its time.
//
// Ordering contract (PRODUCT.md §5.1): the caller Add()s a request only in
// the transaction that records its object `verified`, and calls
// TakeBatches() only after that transaction committed.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "engine/delete_gate.h"

namespace s3m::engine {

struct DeleteBatch {
  std::string bucket;
  std::vector<DeleteRequest> requests;
};

class DeleteScheduler {
 public:
  using Mono = Clock::MonoTime;
  struct Options {
    size_t batch_size = 1000;  // DeleteObjects' limit
    Clock::Duration max_wait = std::chrono::seconds(1);
    size_t max_batches_in_flight = 4;
  };

  DeleteScheduler() : DeleteScheduler(Options{}) {}
  explicit DeleteScheduler(Options options) : options_(options) {}

  void Add(DeleteRequest request, Mono now);
  // A delete that failed, to be sent again at `at`.
  void RetryAt(DeleteRequest request, Mono at);
  // The batches to hand to the gate now (each counts as in flight until
  // BatchDone). `no_more_coming`: flush partial batches at once.
  std::vector<DeleteBatch> TakeBatches(Mono now, bool no_more_coming);
  void BatchDone();

  size_t pending() const { return pending_count_; }
  size_t in_flight() const { return in_flight_; }
  // Room for more: the caller's walk over verified rows may add some.
  bool WantsMore() const;
  // Nothing pending, out, or waiting to be retried.
  bool Idle() const { return pending_count_ == 0 && in_flight_ == 0 && retries_.empty(); }
  // When TakeBatches may have something new to send (a partial batch's wait
  // ends, a retry is due); nullopt when nothing waits on time, or when the
  // in-flight limit holds everything back (only an answer can free it).
  std::optional<Mono> NextWake() const;
  // The database failed: nothing more may be deleted. Drops what was not
  // handed out yet.
  void Clear();

 private:
  void MoveDueRetries(Mono now);

  const Options options_;
  std::map<std::string, std::vector<DeleteRequest>> pending_;  // bucket -> requests, oldest first
  size_t pending_count_ = 0;
  std::optional<Mono> oldest_;  // when the oldest pending request came
  std::vector<std::pair<Mono, DeleteRequest>> retries_;
  size_t in_flight_ = 0;
};

}  // namespace s3m::engine
