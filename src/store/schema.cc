#include "store/schema.h"

#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/clock.h"
#include "core/time_format.h"
#include "core/unicode.h"
#include "s3m_version.h"

namespace s3m::store {

// Column meanings are documented in README.md ("The state database"). Every
// *_at column holds UTC ISO 8601 to the second ("2026-11-24T06:06:43Z"), so
// that text order is time order and sqlite3's julianday() reads it.
const std::string_view kCreateSchemaSql = R"sql(
CREATE TABLE buckets (
  name                 TEXT PRIMARY KEY,
  region               TEXT NOT NULL DEFAULT '',
  versioning           TEXT NOT NULL DEFAULT '',
  listing_api          TEXT NOT NULL DEFAULT '',
  scan_state           TEXT NOT NULL DEFAULT 'pending'
                       CHECK (scan_state IN ('pending', 'listing', 'complete', 'failed')),
  scan_generation      INTEGER NOT NULL DEFAULT 0,
  continuation_token   TEXT NOT NULL DEFAULT '',
  version_id_marker    TEXT NOT NULL DEFAULT '',
  last_key             TEXT NOT NULL DEFAULT '',
  scan_filter          TEXT NOT NULL DEFAULT '',
  scan_started_at      TEXT,
  scan_completed_at    TEXT,
  listed_objects       INTEGER NOT NULL DEFAULT 0,
  listed_bytes         INTEGER NOT NULL DEFAULT 0,
  noncurrent_versions  INTEGER NOT NULL DEFAULT 0,
  noncurrent_bytes     INTEGER NOT NULL DEFAULT 0,
  delete_markers       INTEGER NOT NULL DEFAULT 0,
  last_error           TEXT,
  updated_at           TEXT NOT NULL,
  claimed_by           INTEGER
);

CREATE TABLE files (
  id                    INTEGER PRIMARY KEY,
  bucket                TEXT NOT NULL,
  key                   TEXT NOT NULL,
  version_id            TEXT NOT NULL DEFAULT '',
  is_latest             INTEGER NOT NULL DEFAULT 1,
  size                  INTEGER NOT NULL DEFAULT 0,
  etag                  TEXT NOT NULL DEFAULT '',
  storage_class         TEXT NOT NULL DEFAULT 'STANDARD',
  archived              INTEGER NOT NULL DEFAULT 0,
  last_modified         TEXT NOT NULL DEFAULT '',
  checksum_algorithm    TEXT NOT NULL DEFAULT '',
  checksum_type         TEXT NOT NULL DEFAULT '',
  state                 TEXT NOT NULL DEFAULT 'discovered'
                        CHECK (state IN ('discovered', 'downloading', 'downloaded', 'verified',
                                         'deleted', 'glacier_restore_requested',
                                         'glacier_restoring', 'error')),
  attempts              INTEGER NOT NULL DEFAULT 0,
  error_message         TEXT,
  local_path            TEXT,
  local_path_folded     TEXT,
  restore_requested_at  TEXT,
  restore_tier          TEXT,
  restore_expiry        TEXT,
  sse_type              TEXT,
  content_type          TEXT,
  user_metadata         TEXT,
  headers               TEXT,
  tags                  TEXT,
  checksums             TEXT,
  parts_count           INTEGER,
  part_size             INTEGER,
  verified_by           TEXT,
  verified_checksum     TEXT,
  verified_at           TEXT,
  deleted_at            TEXT,
  previous_etag         TEXT,
  previous_size         INTEGER,
  previous_version_id   TEXT,
  previous_local_path   TEXT,
  gone_at               TEXT,
  seen_generation       INTEGER NOT NULL DEFAULT 0,
  discovered_generation INTEGER NOT NULL DEFAULT 0,
  created_at            TEXT NOT NULL,
  updated_at            TEXT NOT NULL,
  claimed_by            INTEGER,
  UNIQUE (bucket, key, version_id)
);

-- The engine's work queues, keyset-paginated by id (every index ends in the
-- rowid): discovered & readable now, discovered & archived, restores in
-- flight, downloads to resume, verified awaiting delete, errors for retry.
CREATE INDEX files_by_state ON files (state, archived);

-- Small partial indexes for what rescan leaves to report.
CREATE INDEX files_gone ON files (bucket, state) WHERE gone_at IS NOT NULL;
CREATE INDEX files_with_previous_copy ON files (bucket) WHERE previous_local_path IS NOT NULL;

