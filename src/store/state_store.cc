#include "store/state_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include <fmt/format.h>

#include "core/time_format.h"
#include "store/postgres.h"
#include "store/schema.h"
#include "store/schema_postgres.h"

namespace s3m::store {

namespace {

constexpr const char* kFileColumns =
    "id, bucket, key, version_id, size, etag, storage_class, archived, last_modified, state, "
    "attempts, error_message, local_path, restore_expiry, gone_at, previous_etag, "
    "previous_local_path, COALESCE(verified_by, ''), COALESCE(verified_checksum, ''), "
    "COALESCE(part_size, 0)";

FileRecord ReadFileRecord(const Statement& s) {
  FileRecord r;
  r.id = s.ColumnInt(0);
  r.bucket = s.ColumnText(1);
  r.key = s.ColumnText(2);
  r.version_id = s.ColumnText(3);
  r.size = s.ColumnInt(4);
  r.etag = s.ColumnText(5);
  r.storage_class = s.ColumnText(6);
  r.archived = s.ColumnInt(7) != 0;
  r.last_modified = s.ColumnText(8);
  r.state = ParseFileState(s.ColumnText(9)).value_or(FileState::kError);
  r.attempts = s.ColumnInt(10);
  r.error_message = s.ColumnOptionalText(11);
  r.local_path = s.ColumnOptionalText(12);
  r.restore_expiry = s.ColumnOptionalText(13);
  r.gone_at = s.ColumnOptionalText(14);
  r.previous_etag = s.ColumnOptionalText(15);
  r.previous_local_path = s.ColumnOptionalText(16);
  r.verified_by = s.ColumnText(17);
  r.verified_checksum = s.ColumnText(18);
  r.part_size = s.ColumnInt(19);
  return r;
}

// Every row `s` yields, read as FileRecords (s selects kFileColumns).
Result<std::vector<FileRecord>> ReadFileRecords(Statement& s) {
  std::vector<FileRecord> rows;
  for (;;) {
    S3M_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    rows.push_back(ReadFileRecord(s));
  }
  return rows;
}

constexpr const char* kBucketColumns =
    "name, region, versioning, listing_api, scan_state, scan_generation, continuation_token, "
    "version_id_marker, last_key, scan_filter, scan_started_at, scan_completed_at, "
    "listed_objects, listed_bytes, noncurrent_versions, noncurrent_bytes, delete_markers, "
    "last_error, (SELECT COUNT(*) FROM listing_ranges r WHERE r.bucket = buckets.name)";

BucketRecord ReadBucketRecord(const Statement& s) {
  BucketRecord b;
  b.name = s.ColumnText(0);
  b.region = s.ColumnText(1);
  b.versioning = s.ColumnText(2);
  b.listing_api = s.ColumnText(3);
  b.scan_state = s.ColumnText(4);
  b.scan_generation = s.ColumnInt(5);
  b.continuation_token = s.ColumnText(6);
  b.version_id_marker = s.ColumnText(7);
  b.last_key = s.ColumnText(8);
  b.scan_filter = s.ColumnText(9);
  b.scan_started_at = s.ColumnOptionalText(10);
  b.scan_completed_at = s.ColumnOptionalText(11);
  b.listed_objects = s.ColumnInt(12);
  b.listed_bytes = s.ColumnInt(13);
  b.noncurrent_versions = s.ColumnInt(14);
  b.noncurrent_bytes = s.ColumnInt(15);
  b.delete_markers = s.ColumnInt(16);
  b.last_error = s.ColumnOptionalText(17);
  b.ranged = s.ColumnInt(18) > 0;
  return b;
}

Status UsageError(std::string message, const std::string& bucket = {}, const std::string& key = {}) {
  return Status::Error(ErrorKind::kInvalidArgument, std::move(message),
                       ErrorContext::ForObject("state database", bucket, key));
}

}  // namespace

// ---------------------------------------------------------------------------
// Opening

StateStore::StateStore(std::unique_ptr<Database> db, std::optional<WriterLock> lock, Clock* clock)
    : lock_(std::move(lock)), db_(std::move(db)), clock_(clock) {}

StateStore::~StateStore() = default;

namespace {

// The advisory lock every writing s3migrate process takes on a PostgreSQL
// state (the WriterLock of a SQLite file): one session-level lock, held by
// the connection, dropped by the server when the connection ends (even when
// its process was killed). Any constant would do; this one reads "s3m" "lock".
constexpr int64_t kPostgresWriterLockKey = 0x73336d006c6f636b;

ErrorContext OpenContext(const std::string& where) {
  ErrorContext ctx;
  ctx.operation = "open database";
  ctx.path = where;
  return ctx;
}

// The key a group's members hold (shared) beside the writer lock's, so that
// a member of another group can tell they are there.
int64_t GroupLockKey(WorkerGroup group) { return kPostgresWriterLockKey + static_cast<int64_t>(group); }

Result<bool> TryAdvisoryLock(Database& db, int64_t key, bool shared) {
  S3M_ASSIGN_OR_RETURN(Statement take,
                       db.Prepare(shared ? "SELECT CASE WHEN pg_try_advisory_lock_shared(?1) THEN 1 ELSE 0 END"
                                         : "SELECT CASE WHEN pg_try_advisory_lock(?1) THEN 1 ELSE 0 END"));
  take.Bind(1, key);
  S3M_ASSIGN_OR_RETURN(bool row, take.Step());
  return row && take.ColumnInt(0) == 1;
}

Status AdvisoryUnlock(Database& db, int64_t key, bool shared) {
  S3M_ASSIGN_OR_RETURN(Statement s, db.Prepare(shared ? "SELECT pg_advisory_unlock_shared(?1)"
                                                      : "SELECT pg_advisory_unlock(?1)"));
  return s.Bind(1, key).Run();
}

// Who holds the writer lock (their application_name names the command, the
// pid and the host: see OpenPostgres), as the refusal says it.
Status WriterLockHeld(Database& db) {
  // Sample: "s3migrate scan (pid 4242 on host-a), connected since 2026-12-05T14:20:01Z"
  S3M_ASSIGN_OR_RETURN(
      Statement holder,
      db.Prepare("SELECT string_agg(a.application_name || ', connected since ' || "
                 "to_char(a.backend_start, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '; ' ORDER BY a.backend_start) "
                 "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                 "WHERE l.locktype = 'advisory' AND l.granted AND a.pid <> pg_backend_pid() AND l.database = "
                 "(SELECT oid FROM pg_database WHERE datname = current_database()) "
                 "AND (CAST(l.classid AS BIGINT) << 32 | CAST(l.objid AS BIGINT)) = ?1"));
  holder.Bind(1, kPostgresWriterLockKey);
  S3M_ASSIGN_OR_RETURN(bool found, holder.Step());
  const std::string who = found && !holder.ColumnIsNull(0) ? holder.ColumnText(0) : std::string("another process");
  return Status::Error(ErrorKind::kConflict,
                       fmt::format("the state database is in use by {}; wait for it to finish (or stop "
                                   "it), then run this again",
                                   who),
                       OpenContext(db.path()));
}

// Whether any session holds the advisory lock `key`.
Result<bool> AdvisoryLockHeld(Database& db, int64_t key) {
  S3M_ASSIGN_OR_RETURN(Statement s,
                       db.Prepare("SELECT COUNT(*) FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted "
                                  "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                                  "AND (CAST(l.classid AS BIGINT) << 32 | CAST(l.objid AS BIGINT)) = ?1"));
  s.Bind(1, key);
  S3M_ASSIGN_OR_RETURN(bool row, s.Step());
  return row && s.ColumnInt(0) > 0;
}

// Takes the writer lock or says who holds it. A worker group's members
// (migrate workers; scan workers) hold it shared, any number at once, but
// never beside a lone writer nor beside another group: each also holds its
// group's key shared, then checks that nobody holds another group's key.
// Each takes its own key before looking for the others': two groups
// starting at once may both be refused, never both let in.
Status LockPostgresWriter(Database& db, WorkerGroup group = WorkerGroup::kNone) {
  const bool shared = group != WorkerGroup::kNone;
  S3M_ASSIGN_OR_RETURN(bool locked, TryAdvisoryLock(db, kPostgresWriterLockKey, shared));
  if (!locked) return WriterLockHeld(db);
  if (!shared) return Status::Ok();
  S3M_ASSIGN_OR_RETURN(bool member, TryAdvisoryLock(db, GroupLockKey(group), true));
  bool alone = member;
  for (WorkerGroup other : {WorkerGroup::kMigrate, WorkerGroup::kScan}) {
    if (other == group || !alone) continue;
    S3M_ASSIGN_OR_RETURN(bool held, AdvisoryLockHeld(db, GroupLockKey(other)));
    alone = !held;
  }
  if (alone) return Status::Ok();
  if (member) S3M_RETURN_IF_ERROR(AdvisoryUnlock(db, GroupLockKey(group), true));
  S3M_RETURN_IF_ERROR(AdvisoryUnlock(db, kPostgresWriterLockKey, true));
  return WriterLockHeld(db);
}

// Held by the transaction that makes or upgrades the schema, until it ends.
Status LockSchemaChange(Database& db) {
  S3M_ASSIGN_OR_RETURN(Statement s, db.Prepare("SELECT pg_advisory_xact_lock(?1)"));
  return s.Bind(1, kPostgresWriterLockKey - 1).Run();
}

Status UnlockPostgresWriter(Database& db) {
  S3M_ASSIGN_OR_RETURN(Statement s, db.Prepare("SELECT pg_advisory_unlock(?1)"));
  return s.Bind(1, kPostgresWriterLockKey).Run();
}

}  // namespace

Result<std::unique_ptr<StateStore>> StateStore::OpenPostgres(const std::string& uri,
                                                             const StoreOptions& options, Clock* clock) {
  S3M_ASSIGN_OR_RETURN(Database opened, Database::Open(uri, {}));
  auto db = std::make_unique<Database>(std::move(opened));
  // Who this connection is, as pg_stat_activity (and a refused second
  // writer) shows it.
  S3M_ASSIGN_OR_RETURN(Statement name, db->Prepare("SELECT set_config('application_name', ?1, false)"));
  S3M_RETURN_IF_ERROR(
      name.Bind(1, fmt::format("s3migrate {} (pid {} on {})", options.command, ::getpid(), ThisHostName())).Run());
  if (options.mode == OpenMode::kWrite) {
    // The lock first: creating the schema must not race another writer.
    S3M_RETURN_IF_ERROR(LockPostgresWriter(*db, options.workers));
    // A commit the delete gate relies on must be on the server's disk when
    // COMMIT returns, whatever the server's default (PRODUCT.md §5.1).
    if (options.synchronous == Synchronous::kFull) S3M_RETURN_IF_ERROR(db->Exec("SET synchronous_commit TO on"));
  }
  S3M_ASSIGN_OR_RETURN(int version, DetectPostgresSchemaVersion(*db));
  if (version == 0) {
    if (options.mode == OpenMode::kRead) {
      return Status::Error(ErrorKind::kInvalidArgument,
                           "this PostgreSQL database holds no s3migrate state yet; run `s3migrate scan "
                           "--db URI` (or `s3migrate state export --to URI`) first",
                           OpenContext(db->path()));
    }
    S3M_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*db));
    // Workers of one group start together and share the writer lock: one
    // makes the schema, the others wait for it and find it made.
    S3M_RETURN_IF_ERROR(LockSchemaChange(*db));
    S3M_ASSIGN_OR_RETURN(version, DetectPostgresSchemaVersion(*db));
    if (version == 0) S3M_RETURN_IF_ERROR(CreatePostgresSchema(*db, fmt::format("s3migrate {}", options.command)));
    S3M_RETURN_IF_ERROR(txn.Commit());
  } else if (version > kSchemaVersion) {
    return Status::Error(ErrorKind::kFatal,
                         fmt::format("the state in PostgreSQL has schema version {}, newer than this s3migrate "
                                     "reads and writes (version {}); use the newer s3migrate (nothing was changed)",
                                     version, kSchemaVersion),
                         OpenContext(db->path()));
  } else if (version < kSchemaVersion) {
    // An older state is upgraded by the writer holding the lock; a reader
    // upgrades it only when no writer runs (as with a SQLite file).
    if (options.mode == OpenMode::kRead) S3M_RETURN_IF_ERROR(LockPostgresWriter(*db));
    S3M_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*db));
    S3M_RETURN_IF_ERROR(LockSchemaChange(*db));  // as above: one worker upgrades
    S3M_ASSIGN_OR_RETURN(version, DetectPostgresSchemaVersion(*db));
    if (version < kSchemaVersion) S3M_RETURN_IF_ERROR(UpgradePostgresSchema(*db, version));
    S3M_RETURN_IF_ERROR(txn.Commit());
    if (options.mode == OpenMode::kRead) S3M_RETURN_IF_ERROR(UnlockPostgresWriter(*db));
  }
  std::unique_ptr<StateStore> store(new StateStore(std::move(db), std::nullopt, clock));
  store->open_path_ = uri;
  store->shared_with_workers_ = options.mode == OpenMode::kWrite && options.workers != WorkerGroup::kNone;
  if (options.mode == OpenMode::kWrite) S3M_RETURN_IF_ERROR(store->PrepareWriteStatements());
  return store;
}

