// What a running migration tells the outside world: a snapshot of its
// progress (taken every progress_update_interval and rendered by
// cli/progress_display as PRODUCT.md §6's block) and the final report
// (rendered as the run's summary). Plain data: the engine fills them, the CLI
// formats them, tests compare them.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "store/file_state.h"

namespace s3m::engine {

struct FilesBytes {
  int64_t files = 0;
  int64_t bytes = 0;
};

// Indexed by static_cast<size_t>(store::FileState).
using StateBreakdown = std::array<FilesBytes, store::kAllFileStates.size()>;

struct ProgressSnapshot {
  std::chrono::system_clock::time_point now{};
  std::chrono::system_clock::time_point started_at{};  // this run's start

  // Every object in scope (all rows the run works on, whatever their state),
  // and those finished: deleted, or verified when the source is kept.
  FilesBytes total{};
  FilesBytes done{};
  // Files and bytes per state, from the database's running totals.
  StateBreakdown by_state{};

  // Bytes received from S3 by this run so far, monotonic (partial objects
  // included): throughput and ETA are computed from its moving window.
  int64_t bytes_received = 0;
  int active_transfers = 0;  // objects being downloaded right now

  // Archive restores (PRODUCT.md §4).
  int64_t restores_waiting = 0;    // archived, not yet requested
  int64_t restores_in_flight = 0;  // requested or restoring, not yet readable
  int64_t restores_ready = 0;      // restored copies waiting for a download slot
  // When the engine next reads restore status; nullopt when none is pending.
  std::optional<std::chrono::system_clock::time_point> next_restore_check{};

  // Why new downloads are held back, e.g. "free space on /data is 1.2 GB,
  // below the 5 GB reserve"; empty when they are not.
  std::string paused_reason;

  int64_t errors_this_run = 0;  // objects that went to `error` during this run
  // Failed attempts of this run by the kind of their cause ("transient",
  // "Throttled", "AccessDenied", ... as ErrorKindName spells them).
  std::map<std::string, int64_t> retries_by_kind{};
  std::map<std::string, int64_t> errors_by_kind{};

  // Queue depths of the decision core (work held in memory).
  struct Queues {
    int64_t ready_downloads = 0;  // read from the database, waiting for a transfer slot
    int64_t ready_restores = 0;   // waiting for a restore request slot
    int64_t retries_waiting = 0;  // failed attempts waiting for their back-off
    int64_t publishing = 0;       // transferred, waiting for their sync
    int64_t deletes_pending = 0;  // verified, in a delete batch or waiting for one
  } queues{};
  bool dry_run = false;
  bool keep_source = false;
  int request_limit = 0;  // --max-requests-per-second (0: none), for the display
  // --bwlimit: the rate in force (nullopt: none now), the setting as given
  // ("" when there is none at any time), and whether it is a timetable.
  std::optional<uint64_t> bandwidth_limit;
  std::string bandwidth_schedule;
  bool bandwidth_timetable = false;
};

// One object left behind, for the final summary.
struct LeftBehind {
  std::string bucket;
  std::string key;
  std::string reason;  // "verified by size only (SSE-KMS without checksums): kept in S3", ...
};

// What a run did, as of its last committed step: its report's counters. A
// run that ended in error (its PostgreSQL state lost, say) still has them,
// and a command that goes on after it (a worker rejoining) adds them to its
// final report: counted at the commit, so that a step rolled back and done
// again is counted once.
struct RunTally {
  std::chrono::system_clock::time_point started_at{};
  FilesBytes downloaded{}, deleted{}, would_delete{};
  int64_t bytes_received = 0;
  int64_t restores_requested = 0;
  std::map<std::string, int64_t> verified_by{};
};

// The final summary of a run.
struct MigrationReport {
  std::chrono::system_clock::time_point started_at{};
  std::chrono::system_clock::time_point finished_at{};
  bool interrupted = false;  // stopped by SIGINT/SIGTERM; resumable
  bool dry_run = false;      // --dry-run: nothing was deleted (see would_delete)

  FilesBytes downloaded{};  // objects written and verified by this run
  FilesBytes deleted{};     // objects deleted from S3 by this run
  FilesBytes would_delete{};  // --dry-run: what would have been deleted
  int64_t bytes_received = 0;
  int64_t restores_requested = 0;

  // How each downloaded object was verified: method name -> count
  // ("crc64nvme", "md5-etag", "multipart-etag(8MiB parts)", "size-only"...).
  std::vector<std::pair<std::string, int64_t>> verified_by{};

  // Objects still in each state at the end (from the database).
  StateBreakdown final_states{};

  // Objects kept in S3 on purpose (size-only verification, older versions,
  // delete markers, --keep-source) and objects in error: a sample of each,
  // with the total count.
  int64_t left_behind_count = 0;
  std::vector<LeftBehind> left_behind{};
  int64_t error_count = 0;
  std::vector<LeftBehind> errors{};  // reason = the error message

  // Objects larger than the free space, set aside by this run (still
  // `discovered`): their total, a sample, the largest, and the disk then.
  FilesBytes waiting_for_space{};
  std::vector<LeftBehind> waiting_for_space_sample{};
  int64_t largest_waiting = 0;
  int64_t free_bytes = -1;  // -1: unknown
  int64_t reserve_bytes = 0;
};

// Adds a tally's counters to a report (verified_by merged and kept in name
// order) and starts it at the tally's start if that is earlier: how a report
// gets its own run's counters, and those of earlier runs of one command.
void AddTally(const RunTally& tally, MigrationReport& report);

}  // namespace s3m::engine
