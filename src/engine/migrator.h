// Migrator: `s3migrate migrate` — runs until every object is deleted from S3
// (or verified, with --keep-source), or in `error` after its retries.
//
// Threads and who owns what:
//   * the coordinator (the thread calling Run) owns the database. It alone
//     decides: what to download next, which restores to ask for, what to
//     delete. Each pass of its loop applies the events that came in, takes
//     new work, and commits all of it as one transaction (group commit,
//     synchronous = FULL) before handing the new work to the threads below.
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
#include "engine/delete_gate.h"
#include "engine/file_system.h"
#include "engine/progress.h"
#include "s3/object_store.h"
#include "store/state_store.h"

namespace s3m::engine {

struct MigrateOptions {
  std::string dest_root;  // local_base_path
  int concurrency = 16;
  uint64_t chunk_size = 8ull << 20;
  bool reread_after_download = false;  // verification_method = "md5"
  bool keep_source = false;            // --keep-source / delete_after_verify = false
  bool dry_run = false;                // download and verify; request no restores, delete nothing
  bool allow_size_only_delete = false;
  ConditionalDeletes conditional_deletes = ConditionalDeletes::kUnknown;

  int restore_days = 1;
  s3::RestoreTier restore_tier = s3::RestoreTier::kStandard;
  int max_restores_in_flight = 100;
  double restore_requests_per_second = 200;  // AWS allows about 1,000/s per account
  std::chrono::seconds restore_poll_interval{60};

  // Free space kept on the destination (disk_space.h); unset: the smaller
  // of 1 GiB and 5% of the destination's size.
  std::optional<uint64_t> min_free_bytes;
  // Failed attempts of one object before it is left in `error`.
  int max_attempts = 5;
  std::chrono::milliseconds retry_base_delay{2000};
  std::chrono::milliseconds retry_max_delay{300000};

  std::chrono::milliseconds progress_interval{2000};
  std::function<void(const ProgressSnapshot&)> on_progress;

  const std::atomic<bool>* cancelled = nullptr;  // SIGINT/SIGTERM
  Clock* clock = nullptr;                        // null = Clock::Real()
};

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

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace s3m::engine