Result<std::unique_ptr<StateStore>> StateStore::Open(const std::string& path,
                                                     const StoreOptions& options) {
  Clock* clock = options.clock != nullptr ? options.clock : &Clock::Real();
  if (IsPostgresUri(path)) return OpenPostgres(path, options, clock);
  DatabaseOptions db_options;
  db_options.synchronous = options.synchronous;
  db_options.busy_timeout_ms = options.busy_timeout_ms;
  std::optional<WriterLock> lock;

  if (options.mode == OpenMode::kWrite) {
    // The lock first: the schema upgrade below must not race another writer.
    S3M_ASSIGN_OR_RETURN(WriterLock acquired, WriterLock::Acquire(path, options.command));
    lock = std::move(acquired);
    db_options.create = true;
  } else {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      ErrorContext ctx;
      ctx.operation = "open database";
      ctx.path = path;
      return Status::Error(ErrorKind::kInvalidArgument,
                           errno == ENOENT
                               ? "no state database here yet; run `s3migrate scan` first, or "
                                 "point --db (or state_db in the config file) at the right file"
                               : "cannot read the state database",
                           ctx);
    }
  }

  S3M_ASSIGN_OR_RETURN(Database opened, Database::Open(path, db_options));
  auto db = std::make_unique<Database>(std::move(opened));
  S3M_ASSIGN_OR_RETURN(int version, DetectSchemaVersion(*db));
  if (version != kSchemaVersion) {
    if (options.mode == OpenMode::kRead && version < kSchemaVersion) {
      if (version == 0) {
        ErrorContext ctx;
        ctx.operation = "open database";
        ctx.path = path;
        return Status::Error(ErrorKind::kInvalidArgument,
                             "the state database is empty; run `s3migrate scan` first", ctx);
      }
      // An older file: upgrade it when no writer runs (a writer would have
      // upgraded it already, so a held lock means it is about to be).
      auto upgrade_lock = WriterLock::Acquire(path, options.command);
      if (!upgrade_lock.ok()) return upgrade_lock.status();
      S3M_RETURN_IF_ERROR(UpgradeSchema(*db));
    } else {
      S3M_RETURN_IF_ERROR(UpgradeSchema(*db));
    }
  }
  std::unique_ptr<StateStore> store(new StateStore(std::move(db), std::move(lock), clock));
  store->open_path_ = path;
  if (options.mode == OpenMode::kWrite) S3M_RETURN_IF_ERROR(store->PrepareWriteStatements());
  return store;
}

