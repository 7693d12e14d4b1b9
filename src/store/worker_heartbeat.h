// WorkerHeartbeat: this migrate process as a worker of the state
// (store/workers.h). Registered before the first step, its heartbeat is
// renewed every lease / 4 from a thread of its own, on a database
// connection of its own (the coordinator's connection belongs to the
// coordinator thread), and it is marked stopped when the run ends.
//
// Why a worker stops itself: other workers take over the objects it holds
// once its heartbeat is older than the lease. A worker that cannot renew it
// (the database unreachable, the process frozen) for half the lease must
// stop before anyone may take its objects over, so that no object is ever
// downloaded by two workers at once. lost() says so; the migrator then stops
// the run as for a fatal error. The half-lease margin is measured on this
// host's monotonic clock, the lapse on the server's: rates, not readings,
// must agree.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/clock.h"
#include "core/status.h"
#include "core/write_fence.h"
#include "store/sqlite.h"

namespace s3m::store {

class WorkerHeartbeat {
 public:
  struct Figures {
    bool idle = false;     // this worker's walks are done; it waits for the others
    int64_t objects = 0;   // deleted from S3 by this run
    int64_t bytes = 0;     // received by this run
  };

  // Registers the worker through `db` (the caller's connection) and starts
  // renewing on `own`.
  static Result<std::unique_ptr<WorkerHeartbeat>> Start(Database& db, std::unique_ptr<Database> own,
                                                        std::chrono::seconds lease, Clock& clock);
  ~WorkerHeartbeat();  // stops renewing and marks the worker stopped
  // A scan worker's row is needed only while it lists (its claims); when it
  // ends normally the row is removed instead of marked stopped, so that
  // `status` lists the migrate workers' history only.
  void RemoveWhenStopped() { remove_when_stopped_ = true; }
  WorkerHeartbeat(const WorkerHeartbeat&) = delete;
  WorkerHeartbeat& operator=(const WorkerHeartbeat&) = delete;

  int64_t id() const { return id_; }
  // Carried by the next heartbeat. Thread-safe.
  void Update(const Figures& figures);
  // No renewal succeeded for half the lease (or the row was marked stopped
  // by someone): the run must stop. Thread-safe.
  bool lost() const;
  // Why, for the message: kConflict when the row was marked stopped (the
  // command stops), kStateLost otherwise (the database did not answer in
  // time, or the lease lapsed while the process was frozen: once the run has
  // stopped, the command may rejoin as a new worker).
  Status LostStatus() const;
  // Live workers (this one included) as of the last renewal: limits the
  // workers hold together are shared among them. Thread-safe.
  int live_workers() const { return live_workers_.load(); }
  // Closed half a lease after the last renewal sent (write_fence.h); the
  // downloads and the publisher ask it before every write.
  const WriteFence& fence() const { return fence_; }

 private:
  WorkerHeartbeat(std::unique_ptr<Database> own, int64_t id, std::chrono::seconds lease, Clock& clock);
  void Loop();
  void Renew();
  void CountWorkers();

  std::unique_ptr<Database> own_;
  const int64_t id_;
  const std::chrono::seconds lease_;
  Clock& clock_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  Figures figures_;
  WriteFence fence_;
  Status last_error_;
  bool marked_stopped_ = false;  // Renewal::kStopped
  bool lapsed_ = false;          // Renewal::kLapsed
  bool remove_when_stopped_ = false;
  std::atomic<int> live_workers_{1};
  std::thread thread_;
};

}  // namespace s3m::store
