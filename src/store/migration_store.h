// MigrationStore: the migration engine's view of the state database — its
// work queues and the state changes of PRODUCT.md §4's lifecycle.
//
// It shares the StateStore's connection (and so its WriterLock and
// synchronous = FULL setting). One thread uses it: the engine's coordinator,
// which groups the changes of many objects into one transaction
// (BeginBatch/CommitBatch) — a group commit. Ordering rule of the engine
// (PRODUCT.md §5.1): a row reaches `verified` in a committed transaction
// before its DeleteObject is sent, and reaches `deleted` only after S3
// confirmed the delete.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/unicode.h"
#include "store/file_state.h"
#include "store/sqlite.h"
#include "store/state_store.h"

namespace s3m::store {

// One object as the engine works on it.
struct WorkItem {
  int64_t id = 0;
  std::string bucket;
  std::string key;
  std::string version_id;  // "" unless listed with ListObjectVersions
  int64_t size = 0;
  std::string etag;
  std::string storage_class;
  bool archived = false;
  std::string last_modified;
  std::string checksum_algorithm;
  std::string checksum_type;
  FileState state = FileState::kDiscovered;
  int64_t attempts = 0;
  std::optional<std::string> error_message;
  std::optional<std::string> local_path;
  std::optional<std::string> restore_requested_at;
  std::optional<std::string> restore_tier;
  std::optional<std::string> restore_expiry;
  std::optional<std::string> verified_by;
  std::optional<std::string> previous_local_path;
  bool bucket_versioned = false;  // the bucket was listed with ListObjectVersions
};

// The engine's queues. Each is a keyset-paginated walk of files_by_state.
enum class WorkQueue {
  kDownloadable,     // discovered, readable now
  kNeedsRestore,     // discovered, archived
  kResumeDownload,   // downloading (left by an interrupted run)
  kDownloaded,       // downloaded, not yet verified (left by an interrupted run)
  kRestoreRequested, // glacier_restore_requested
  kRestoring,        // glacier_restoring (restored copies ready for download included)
  kVerified,         // verified, awaiting delete
};

// Optional column changes that go with a state change. Unset = unchanged;
// for text columns an empty string sets NULL.
struct FileChange {
  int64_t id = 0;
  FileState from = FileState::kDiscovered;
  FileState to = FileState::kDiscovered;
  std::optional<std::string> error_message;  // only kept with to == kError
  bool count_attempt = false;                // a failed attempt (any target state)
  bool reset_attempts = false;
  std::optional<std::string> local_path;
  std::optional<std::string> verified_by;
  std::optional<std::string> verified_checksum;  // as S3 spells it
  std::optional<std::string> restore_requested_at;
  std::optional<std::string> restore_tier;
  std::optional<std::string> restore_expiry;
  std::optional<bool> archived;
  std::optional<std::string> sse_type;
  std::optional<std::string> content_type;
  std::optional<std::string> user_metadata;  // JSON object
  std::optional<std::string> headers;        // JSON object: {"Cache-Control": "...", ...}
  std::optional<std::string> tags;           // JSON object: {"tag": "value", ...}
  std::optional<std::string> checksums;      // JSON object: {"CRC32C": "base64", ...}
  std::optional<int64_t> parts_count;
  std::optional<int64_t> part_size;
  bool clear_previous_copy = false;  // the new copy is verified: forget the old one
};

// What S3 says the object is now, when it changed since the scan.
struct ChangedObject {
  int64_t id = 0;
  FileState from = FileState::kDiscovered;
  std::string etag;
  int64_t size = 0;
  std::string version_id;
  std::string last_modified;
  std::string storage_class;
  bool archived = false;
};

// Aggregates the progress display and the exit decision need (from the
// running totals, no table scan).
struct StateTotals {
  std::array<Tally, kAllFileStates.size()> by_state{};
  int64_t archived_discovered = 0;
  int64_t restored_ready = 0;  // glacier_restoring with a restore expiry (readable)
};

// A row just moved to 'deleted', as the per-bucket manifest records it.
struct DeletedCopy {
  std::string bucket;
  std::string key;
  std::string version_id;
  int64_t size = 0;
  std::string etag;
  std::string verified_by;
  std::string verified_checksum;  // as S3 spells it
  int64_t part_size = 0;          // 0 = not recorded
  std::string local_path;
  std::string verified_at;
  std::string deleted_at;
  // What S3 knew of the object beside its bytes ("" = nothing recorded);
  // the last four are the JSON objects of the columns of the same names.
  std::string storage_class;
  std::string content_type;
  std::string sse_type;
  std::string user_metadata;
  std::string headers;
  std::string tags;
  std::string checksums;
};

// What other workers leave to this one (MigrationStore::Pool).
struct PoolState {
  // Rows of the asked queues held by a worker that is no longer alive: this
  // worker may take them over (its walks must go over them again).
  bool orphans = false;
  // Live workers other than this one still working (not idle).
  int64_t others_working = 0;
};

// The restore limits the workers of one shared state hold together
// (MigrationStore::LockRestoreShare; schema.cc's shared_limits).
struct RestoreShare {
  bool shared = false;           // false: this process's limits are the only ones
  int64_t others_pending = 0;    // requests other live workers sent, answers not yet recorded
  std::chrono::microseconds last_slot_in{0};  // the latest slot any worker took, from now (< 0: past)
};

class MigrationStore {
 public:
  explicit MigrationStore(StateStore& state) : db_(state.database()), clock_(nullptr) {}
  MigrationStore(StateStore& state, Clock* clock) : db_(state.database()), clock_(clock) {}