Result<std::unique_ptr<Database>> StateStore::OpenAnotherConnection() const {
  S3M_ASSIGN_OR_RETURN(Database db, Database::Open(open_path_, {}));
  return std::make_unique<Database>(std::move(db));
}

Status StateStore::PrepareWriteStatements() {
  S3M_ASSIGN_OR_RETURN(find_latest_,
                       db_->Prepare("SELECT id, version_id, etag, size, state, storage_class, "
                                    "last_modified, checksum_algorithm, checksum_type, "
                                    "restore_expiry, local_path, gone_at, previous_etag, "
                                    "previous_size, previous_version_id, previous_local_path, "
                                    "CASE WHEN verified_at IS NOT NULL THEN 1 ELSE 0 END "
                                    "FROM files WHERE bucket = ?1 AND key = ?2 AND is_latest = 1"));
  S3M_ASSIGN_OR_RETURN(
      insert_file_,
      db_->Prepare("INSERT INTO files (bucket, key, version_id, size, etag, storage_class, "
                   "archived, last_modified, checksum_algorithm, checksum_type, state, "
                   "restore_expiry, seen_generation, discovered_generation, created_at, "
                   "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
                   "?13, ?14, ?14)"));
  S3M_ASSIGN_OR_RETURN(touch_file_,
                       db_->Prepare("UPDATE files SET seen_generation = ?2 WHERE id = ?1"));
  S3M_ASSIGN_OR_RETURN(
      add_totals_,
      db_->Prepare("INSERT INTO file_totals (bucket, state, storage_class, archived, "
                   "archived_day, files, bytes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
                   "ON CONFLICT (bucket, state, storage_class, archived, archived_day, shard) DO UPDATE SET "
                   "files = file_totals.files + excluded.files, bytes = file_totals.bytes + excluded.bytes"));
  // First listing of a bucket: nothing to reconcile with. A key the server
  // lists twice (s3rver's repeats) stays one row.
  S3M_ASSIGN_OR_RETURN(
      insert_new_file_,
      db_->Prepare("INSERT INTO files (bucket, key, version_id, size, etag, storage_class, "
                   "archived, last_modified, checksum_algorithm, checksum_type, state, "
                   "restore_expiry, seen_generation, discovered_generation, created_at, "
                   "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
                   "?13, ?14, ?14) ON CONFLICT (bucket, key, version_id) DO NOTHING"));
  // Unchanged object: refresh what may move without the object changing
  // (a lifecycle transition changes the storage class, a restore the expiry).
  // A row that was gone and is listed again leaves the 'error' that its
  // disappearance caused. Note that every right-hand side reads the old row.
  S3M_ASSIGN_OR_RETURN(
      refresh_file_,
      db_->Prepare(
          "UPDATE files SET seen_generation = ?2, storage_class = ?3, "
          "archived = CASE WHEN ?3 = 'INTELLIGENT_TIERING' AND storage_class = "
          "'INTELLIGENT_TIERING' THEN archived ELSE ?4 END, "
          "last_modified = ?5, checksum_algorithm = ?6, checksum_type = ?7, "
          "restore_expiry = COALESCE(?8, restore_expiry), "
          "state = CASE WHEN gone_at IS NOT NULL AND state = 'error' THEN 'discovered' ELSE state "
          "END, "
          "error_message = CASE WHEN gone_at IS NOT NULL AND state = 'error' THEN NULL ELSE "
          "error_message END, "
          "attempts = CASE WHEN gone_at IS NOT NULL AND state = 'error' THEN 0 ELSE attempts END, "
          "gone_at = NULL, updated_at = ?9 WHERE id = ?1"));
  // Changed object (or one we deleted that is back): a new object to migrate.
  S3M_ASSIGN_OR_RETURN(
      replace_file_,
      db_->Prepare(
          "UPDATE files SET version_id = ?2, size = ?3, etag = ?4, storage_class = ?5, "
          "archived = ?6, last_modified = ?7, checksum_algorithm = ?8, checksum_type = ?9, "
          "state = ?10, restore_expiry = ?11, attempts = 0, error_message = NULL, "
          "restore_requested_at = NULL, restore_tier = NULL, sse_type = NULL, "
          "content_type = NULL, user_metadata = NULL, headers = NULL, tags = NULL, checksums = NULL, "
          "parts_count = NULL, part_size = NULL, "
          "verified_by = NULL, verified_checksum = NULL, verified_at = NULL, deleted_at = NULL, "
          "previous_etag = ?12, "
          "previous_size = ?13, previous_version_id = ?14, previous_local_path = ?15, "
          "gone_at = NULL, seen_generation = ?16, updated_at = ?17 WHERE id = ?1"));
  S3M_ASSIGN_OR_RETURN(clear_chunks_, db_->Prepare("DELETE FROM download_chunks WHERE file_id = ?1"));
  return Status::Ok();
}

