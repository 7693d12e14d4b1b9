// WorkQueues: the objects the decision core holds in memory between the
// database and the runners — bounded by the work in flight.
//
//   downloading   handed to the transfer pool, outcome not yet seen; of
//                 these, `publishing` are transferred and sealed, waiting
//                 for the publisher's sync (they hold no transfer slot)
//   busy          queued here, or a restore/check/delete in flight: no walk
//                 over the database may hand it out a second time
//   ready         to download (or to ask a restore for) next, before the
//                 database walks' rows; restored copies go to the front
//   retries       failed attempts waiting for their back-off (rows say
//                 `discovered`); released into `ready` when due
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/clock.h"
#include "store/migration_store.h"

namespace s3m::engine {

// Which stage an object waits for.
enum class Lane { kDownload, kRestore };

class WorkQueues {
 public:
  using Mono = Clock::MonoTime;

  // --- downloads handed to the pool --------------------------------------
  void StartDownload(const store::WorkItem& item) { downloading_[item.id] = item; }
  // The item as it was handed out; nullopt when it was not (any more).
  std::optional<store::WorkItem> EndDownload(int64_t id);
  size_t downloading() const { return downloading_.size(); }
  // The transfer is over; the file waits for the publisher (ignored for an
  // id not downloading).
  void MarkPublishing(int64_t id) {
    if (downloading_.count(id) > 0) publishing_.insert(id);
  }
  size_t publishing() const { return publishing_.size(); }
  // Downloads still on the network: what the transfer slots bound.
  size_t transferring() const { return downloading_.size() - publishing_.size(); }

  // --- in memory, or in flight elsewhere -----------------------------------
  bool Taken(int64_t id) const { return busy_.count(id) > 0 || downloading_.count(id) > 0; }
  void MarkBusy(int64_t id) { busy_.insert(id); }
  void Release(int64_t id) { busy_.erase(id); }

  void Push(store::WorkItem item, Lane lane, bool front = false);
  bool HasReady(Lane lane) const { return !queue(lane).empty(); }
  size_t ready_count(Lane lane) const { return queue(lane).size(); }
  const store::WorkItem& PeekReady(Lane lane) const { return queue(lane).front(); }
  store::WorkItem PopReady(Lane lane);

  // --- retries -------------------------------------------------------------
  void RetryAt(store::WorkItem item, Lane lane, Mono at);
  // Moves the retries due at `now` to the back of their lane.
  void ReleaseDue(Mono now);
  std::optional<Mono> NextRetry() const;
  bool NoRetries() const { return retries_.empty(); }
  size_t retries_waiting() const { return retries_.size(); }

 private:
  struct Retry {
    Mono at;
    store::WorkItem item;
    Lane lane = Lane::kDownload;
  };
  std::deque<store::WorkItem>& queue(Lane lane) { return lane == Lane::kRestore ? restore_ : ready_; }
  const std::deque<store::WorkItem>& queue(Lane lane) const {
    return lane == Lane::kRestore ? restore_ : ready_;
  }

  std::unordered_map<int64_t, store::WorkItem> downloading_;
  std::unordered_set<int64_t> publishing_;  // a subset of downloading_'s keys
  std::unordered_set<int64_t> busy_;
  std::deque<store::WorkItem> ready_;
  std::deque<store::WorkItem> restore_;
  std::vector<Retry> retries_;
};

}  // namespace s3m::engine