  // This store works for worker `id` (workers.h): Next claims the rows it
  // returns for it (files.claimed_by), skipping rows a live other worker
  // holds, and Apply/RecordChanged change only rows it holds — a row taken
  // over after this worker's lease lapsed is no longer its to change. 0 (the
  // default): no claims, every row (unit tests, a lone process).
  void SetWorker(int64_t id) {
    worker_ = id;
    statements_.clear();  // their SQL names the worker
  }
  int64_t worker() const { return worker_; }

  // Up to `limit` items of `queue` with id > after_id, in id order.
  Result<std::vector<WorkItem>> Next(WorkQueue queue, int64_t after_id, int limit);
  // With a worker set: whether it may finish (see PoolState).
  Result<PoolState> Pool(const std::vector<WorkQueue>& queues);
  // With a worker set: records at once whether its share is done (the
  // others' Pool reads it; the heartbeat would say so only later).
  Status MarkIdle(bool idle);
  // A worker on a state other processes share (PostgreSQL): locks the
  // shared restore limit until the batch commits — another worker asking
  // waits — and reads what the others hold. Read the totals after it: they
  // then include every restore the others recorded before the lock.
  // Otherwise {shared = false}, with no query.
  Result<RestoreShare> LockRestoreShare();
  // Writes this worker's part back (in the same batch): its requests
  // pending, and, when it took slots, the latest one (from now).
  Status ShareRestores(int64_t pending, std::optional<std::chrono::microseconds> last_slot_in);
  // Re-reads one row (nullopt when it is gone).
  Result<std::optional<WorkItem>> Get(int64_t id);
  // The rows of `ids` that are 'deleted', in the order given.
  Result<std::vector<DeletedCopy>> DeletedCopies(const std::vector<int64_t>& ids);

  // Group commit: every change between the two is one transaction.
  Status BeginBatch();
  Status CommitBatch();
  void RollbackBatch();
  bool in_batch() const { return txn_.has_value(); }

  // Compare-and-set: false when the row was not in `from` (someone reset it).
  Result<bool> Apply(const FileChange& change);
  // The object in S3 is not the one recorded: record the new identity, keep
  // a complete local copy as the previous one (reconcile.h's rule), and put
  // the row back to discovered.
  Result<bool> RecordChanged(const ChangedObject& changed);

  // --- Resumable downloads: finished, fsynced ranges --------------------
  Status AddDoneChunks(int64_t file_id, const std::vector<std::pair<uint64_t, uint64_t>>& ranges);
  Result<std::vector<std::pair<uint64_t, uint64_t>>> DoneChunks(int64_t file_id);
  Status ClearChunks(int64_t file_id);

  // --- Local layout ------------------------------------------------------
  // True when another key of the bucket lies under "<key>/" (then the key's
  // natural file name is needed as a directory).
  Result<bool> HasDescendants(const std::string& bucket, const std::string& key);
  // True when `local_path` is, on a destination comparing names by
  // `equivalence`, the file another object (any row but `except_id`) is
  // recorded at, or an older copy any row of `bucket` keeps (its own too).
  Result<bool> LocalPathTaken(const std::string& bucket, const std::string& local_path,
                              int64_t except_id, NameEquivalence equivalence);

  Result<StateTotals> Totals();
  // A sample of rows in `state` (for the final report) and their count.
  Result<std::vector<WorkItem>> Sample(FileState state, int limit, const std::string& extra_where = "");
  Result<int64_t> Count(FileState state, const std::string& extra_where = "");

 private:
  std::string Now() const;
  // SQL for the rows of `queue` (alias f), and for the rows this worker may
  // claim; " AND claimed_by = <worker>" when a worker is set.
  std::string QueueWhere(WorkQueue queue) const;
  std::string ClaimableSql() const;
  // `table`: "f." where files is aliased beside buckets (which has a
  // claimed_by of its own).
  std::string HeldSql(const std::string& table = "") const {
    return worker_ == 0 ? "" : " AND " + table + "claimed_by = " + std::to_string(worker_);
  }
  // Statements are prepared once per SQL text and reused.
  Result<Statement*> Cached(const std::string& sql);
  Database& db_;
  Clock* clock_;
  std::optional<Transaction> txn_;
  std::unordered_map<std::string, Statement> statements_;
  int64_t worker_ = 0;
};

}  // namespace s3m::store