std::string StateStore::Now() const { return FormatIso8601(clock_->Now(), Iso8601Precision::kSeconds); }

// ---------------------------------------------------------------------------
// Buckets (their listings: listing_pages.cc)

Result<std::optional<BucketRecord>> StateStore::GetBucket(const std::string& name) {
  S3M_ASSIGN_OR_RETURN(Statement s, db_->Prepare(fmt::format(
                                        "SELECT {} FROM buckets WHERE name = ?1", kBucketColumns)));
  s.Bind(1, name);
  S3M_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<BucketRecord>();
  return std::optional<BucketRecord>(ReadBucketRecord(s));
}

Result<std::optional<BucketRecord>> StateStore::LockBucket(const std::string& name) {
  if (db_->postgres()) {
    // The lock first, then the row in a statement of its own: under READ
    // COMMITTED its snapshot (the listing_ranges count in it too) includes
    // what the previous holder of the lock committed.
    S3M_ASSIGN_OR_RETURN(Statement lock, db_->Prepare("SELECT name FROM buckets WHERE name = ?1 FOR UPDATE"));
    S3M_RETURN_IF_ERROR(lock.Bind(1, name).Run());
  }
  return GetBucket(name);
}

Result<std::vector<BucketRecord>> StateStore::Buckets() {
  S3M_ASSIGN_OR_RETURN(Statement s, db_->Prepare(fmt::format(
                                        "SELECT {} FROM buckets ORDER BY name", kBucketColumns)));
  std::vector<BucketRecord> out;
  for (;;) {
    S3M_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(ReadBucketRecord(s));
  }
  return out;
}