-- local_path_folded is local_path case-folded and in NFC (core/unicode.h),
-- kept by s3migrate with local_path: every path that can be the same file as
-- another on some filesystem has the same folded form, so a new object's path
-- is checked against the recorded ones through this index.
CREATE INDEX files_by_local_path ON files (local_path_folded) WHERE local_path_folded IS NOT NULL;

-- Byte ranges of a large object's partial download that are written and
-- fsynced (atomic_file.h's ordering rule: a range is recorded only after a
-- sync that followed its last write). A resumed download skips them.
CREATE TABLE download_chunks (
  file_id  INTEGER NOT NULL REFERENCES files (id) ON DELETE CASCADE,
  offset   INTEGER NOT NULL,
  length   INTEGER NOT NULL,
  PRIMARY KEY (file_id, offset)
) WITHOUT ROWID;

-- Running totals behind `status`, so that it sums a few hundred rows
-- instead of reading millions. Rows inserted into `files` are counted by
-- StateStore in the same transaction (one upsert per group and page, not a
-- trigger per row: that keeps ingest fast); every UPDATE and DELETE — the
-- engine's, or a user's own in sqlite3 — is counted by the triggers below.
-- archived_day is the LastModified date of archived objects ('' otherwise):
-- the early-deletion estimate needs their age, to the day. A group may have
-- several rows, one per shard, and only their sum means anything: workers
-- sharing a PostgreSQL state each count into a shard of their own, so that
-- their transactions never wait on (or deadlock over) the same rows. In
-- SQLite there is one writer and every row is shard 0.
CREATE TABLE file_totals (
  bucket        TEXT NOT NULL,
  state         TEXT NOT NULL,
  storage_class TEXT NOT NULL,
  archived      INTEGER NOT NULL,
  archived_day  TEXT NOT NULL,
  files         INTEGER NOT NULL,
  bytes         INTEGER NOT NULL,
  shard         INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (bucket, state, storage_class, archived, archived_day, shard)
) WITHOUT ROWID;

CREATE TRIGGER file_totals_after_delete AFTER DELETE ON files BEGIN
  INSERT INTO file_totals (bucket, state, storage_class, archived, archived_day, files, bytes)
    VALUES (OLD.bucket, OLD.state, OLD.storage_class, OLD.archived,
      CASE WHEN OLD.archived THEN substr(OLD.last_modified, 1, 10) ELSE '' END, -1, -OLD.size)
    ON CONFLICT DO UPDATE SET files = files + excluded.files, bytes = bytes + excluded.bytes;
END;

CREATE TRIGGER file_totals_after_update
AFTER UPDATE OF bucket, state, storage_class, archived, last_modified, size ON files BEGIN
  INSERT INTO file_totals (bucket, state, storage_class, archived, archived_day, files, bytes)
    VALUES (OLD.bucket, OLD.state, OLD.storage_class, OLD.archived,
      CASE WHEN OLD.archived THEN substr(OLD.last_modified, 1, 10) ELSE '' END, -1, -OLD.size)
    ON CONFLICT DO UPDATE SET files = files + excluded.files, bytes = bytes + excluded.bytes;
  INSERT INTO file_totals (bucket, state, storage_class, archived, archived_day, files, bytes)
    VALUES (NEW.bucket, NEW.state, NEW.storage_class, NEW.archived,
      CASE WHEN NEW.archived THEN substr(NEW.last_modified, 1, 10) ELSE '' END, 1, NEW.size)
    ON CONFLICT DO UPDATE SET files = files + 1, bytes = bytes + excluded.bytes;
END;

-- Copies with a readable restore (restore_expiry set): the live page asks
-- for those still waiting for a download once a second, and must not walk
-- every archived row to find them.
CREATE INDEX files_restored ON files (state) WHERE restore_expiry IS NOT NULL;

