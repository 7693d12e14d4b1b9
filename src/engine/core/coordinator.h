// Coordinator: the migration's decision core (issue 15). Single-threaded and
// free of sockets and threads: it takes events (transfer results, restore
// answers, delete answers) and the clock's time, writes the state changes
// they justify through the MigrationStore, and returns the commands to run.
// The runners (migrator.cc) do the I/O and report back.
//
// Contract of one step (Step), which the shell keeps:
//   BeginBatch -> Step(events, take_work) -> CommitBatch -> run the commands
// so a command never acts on a decision a crash could undo: a download starts
// from a committed `downloading` row, a delete only for a durable `verified`
// row (PRODUCT.md §5.1). When the commit fails, the commands are dropped and
// the run stops.
//
// Policies live in the stages and are named there:
//   DownloadStage  what to download next; what a download's outcome means
//   RestoreStage   restore capacity, request rate, polls, expiry
//   DeleteStage    batches for the delete gate (eligibility: DeletePolicy)
//   Setbacks       failed attempts, changed objects, 412s, stopping the run
//   DiskGuard      free space: admit, set aside, pause
// Unit tests (tests/unit/engine/coordinator_test.cc) drive it from tables of
// events and check rows and commands, on a FakeClock.
#pragma once

#include <optional>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "engine/core/commands.h"
#include "engine/core/delete_policy.h"
#include "engine/core/delete_stage.h"
#include "engine/core/disk_guard.h"
#include "engine/core/download_stage.h"
#include "engine/core/events.h"
#include "engine/core/migrate_options.h"
#include "engine/core/restore_stage.h"
#include "engine/core/run_context.h"
#include "engine/core/setbacks.h"
#include "engine/file_system.h"
#include "engine/local_layout.h"
#include "store/migration_store.h"
#include "store/state_store.h"

namespace s3m::engine {

class Coordinator {
 public:
  using Mono = Clock::MonoTime;
  // Even with nothing on a timer the coordinator looks around this often.
  static constexpr auto kMaxSleep = std::chrono::minutes(5);

  Coordinator(store::StateStore& state, store::MigrationStore& db, FileSystem& fs,
              const DeletePolicy& policy, const MigrateOptions& options, Clock& clock);

  // Prepares the destination (layout probe) and reads the free space.
  Status Start();
  // Applies `events`, then, when `take_work`, takes new work as the pool,
  // the restore limits and the delete batches allow. Called inside the
  // caller's transaction; an error means the database failed (stop).
  Status Step(std::vector<Event>& events, bool take_work, Commands& out);

  // The first condition that stops the run (credentials, disk): the shell
  // stops taking work, waits for what is in flight, and ends with it.
  const Status& fatal() const { return ctx_.fatal; }
  // Nothing left to do in this run (Finished may set fatal(): a disk full
  // that nothing in flight can free). A worker sharing the state with
  // others (MigrationStore::SetWorker) finishes only when no live worker
  // still works, and walks its queues again when a dead worker left rows
  // there: the last workers standing take over what the others held.
  bool Finished();
  // Every walk is done and nothing is in flight (the worker waits, if it
  // waits, for the others).
  bool idle() const { return idle_; }
  // How often an idle worker looks at the others.
  static constexpr auto kPoolPoll = std::chrono::seconds(1);
  // When the next timer is due (retries, polls, delete batches, disk checks).
  Mono NextWake() const;

  ProgressSnapshot Progress(int64_t bytes_received, int active_transfers);
  Result<MigrationReport> Report(int64_t bytes_received);
  // The report's counters now (what the steps so far decided).
  RunTally Tally(int64_t bytes_received) const;

 private:
  store::StateStore& state_;
  const DeletePolicy& policy_;
  LocalLayout layout_;
  RunContext ctx_;
  Setbacks setbacks_;
  DiskGuard disk_;
  DeleteStage deletes_;
  DownloadStage downloads_;
  RestoreStage restores_;
  Clock::WallTime started_at_{};
  bool idle_ = false;
  bool marked_idle_ = false;  // the workers row says idle
  Mono next_pool_check_{};
  // The queues this run walks (what another worker may leave there for it).
  std::vector<store::WorkQueue> WalkedQueues() const;
  // An idle worker's look at the others: true when it may finish.
  bool OthersDone();
};

}  // namespace s3m::engine