// ---------------------------------------------------------------------------
// Objects

Result<std::optional<FileRecord>> StateStore::GetFile(const std::string& bucket,
                                                      const std::string& key) {
  S3M_ASSIGN_OR_RETURN(
      Statement s, db_->Prepare(fmt::format("SELECT {} FROM files WHERE bucket = ?1 AND key = ?2 "
                                            "AND is_latest = 1",
                                            kFileColumns)));
  s.Bind(1, bucket).Bind(2, key);
  S3M_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<FileRecord>();
  return std::optional<FileRecord>(ReadFileRecord(s));
}

Result<std::vector<FileRecord>> StateStore::VerifiedCopies(const std::optional<std::string>& bucket,
                                                         int64_t after_id, int limit) {
  S3M_ASSIGN_OR_RETURN(
      Statement s,
      db_->Prepare(fmt::format("SELECT {} FROM files WHERE id > ?1 AND (CAST(?2 AS TEXT) IS NULL OR bucket = ?2) "
                               "AND state IN ('verified', 'deleted') AND local_path IS NOT NULL "
                               "ORDER BY id LIMIT ?3",
                               kFileColumns)));
  s.Bind(1, after_id).Bind(3, static_cast<int64_t>(limit));
  s.Bind(2, bucket);
  return ReadFileRecords(s);
}

