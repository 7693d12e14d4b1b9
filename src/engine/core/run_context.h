// RunContext: what the decision core's stages share — the database (their one
// source of truth, written only inside the coordinator's transaction), the
// injected clock, the run's options, the in-memory work, the figures of the
// final report, and the condition that stops the run.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/retry.h"
#include "core/status.h"
#include "engine/core/migrate_options.h"
#include "engine/core/work_queues.h"
#include "engine/failure_policy.h"
#include "engine/progress.h"
#include "store/migration_store.h"

namespace s3m::engine {

// Rows one keyset page of a database walk reads.
inline constexpr int kPageRows = 500;

// Sealed downloads waiting for the publisher's sync, at most: past it, no new
// transfer starts (a filesystem slower to sync than the network to fill).
inline constexpr size_t kMaxPublishing = 4096;

// A state change of row `id`, from `from` to `to`, nothing else set yet.
inline store::FileChange StateChange(int64_t id, store::FileState from, store::FileState to) {
  store::FileChange change;
  change.id = id;
  change.from = from;
  change.to = to;
  return change;
}

// What this run did, for the report.
struct RunFigures {
  FilesBytes downloaded{}, deleted{}, would_delete{};
  int64_t restores_requested = 0;
  int64_t errors_this_run = 0;
  std::map<std::string, int64_t> verified_by;
  // Failed attempts by the kind of their cause (ErrorKindName): those
  // retried later, and those that left the object in `error`.
  std::map<std::string, int64_t> retries_by_kind, errors_by_kind;
  void CountError(ErrorKind kind) {
    ++errors_this_run;
    ++errors_by_kind[std::string(ErrorKindName(kind))];
  }
  void CountRetry(ErrorKind kind) { ++retries_by_kind[std::string(ErrorKindName(kind))]; }
};

struct RunContext {
  RunContext(store::MigrationStore& database, Clock& run_clock, const MigrateOptions& options)
      : db(database),
        clock(run_clock),
        opt(options),
        failures(options.max_attempts),
        backoff(RetryPolicy{options.max_attempts, options.retry_base_delay,
                            options.retry_base_delay * 4, options.retry_max_delay},
                DefaultUniformRandom()) {}

  Clock::MonoTime now() const { return clock.MonotonicNow(); }
  // The first condition that stops the run (credentials rejected, the disk
  // full for good); the run ends with it once what is in flight reported.
  void Stop(Status cause) {
    if (fatal.ok()) fatal = std::move(cause);
  }
  bool stopping() const { return !fatal.ok(); }

  store::MigrationStore& db;
  Clock& clock;
  const MigrateOptions& opt;
  WorkQueues queues;
  RunFigures figures;
  FailurePolicy failures;
  Backoff backoff;
  Status fatal;
};

}  // namespace s3m::engine
