// DeleteStage: verified objects on their way to the delete gate, and what the
// gate's answers mean for their rows.
//
// Eligibility is the DeletePolicy's alone (delete_policy.h): a request the
// policy refuses is never queued (it stays `verified`, reported as left
// behind). Ordering (PRODUCT.md §5.1): Queue() is called in the transaction
// that records the object `verified`; Flush() hands out batches that are sent
// only after that transaction committed. `deleted` is written only after S3
// confirmed the delete; a failed delete leaves the row `verified` and comes
// back after a back-off, until the failure policy gives up on it.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "engine/core/delete_policy.h"
#include "engine/core/events.h"
#include "engine/core/run_context.h"
#include "engine/core/setbacks.h"
#include "engine/delete_scheduler.h"
#include "engine/file_system.h"

namespace s3m::engine {

class DeleteStage {
 public:
  DeleteStage(RunContext& ctx, Setbacks& setbacks, const DeletePolicy& policy, FileSystem& fs)
      : ctx_(ctx), setbacks_(setbacks), policy_(policy), fs_(fs) {}

  // `item` was just recorded `verified` (by `size_only` when no checksum or
  // MD5 ETag could be compared).
  void Queue(const store::WorkItem& item, bool size_only);
  // Rows verified by earlier runs: one walk, as room allows. Each is queued
  // only while its copy is on disk as verified (a regular file of the
  // recorded size at local_path): the state may come from another host
  // (`state import`) or the copy may have been removed since; otherwise the
  // row goes to `error` and S3 is left alone (PRODUCT.md §5.1). When the
  // disk cannot answer (EIO, EACCES) the row stays verified, unqueued.
  Status TakeVerified();
  // The batches to send now; `nothing_more_coming` flushes partial ones.
  void Flush(std::vector<DeleteBatch>& out, bool nothing_more_coming);
  // Rows it moves to 'deleted' are added to `deleted` (Commands::deleted).
  Status OnAnswer(const DeleteAnswered& answer, std::vector<int64_t>& deleted);

  // Nothing left to delete in this run (or nothing ever will be).
  bool Idle() const { return policy_.RefusesEverything() || (walked_ && scheduler_.Idle()); }
  bool walked() const { return walked_; }
  // Walks the verified rows again from the start (rows another worker left).
  void Rewind() {
    cursor_ = 0;
    walked_ = false;
  }
  std::optional<Clock::MonoTime> NextWake() const { return scheduler_.NextWake(); }
  size_t in_flight_or_pending() const { return scheduler_.in_flight() + scheduler_.pending(); }

 private:
  Status OnFailed(const DeleteRequest& req, const DeleteOutcome& out);
  // True when `item`'s copy is on disk as verified; else records the error.
  Result<bool> CopyStillThere(const store::WorkItem& item);

  RunContext& ctx_;
  Setbacks& setbacks_;
  const DeletePolicy& policy_;
  FileSystem& fs_;
  DeleteScheduler scheduler_;
  int64_t cursor_ = 0;
  bool walked_ = false;
  std::unordered_map<int64_t, int64_t> attempts_;
};

// The delete request for a verified work item.
DeleteRequest DeleteRequestFor(const store::WorkItem& item, bool size_only);

}  // namespace s3m::engine