Result<std::pair<std::vector<FileRecord>, int64_t>> StateStore::RecentErrors(int limit) {
  S3M_ASSIGN_OR_RETURN(
      Statement s, db_->Prepare(fmt::format("SELECT {} FROM files WHERE state = 'error' "
                                            "ORDER BY updated_at DESC, id DESC LIMIT ?1",
                                            kFileColumns)));
  s.Bind(1, static_cast<int64_t>(limit));
  S3M_ASSIGN_OR_RETURN(std::vector<FileRecord> rows, ReadFileRecords(s));
  S3M_ASSIGN_OR_RETURN(int64_t total,
                       db_->QueryInt("SELECT COALESCE(SUM(files), 0) FROM file_totals "
                                     "WHERE state = 'error'"));
  return std::make_pair(std::move(rows), total);
}

Result<FileState> StateStore::ResetObject(const std::string& bucket, const std::string& key) {
  S3M_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*db_));
  S3M_ASSIGN_OR_RETURN(std::optional<FileRecord> file, GetFile(bucket, key));
  if (!file) {
    return UsageError(
        "no such object in the state database (keys are exact and case-sensitive; "
        "`sqlite3 DB \"SELECT key FROM files WHERE bucket = '...' AND key LIKE '...%'\"` finds "
        "the spelling)",
        bucket, key);
  }
  if (file->state == FileState::kDeleted) {
    return UsageError(fmt::format("already migrated: verified and deleted from S3{}; there is "
                                  "nothing to reset (a `rescan` picks it up if it was uploaded "
                                  "again)",
                                  file->local_path ? ", local copy at " + *file->local_path : ""),
                      bucket, key);
  }
  S3M_ASSIGN_OR_RETURN(
      Statement s,
      // verified_by/verified_at stay: they describe the copy at local_path,
      // which stays a complete copy of this version (reconcile.h).
      db_->Prepare("UPDATE files SET state = 'discovered', attempts = 0, error_message = NULL, "
                   "gone_at = NULL, restore_requested_at = NULL, restore_tier = NULL, "
                   "updated_at = ?2 WHERE id = ?1"));
  S3M_RETURN_IF_ERROR(s.Bind(1, file->id).Bind(2, Now()).Run());
  S3M_RETURN_IF_ERROR(txn.Commit());
  return file->state;
}

