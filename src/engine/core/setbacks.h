// Setbacks: what becomes of an object after something other than success —
// the failure policy (failure_policy.h) applied to rows and queues.
//
//   a failed attempt   retried after a back-off (row `discovered`, the item
//                      waits in memory), or `error` with the cause, or the
//                      run stopped (credentials rejected: exit 3)
//   412 on a pinned    the object changed: its new identity is recorded and
//     request          it is fetched again; or the endpoint mishandles
//                      If-Match: an attempt is counted and the object is
//                      fetched unpinned from then on (it cannot spin)
//   gone (404)         `error`: `rescan` records the object as gone
//   a changed object   recorded (reconcile.h's rule keeps a complete local
//                      copy) and queued again; nothing is deleted
//
// Every function is called inside the coordinator's transaction.
#pragma once

#include <unordered_set>

#include "core/status.h"
#include "engine/core/run_context.h"
#include "s3/object_store.h"
#include "store/migration_store.h"

namespace s3m::engine {

class Setbacks {
 public:
  explicit Setbacks(RunContext& ctx) : ctx_(ctx) {}

  // `item` was in `from`; its attempt failed with `cause`. `lane`: where a
  // retry goes.
  Status FailAttempt(const store::WorkItem& item, store::FileState from, const Status& cause,
                     Lane lane);
  // A pinned request got 412 and an unpinned HEAD showed `current`.
  Status PreconditionFailed(const store::WorkItem& item, store::FileState from, const Status& cause,
                            const s3::ObjectMetadata& current, Lane lane);
  // S3 holds `current` under the key now.
  Status RecordChanged(const store::WorkItem& item, store::FileState from,
                       const s3::ObjectMetadata& current);
  // 404: the object left S3 before it was downloaded; `error`, and `rescan`
  // records it.
  Status Gone(const store::WorkItem& item, store::FileState from, const Status& cause);
  // Re-reads the row and queues it on `lane` when it is `discovered` and
  // not already held.
  Status Requeue(int64_t id, Lane lane);
  // Stops the run with `cause` (or with the denied-streak message).
  void StopRun(const Status& cause);

  // Requests for this object carry If-Match (failure_policy.h says when not).
  bool Pinned(int64_t id) const { return unpinned_.count(id) == 0; }

 private:
  store::FileChange ErrorChange(const store::WorkItem& item, store::FileState from,
                                const Status& cause, int64_t attempts);
  void ScheduleRetry(const store::WorkItem& item, const Status& cause, int64_t attempts, Lane lane);

  RunContext& ctx_;
  std::unordered_set<int64_t> unpinned_;
};

}  // namespace s3m::engine