-- One row per progress sample of a migrate run (every
-- progress_sample_interval): the live page's and the report's charts, kept
-- across restarts. bytes_received counts from the start of its run
-- (run_started_at); run_ended is 1 on the sample a run stores as it ends;
-- the *_files/*_bytes columns are the totals per state at that moment. The
-- newest 250,000 samples are kept.
CREATE TABLE progress_samples (
  id                  INTEGER PRIMARY KEY,
  at                  TEXT NOT NULL,
  run_started_at      TEXT NOT NULL,
  bytes_received      INTEGER NOT NULL,
  active_transfers    INTEGER NOT NULL,
  restores_in_flight  INTEGER NOT NULL,
  restores_ready      INTEGER NOT NULL,
  errors_this_run     INTEGER NOT NULL,
  run_ended           INTEGER NOT NULL DEFAULT 0,
  discovered_files                 INTEGER NOT NULL DEFAULT 0,
  discovered_bytes                 INTEGER NOT NULL DEFAULT 0,
  downloading_files                INTEGER NOT NULL DEFAULT 0,
  downloading_bytes                INTEGER NOT NULL DEFAULT 0,
  downloaded_files                 INTEGER NOT NULL DEFAULT 0,
  downloaded_bytes                 INTEGER NOT NULL DEFAULT 0,
  verified_files                   INTEGER NOT NULL DEFAULT 0,
  verified_bytes                   INTEGER NOT NULL DEFAULT 0,
  deleted_files                    INTEGER NOT NULL DEFAULT 0,
  deleted_bytes                    INTEGER NOT NULL DEFAULT 0,
  glacier_restore_requested_files  INTEGER NOT NULL DEFAULT 0,
  glacier_restore_requested_bytes  INTEGER NOT NULL DEFAULT 0,
  glacier_restoring_files          INTEGER NOT NULL DEFAULT 0,
  glacier_restoring_bytes          INTEGER NOT NULL DEFAULT 0,
  error_files                      INTEGER NOT NULL DEFAULT 0,
  error_bytes                      INTEGER NOT NULL DEFAULT 0
);

-- Every migrate process that works on this state is a worker (several at
-- once on a PostgreSQL state, issue 20): a row made when it starts, its
-- heartbeat_at renewed every worker_lease / 4 by the database server's clock,
-- stopped_at set when it ends. It holds the objects whose files.claimed_by
-- is its id; its claims lapse when its heartbeat is older than the lease
-- (it died), and other workers take those objects over. objects and bytes:
-- what it deleted from S3 and received, as of its last heartbeat.
CREATE TABLE workers (
  id            INTEGER PRIMARY KEY,
  host          TEXT NOT NULL,
  pid           INTEGER NOT NULL,
  started_at    TEXT NOT NULL,
  heartbeat_at  TEXT NOT NULL,
  lease_seconds INTEGER NOT NULL,
  idle          INTEGER NOT NULL DEFAULT 0,
  stopped_at    TEXT,
  objects       INTEGER NOT NULL DEFAULT 0,
  bytes         INTEGER NOT NULL DEFAULT 0,
  restores_pending INTEGER NOT NULL DEFAULT 0
);

-- Limits every worker shares (issue 20), a row each, locked by a worker
-- while it takes from it. 'restore_requests': last_slot_us is when the
-- latest restore request any worker took a slot for may be sent (the server's
-- clock, microseconds since 1970): restore_requests_per_second holds across
-- workers. A live worker's workers.restores_pending counts the requests it
-- sent and has not recorded the answer to: max_glacier_restores counts them.
CREATE TABLE shared_limits (
  name          TEXT PRIMARY KEY,
  last_slot_us  INTEGER NOT NULL DEFAULT 0
);

-- A bucket listed in key ranges at once, by several listers of one scan or
-- by several scan workers: made when an idle lister first splits a bucket's
-- listing (the bucket row's position moves here as the first range, start
-- ''), removed when the listing completes. A range holds the keys after
-- range_start up to and including range_end ('' = to the bucket's end); its
-- lister's position is committed with each page, as the bucket row's is.
CREATE TABLE listing_ranges (
  bucket              TEXT NOT NULL,
  range_start         TEXT NOT NULL,
  range_end           TEXT NOT NULL DEFAULT '',
  done                INTEGER NOT NULL DEFAULT 0,
  continuation_token  TEXT NOT NULL DEFAULT '',
  version_id_marker   TEXT NOT NULL DEFAULT '',
  last_key            TEXT NOT NULL DEFAULT '',
  claimed_by          INTEGER,
  updated_at          TEXT NOT NULL,
  PRIMARY KEY (bucket, range_start)
) WITHOUT ROWID;

-- The objects each worker holds.
CREATE INDEX files_by_claim ON files (claimed_by) WHERE claimed_by IS NOT NULL;
)sql";

const std::string_view kCountAllFilesSql = R"sql(
INSERT INTO file_totals (bucket, state, storage_class, archived, archived_day, files, bytes)
  SELECT bucket, state, storage_class, archived,
         CASE WHEN archived THEN substr(last_modified, 1, 10) ELSE '' END, COUNT(*), SUM(size)
  FROM files GROUP BY 1, 2, 3, 4, 5;
)sql";

namespace {

Status SchemaError(const Database& db, std::string message) {
  ErrorContext ctx;
  ctx.operation = "open database";
  ctx.path = db.path();
  return Status::Error(ErrorKind::kFatal, std::move(message), ctx);
}

Result<std::vector<std::string>> TableNames(Database& db) {
  return db.QueryStrings("SELECT name FROM sqlite_master WHERE type = 'table' AND "
                         "name NOT LIKE 'sqlite_%' ORDER BY name");
}

Result<std::set<std::string>> ColumnNames(Database& db, const std::string& table) {
  S3M_ASSIGN_OR_RETURN(std::vector<std::string> names,
                       db.QueryStrings(fmt::format("PRAGMA table_info({})", table), 1));
  return std::set<std::string>(names.begin(), names.end());
}

std::string NowText() { return FormatIso8601(Clock::Real().Now(), Iso8601Precision::kSeconds); }

// Version 1 -> 2: the earlier tool's table becomes today's. Its rows keep
// their state; a state string it invented becomes 'error' with an
// explanation. Its buckets are marked 'pending' so the next `scan` lists
// them again: that tool recorded failed listings as complete (PRODUCT.md §8).
Status UpgradeFrom1(Database& db) {
  S3M_ASSIGN_OR_RETURN(std::set<std::string> cols, ColumnNames(db, "files"));
  for (const char* required : {"bucket", "key", "state"}) {
    if (!cols.count(required)) {
      return SchemaError(db, fmt::format("the `files` table has no `{}` column: this is not a "
                                         "state database of s3migrate or of the earlier tool",
                                         required));
    }
  }
  auto col = [&](const char* name, const char* fallback) -> std::string {
    return cols.count(name) ? name : fallback;
  };
  const std::string now = NowText();
  const std::string known =
      "('discovered', 'downloading', 'downloaded', 'verified', 'deleted', "
      "'glacier_restore_requested', 'glacier_restoring', 'error')";
  const std::string storage_class =
      fmt::format("COALESCE(NULLIF({}, ''), 'STANDARD')", col("storage_class", "NULL"));
  const std::string copy = fmt::format(
      "INSERT INTO files (bucket, key, size, etag, storage_class, archived, last_modified, state, "
      "error_message, local_path, created_at, updated_at) "
      "SELECT bucket, key, COALESCE({size}, 0), TRIM(COALESCE({etag}, ''), '\"'), {sc}, "
      "{sc} IN ('GLACIER', 'DEEP_ARCHIVE'), COALESCE({lm}, ''), "
      "CASE WHEN state IN {known} THEN state ELSE 'error' END, "
      "CASE WHEN state IN {known} THEN {em} ELSE "
      "'unknown state ''' || COALESCE(state, 'NULL') || ''' in the earlier tool''s database; "
      "run `s3migrate reset` for this object' END, "
      "{lp}, COALESCE({ca}, '{now}'), COALESCE({ua}, '{now}') FROM files_v1",
      fmt::arg("size", col("size", "NULL")), fmt::arg("etag", col("etag", "NULL")),
      fmt::arg("sc", storage_class), fmt::arg("lm", col("last_modified", "NULL")),
      fmt::arg("known", known), fmt::arg("em", col("error_message", "NULL")),
      fmt::arg("lp", col("local_path", "NULL")), fmt::arg("ca", col("created_at", "NULL")),
      fmt::arg("ua", col("updated_at", "NULL")), fmt::arg("now", now));

  S3M_RETURN_IF_ERROR(db.Exec("ALTER TABLE files RENAME TO files_v1"));
  // Indexes of the old table keep their names; drop them so ours can exist.
  S3M_ASSIGN_OR_RETURN(std::vector<std::string> index_names,
                       db.QueryStrings("SELECT name FROM sqlite_master WHERE type = 'index' AND "
                                       "tbl_name = 'files_v1' AND sql IS NOT NULL"));
  for (const auto& name : index_names) {
    S3M_RETURN_IF_ERROR(db.Exec(fmt::format("DROP INDEX \"{}\"", name)));
  }
  S3M_RETURN_IF_ERROR(db.Exec(kCreateSchemaSql));
  S3M_RETURN_IF_ERROR(db.Exec(copy));
  S3M_RETURN_IF_ERROR(db.Exec(kCountAllFilesSql));
  S3M_RETURN_IF_ERROR(db.Exec(fmt::format(
      "INSERT INTO buckets (name, scan_state, updated_at) SELECT DISTINCT bucket, 'pending', '{}' "
      "FROM files",
      now)));
  return db.Exec("DROP TABLE files_v1");
}

// Version 2 -> 3: resumable downloads record their finished ranges.
Status UpgradeFrom2(Database& db) {
  return db.Exec(R"sql(
CREATE TABLE download_chunks (
  file_id  INTEGER NOT NULL REFERENCES files (id) ON DELETE CASCADE,
  offset   INTEGER NOT NULL,
  length   INTEGER NOT NULL,
  PRIMARY KEY (file_id, offset)
) WITHOUT ROWID;
)sql");
}

// Version 3 -> 4: each recorded local path gets its folded form.
Status UpgradeFrom3(Database& db) {
  return db.Exec(R"sql(
ALTER TABLE files ADD COLUMN local_path_folded TEXT;
CREATE INDEX files_by_local_path ON files (local_path_folded) WHERE local_path_folded IS NOT NULL;
)sql");
}

// Version 4 -> 5: the checksum or ETag each copy was verified against, so
// `s3migrate verify` can re-check copies after S3 is empty.
Status UpgradeFrom4(Database& db) {
  return db.Exec("ALTER TABLE files ADD COLUMN verified_checksum TEXT");
}

// Version 5 -> 6: the restored-copies index and progress samples, for the
// live page.
Status UpgradeFrom5(Database& db) {
  // From the index to the end of the table: the statements schema 6 added.
  const std::string_view sql = kCreateSchemaSql;
  const size_t start = sql.find("CREATE INDEX files_restored");
  const size_t end = sql.find(");", sql.find("CREATE TABLE progress_samples"));
  std::string added(sql.substr(start, end + 2 - start));
  // The index may exist already (a file that went back and forth).
  added.replace(0, std::string_view("CREATE INDEX").size(), "CREATE INDEX IF NOT EXISTS");
  return db.Exec(added);
}

// Version 6 -> 7: what S3 knew of each object beside its bytes.
Status UpgradeFrom6(Database& db) {
  return db.Exec(R"sql(
ALTER TABLE files ADD COLUMN headers TEXT;
ALTER TABLE files ADD COLUMN tags TEXT;
ALTER TABLE files ADD COLUMN checksums TEXT;
)sql");
}

// The CREATE statement of kCreateSchemaSql that begins with `head`, to its
// end (");" or "END;").
std::string CreateStatement(std::string_view head, std::string_view end) {
  const std::string_view sql = kCreateSchemaSql;
  const size_t start = sql.find(head);
  const size_t stop = sql.find(end, start);
  return std::string(sql.substr(start, stop + end.size() - start)) + "\n";
}

// Version 7 -> 8: workers and their claims, and file_totals in shards
// (recounted: the totals are derived), with its triggers.
Status UpgradeFrom7(Database& db) {
  std::string sql = "ALTER TABLE files ADD COLUMN claimed_by INTEGER;\n"
                    "DROP TRIGGER file_totals_after_delete; DROP TRIGGER file_totals_after_update;\n"
                    "DROP TABLE file_totals;\n";
  sql += CreateStatement("CREATE TABLE file_totals", ") WITHOUT ROWID;");
  sql += CreateStatement("CREATE TRIGGER file_totals_after_delete", "END;");
  sql += CreateStatement("CREATE TRIGGER file_totals_after_update", "END;");
  sql += std::string(kCountAllFilesSql);
  sql += CreateStatement("CREATE TABLE workers", ");");
  sql += "CREATE INDEX files_by_claim ON files (claimed_by) WHERE claimed_by IS NOT NULL;\n";
  return db.Exec(sql);
}

// Version 8 -> 9: limits shared by the workers, buckets claimed by scan
// workers. (From 7, UpgradeFrom7 made
// the workers table as it is now.)
Status UpgradeFrom8(Database& db, int version) {
  std::string sql = CreateStatement("CREATE TABLE shared_limits", ");");
  sql += "ALTER TABLE buckets ADD COLUMN claimed_by INTEGER;\n";
  if (version == 8) sql += "ALTER TABLE workers ADD COLUMN restores_pending INTEGER NOT NULL DEFAULT 0;\n";
  return db.Exec(sql);
}

// Version 9 -> 10: buckets listed in key ranges.
Status UpgradeFrom9(Database& db) { return db.Exec(CreateStatement("CREATE TABLE listing_ranges", ") WITHOUT ROWID;")); }

// Fills local_path_folded for rows that have a local_path but no folded form
// (rows of an older schema). The fold is C++ (utf8proc), not SQL.
Status FoldLocalPaths(Database& db) {
  S3M_ASSIGN_OR_RETURN(Statement read, db.Prepare("SELECT id, local_path FROM files WHERE "
                                                  "local_path IS NOT NULL AND local_path_folded IS NULL"));
  std::vector<std::pair<int64_t, std::string>> rows;
  for (;;) {
    S3M_ASSIGN_OR_RETURN(bool row, read.Step());
    if (!row) break;
    rows.emplace_back(read.ColumnInt(0), CaseFoldNfc(read.ColumnText(1)));
  }
  read.Reset();
  S3M_ASSIGN_OR_RETURN(Statement write,
                       db.Prepare("UPDATE files SET local_path_folded = ?2 WHERE id = ?1"));
  for (const auto& [id, folded] : rows) S3M_RETURN_IF_ERROR(write.Bind(1, id).Bind(2, folded).Run());
  return Status::Ok();
}

}  // namespace

Result<int> DetectSchemaVersion(Database& db) {
  S3M_ASSIGN_OR_RETURN(int64_t version, db.QueryInt("PRAGMA user_version"));
  if (version != 0) return static_cast<int>(version);
  S3M_ASSIGN_OR_RETURN(std::vector<std::string> tables, TableNames(db));
  if (tables.empty()) return 0;
  if (tables == std::vector<std::string>{"files"}) return 1;
  return SchemaError(db, "this file holds tables that are not an s3migrate state database; "
                         "check --db (or state_db in the config file)");
}

Status UpgradeSchema(Database& db) {
  S3M_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db));
  // Read the version inside the write transaction: another process may have
  // upgraded the file since we last looked.
  S3M_ASSIGN_OR_RETURN(int version, DetectSchemaVersion(db));
  if (version == kSchemaVersion) return Status::Ok();  // rolls back the empty transaction
  if (version > kSchemaVersion) {
    return SchemaError(
        db, fmt::format("the state database has schema version {}, newer than this s3migrate {} "
                        "understands (version {}); it was written by a newer s3migrate: use that "
                        "one (nothing was changed)",
                        version, S3M_VERSION, kSchemaVersion));
  }
  if (version == 0) {
    S3M_RETURN_IF_ERROR(db.Exec(kCreateSchemaSql));
  } else if (version == 1) {
    S3M_RETURN_IF_ERROR(UpgradeFrom1(db));
  } else if (version >= 2 && version <= 9) {
    // Each step in turn, from the file's version on.
    if (version <= 2) S3M_RETURN_IF_ERROR(UpgradeFrom2(db));
    if (version <= 3) S3M_RETURN_IF_ERROR(UpgradeFrom3(db));
    if (version <= 4) S3M_RETURN_IF_ERROR(UpgradeFrom4(db));
    if (version <= 5) S3M_RETURN_IF_ERROR(UpgradeFrom5(db));
    if (version <= 6) S3M_RETURN_IF_ERROR(UpgradeFrom6(db));
    if (version <= 7) S3M_RETURN_IF_ERROR(UpgradeFrom7(db));
    if (version <= 8) S3M_RETURN_IF_ERROR(UpgradeFrom8(db, version));
    S3M_RETURN_IF_ERROR(UpgradeFrom9(db));
  } else {
    return SchemaError(db, fmt::format("unknown schema version {}", version));
  }
  S3M_RETURN_IF_ERROR(FoldLocalPaths(db));
  S3M_RETURN_IF_ERROR(db.Exec(fmt::format("PRAGMA user_version = {}", kSchemaVersion)));
  return txn.Commit();
}

}  // namespace s3m::store
