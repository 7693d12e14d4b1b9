// Migrator: `s3migrate migrate` — runs until every object is deleted from S3
// (or verified, with --keep-source), or in `error` after its retries.
//
// Threads and who owns what:
//   * the coordinator thread (the one calling Run) owns the database. The
//     decisions are the decision core's (core/coordinator.h): each pass of
//     the loop hands it the events that came in, commits what it decided as
//     one transaction (group commit, synchronous = FULL), and only then hands
//     the commands it returned to the threads below.
//   * TransferPool: `concurrency` download workers (transfer_pool.h).
//   * restore runner: RestoreObject requests and restore status checks.
//   * delete runner: DeleteObjects batches, through the DeleteGate.
// Workers never touch the database; they report through the event queue.
//
// Ordering rules (PRODUCT.md §5):
//   * An object's `verified` state is committed (fsync'd WAL) before its
//     delete request is given to the delete runner; `deleted` is written
//     only after S3 confirmed it.
//   * A download range is recorded only after it was fsynced (download.h).
//   * Nothing about an object is written before the coordinator received
//     the outcome of the step that justifies it.
//
// Memory: work is read from the database in keyset pages as the pool needs
// it; what the coordinator keeps is bounded by the work in flight.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/status.h"
#include "engine/core/migrate_options.h"
#include "engine/delete_gate.h"
#include "engine/file_system.h"
#include "engine/progress.h"
#include "s3/object_store.h"
#include "store/state_store.h"

namespace s3m::engine {

class Migrator {
 public:
  Migrator(store::StateStore& state, s3::ObjectStore& store, FileSystem& fs, MigrateOptions options);
  ~Migrator();
  Migrator(const Migrator&) = delete;
  Migrator& operator=(const Migrator&) = delete;

  // The run. An error status is a fatal condition (credentials rejected,
  // database unusable, disk full with nothing in flight): the state is
  // committed and consistent, and the run can be started again. Otherwise
  // the report says what happened (interrupted, objects in error, ...).
  Result<MigrationReport> Run();
  // Wakes the coordinator now (e.g. from a thread that saw Ctrl+C): it
  // otherwise sleeps until its next timer, which may be minutes away while
  // only restores are pending. Thread-safe.
  void Wake();
  // The worker (workers.id) Run registered; 0 before it did.
  int64_t worker_id() const;
  // What Run did as of its last committed step, also when it returned an
  // error: a command that runs again after that (a worker rejoining a lost
  // PostgreSQL state) adds it to its final report (AddTally).
  RunTally committed() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace s3m::engine