Result<RetryOutcome> StateStore::RetryErrors(const std::optional<std::string>& bucket) {
  S3M_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*db_));
  const std::string scope = bucket ? " AND bucket = ?2" : "";
  if (bucket) {
    S3M_ASSIGN_OR_RETURN(std::optional<BucketRecord> known, GetBucket(*bucket));
    if (!known) {
      return UsageError("no such bucket in the state database (`s3migrate status --by-bucket` "
                        "lists the scanned buckets)",
                        *bucket);
    }
  }
  S3M_ASSIGN_OR_RETURN(
      Statement retry,
      db_->Prepare("UPDATE files SET state = 'discovered', attempts = 0, error_message = NULL, "
                   "updated_at = ?1 WHERE state = 'error' AND gone_at IS NULL" + scope));
  retry.Bind(1, Now());
  if (bucket) retry.Bind(2, *bucket);
  S3M_RETURN_IF_ERROR(retry.Run());
  RetryOutcome outcome;
  outcome.retried = db_->Changes();
  S3M_ASSIGN_OR_RETURN(Statement gone,
                       db_->Prepare(std::string("SELECT COUNT(*) FROM files WHERE state = "
                                                "'error' AND gone_at IS NOT NULL") +
                                    (bucket ? " AND bucket = ?1" : "")));
  if (bucket) gone.Bind(1, *bucket);
  S3M_ASSIGN_OR_RETURN(bool row, gone.Step());
  outcome.gone_left = row ? gone.ColumnInt(0) : 0;
  gone.Reset();
  S3M_RETURN_IF_ERROR(txn.Commit());
  return outcome;
}

// ---------------------------------------------------------------------------
// Aggregates

namespace {

// Runs a query of the shape "SELECT COUNT(*), COALESCE(SUM(x), 0) ..." into a Tally.
Result<Tally> QueryTally(Database& db, const std::string& sql) {
  S3M_ASSIGN_OR_RETURN(Statement s, db.Prepare(sql));
  S3M_ASSIGN_OR_RETURN(bool row, s.Step());
  Tally t;
  if (row) t = {s.ColumnInt(0), s.ColumnInt(1)};
  s.Reset();
  return t;
}

}  // namespace

Result<Summary> StateStore::Summarize(const SummaryOptions& options) {
  Summary summary;
  summary.schema_version = kSchemaVersion;
  // One snapshot for every figure, while a writer may be committing.
  S3M_ASSIGN_OR_RETURN(Transaction snapshot, Transaction::BeginRead(*db_));
  S3M_ASSIGN_OR_RETURN(summary.buckets, Buckets());
  S3M_ASSIGN_OR_RETURN(summary.workers, ListWorkers(*db_, kSummaryWorkers));

  // From the running totals (schema.cc, file_totals), a few rows per bucket:
  //   state       storage_class  SUM(files)  SUM(bytes)
  //   discovered  STANDARD       2998        3001234
  //   discovered  GLACIER        12          1200000000
  // Ranged GETs are estimated as files + bytes / chunk: exact for objects
  // below one chunk, at most one GET per object high otherwise.
  const auto chunk = static_cast<int64_t>(options.chunk_size == 0 ? 1 : options.chunk_size);
  {
    S3M_ASSIGN_OR_RETURN(
        Statement s,
        db_->Prepare("SELECT state, storage_class, SUM(files), SUM(bytes) FROM file_totals "
                     "GROUP BY state, storage_class HAVING SUM(files) > 0 "
                     "ORDER BY state, storage_class"));
    for (;;) {
      S3M_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      StateClassTally t;
      t.state = ParseFileState(s.ColumnText(0)).value_or(FileState::kError);
      t.storage_class = s.ColumnText(1);
      t.tally = {s.ColumnInt(2), s.ColumnInt(3)};
      t.get_requests = t.tally.files + t.tally.bytes / chunk;
      summary.groups.push_back(std::move(t));
    }
  }
  if (options.by_bucket) {
    S3M_ASSIGN_OR_RETURN(Statement s,
                         db_->Prepare("SELECT bucket, state, SUM(files), SUM(bytes) FROM "
                                      "file_totals GROUP BY bucket, state HAVING SUM(files) > 0 "
                                      "ORDER BY bucket, state"));
    for (;;) {
      S3M_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      StateClassTally t;
      t.bucket = s.ColumnText(0);
      t.state = ParseFileState(s.ColumnText(1)).value_or(FileState::kError);
      t.tally = {s.ColumnInt(2), s.ColumnInt(3)};
      summary.bucket_groups.push_back(std::move(t));
    }
  }
  // Objects the engine found archived although their class is read directly
  // otherwise (Intelligent-Tiering archive tiers).
  S3M_ASSIGN_OR_RETURN(summary.archived_other_discovered,
                       QueryTally(*db_, "SELECT COALESCE(SUM(files), 0), COALESCE(SUM(bytes), 0) "
                                        "FROM file_totals WHERE state = 'discovered' AND "
                                        "archived = 1 AND storage_class NOT IN ('GLACIER', "
                                        "'DEEP_ARCHIVE')"));
  // Early deletion: archived objects still in S3 that are younger than their
  // class's minimum storage duration, by the days they have left (their age
  // counted from the start of their LastModified day).
  const std::string now_text = FormatIso8601(options.now, Iso8601Precision::kSeconds);
  for (const auto& [storage_class, minimum_days] :
       std::vector<std::pair<std::string, int>>{{"GLACIER", 90}, {"DEEP_ARCHIVE", 180}}) {
    S3M_ASSIGN_OR_RETURN(
        Statement s,
        db_->Prepare(fmt::format(
            "SELECT COALESCE(SUM(files), 0), COALESCE(SUM(bytes), 0), "
            "COALESCE(SUM(bytes * (?3 - age)), 0) FROM ("
            "  SELECT files, bytes, {} AS age "
            "  FROM file_totals WHERE state != 'deleted' AND archived = 1 "
            "  AND storage_class = ?2 AND files > 0) AS aged WHERE age < ?3",
            // Days between now and the archived day, with their fraction.
            db_->postgres() ? "EXTRACT(EPOCH FROM CAST(?1 AS TIMESTAMPTZ) - CAST(archived_day AS "
                              "TIMESTAMPTZ)) / 86400.0"
                            : "julianday(?1) - julianday(archived_day)")));
    s.Bind(1, now_text).Bind(2, storage_class).Bind(3, static_cast<int64_t>(minimum_days));
    S3M_ASSIGN_OR_RETURN(bool row, s.Step());
    EarlyDeletionTally e;
    e.storage_class = storage_class;
    e.minimum_days = minimum_days;
    if (row) {
      e.young_files = s.ColumnInt(0);
      e.young_bytes = s.ColumnInt(1);
      e.remaining_byte_days = s.ColumnDouble(2);
    }
    summary.early_deletion.push_back(e);
  }
  S3M_ASSIGN_OR_RETURN(summary.gone_before_download,
                       QueryTally(*db_, "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM files "
                                        "WHERE gone_at IS NOT NULL AND state = 'error'"));
  S3M_ASSIGN_OR_RETURN(summary.gone_after_download,
                       QueryTally(*db_, "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM files "
                                        "WHERE gone_at IS NOT NULL AND state IN ('downloaded', "
                                        "'verified')"));
  S3M_ASSIGN_OR_RETURN(summary.previous_copies,
                       QueryTally(*db_, "SELECT COUNT(*), COALESCE(SUM(previous_size), 0) FROM "
                                        "files WHERE previous_local_path IS NOT NULL"));
  S3M_RETURN_IF_ERROR(snapshot.Commit());
  return summary;
}

}  // namespace s3m::store
