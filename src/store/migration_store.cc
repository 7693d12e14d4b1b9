#include "store/migration_store.h"

#include <fmt/format.h>

#include "core/time_format.h"
#include "store/workers.h"
#include "core/unicode.h"
#include "store/reconcile.h"

namespace s3m::store {

namespace {

constexpr const char* kWorkColumns =
    "f.id, f.bucket, f.key, f.version_id, f.size, f.etag, f.storage_class, f.archived, "
    "f.last_modified, f.checksum_algorithm, f.checksum_type, f.state, f.attempts, "
    "f.error_message, f.local_path, f.restore_requested_at, f.restore_tier, f.restore_expiry, "
    "f.verified_by, f.previous_local_path, "
    "CASE WHEN b.listing_api = 'ListObjectVersions' THEN 1 ELSE 0 END";

constexpr const char* kWorkFrom = "files f LEFT JOIN buckets b ON b.name = f.bucket";

WorkItem ReadWorkItem(const Statement& s) {
  WorkItem w;
  w.id = s.ColumnInt(0);
  w.bucket = s.ColumnText(1);
  w.key = s.ColumnText(2);
  w.version_id = s.ColumnText(3);
  w.size = s.ColumnInt(4);
  w.etag = s.ColumnText(5);
  w.storage_class = s.ColumnText(6);
  w.archived = s.ColumnInt(7) != 0;
  w.last_modified = s.ColumnText(8);
  w.checksum_algorithm = s.ColumnText(9);
  w.checksum_type = s.ColumnText(10);
  w.state = ParseFileState(s.ColumnText(11)).value_or(FileState::kError);
  w.attempts = s.ColumnInt(12);
  w.error_message = s.ColumnOptionalText(13);
  w.local_path = s.ColumnOptionalText(14);
  w.restore_requested_at = s.ColumnOptionalText(15);
  w.restore_tier = s.ColumnOptionalText(16);
  w.restore_expiry = s.ColumnOptionalText(17);
  w.verified_by = s.ColumnOptionalText(18);
  w.previous_local_path = s.ColumnOptionalText(19);
  w.bucket_versioned = s.ColumnInt(20) != 0;
  return w;
}

Result<std::vector<WorkItem>> ReadAll(Statement& s) {
  std::vector<WorkItem> out;
  for (;;) {
    S3M_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(ReadWorkItem(s));
  }
  return out;
}

// The (state, archived) pair of files_by_state each queue walks.
std::pair<FileState, std::optional<bool>> QueueKey(WorkQueue queue) {
  switch (queue) {
    case WorkQueue::kDownloadable: return {FileState::kDiscovered, false};
    case WorkQueue::kNeedsRestore: return {FileState::kDiscovered, true};
    case WorkQueue::kResumeDownload: return {FileState::kDownloading, std::nullopt};
    case WorkQueue::kDownloaded: return {FileState::kDownloaded, std::nullopt};
    case WorkQueue::kRestoreRequested: return {FileState::kGlacierRestoreRequested, std::nullopt};
    case WorkQueue::kRestoring: return {FileState::kGlacierRestoring, std::nullopt};
    case WorkQueue::kVerified: return {FileState::kVerified, std::nullopt};
  }
  return {FileState::kDiscovered, false};
}

// Binds an optional text change: unset -> keep (NULL parameter + flag 0),
// "" -> NULL, else the value. The SQL reads
//   col = CASE WHEN ?flag THEN NULLIF(?value, '') ELSE col END
void BindTextChange(Statement& s, int index, const std::optional<std::string>& value) {
  s.Bind(index, static_cast<int64_t>(value.has_value()));
  s.Bind(index + 1, value.value_or(""));
}

}  // namespace

Result<Statement*> MigrationStore::Cached(const std::string& sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    S3M_ASSIGN_OR_RETURN(Statement statement, db_.Prepare(sql));
    it = statements_.emplace(sql, std::move(statement)).first;
  } else {
    it->second.Reset();
  }
  return &it->second;
}

std::string MigrationStore::Now() const {
  return FormatIso8601((clock_ ? *clock_ : Clock::Real()).Now(), Iso8601Precision::kSeconds);
}

std::string MigrationStore::QueueWhere(WorkQueue queue) const {
  const auto [state, archived] = QueueKey(queue);
  std::string where = fmt::format("f.state = '{}'", FileStateName(state));
  if (archived) where += fmt::format(" AND f.archived = {}", *archived ? 1 : 0);
  return where;
}

std::string MigrationStore::ClaimableSql() const {
  return ClaimableBySql(db_, "f.claimed_by", worker_);
}

Result<std::vector<WorkItem>> MigrationStore::Next(WorkQueue queue, int64_t after_id, int limit) {
  if (worker_ != 0) {
    // A worker claims what it reads: the first `limit` rows after
    // `after_id` that no live worker but itself holds. On PostgreSQL, rows
    // another worker is claiming this instant are skipped, not waited for,
    // and the lock re-checks the row as it is now (a claim committed
    // meanwhile makes it fail the condition). The read below then returns
    // the rows it holds there: the same rows (every row it holds was
    // claimable).
    S3M_ASSIGN_OR_RETURN(Statement* claim,
                         Cached(fmt::format("UPDATE files SET claimed_by = {} WHERE id IN (SELECT f.id FROM files f "
                                            "WHERE {} AND f.id > ?1 AND {} ORDER BY f.id LIMIT ?2{})",
                                            worker_, QueueWhere(queue), ClaimableSql(),
                                            db_.postgres() ? " FOR UPDATE SKIP LOCKED" : "")));
    S3M_RETURN_IF_ERROR(claim->Bind(1, after_id).Bind(2, static_cast<int64_t>(limit)).Run());
  }
  // files_by_state (state, archived, rowid) serves every form in id order.
  S3M_ASSIGN_OR_RETURN(Statement* s, Cached(fmt::format("SELECT {} FROM {} WHERE {} AND f.id > ?1{} ORDER BY f.id "
                                                        "LIMIT ?2",
                                                        kWorkColumns, kWorkFrom, QueueWhere(queue), HeldSql("f."))));
  s->Bind(1, after_id).Bind(2, static_cast<int64_t>(limit));
  return ReadAll(*s);
}

Status MigrationStore::MarkIdle(bool idle) {
  if (worker_ == 0) return Status::Ok();
  S3M_ASSIGN_OR_RETURN(Statement* s, Cached("UPDATE workers SET idle = ?2 WHERE id = ?1"));
  return s->Bind(1, worker_).Bind(2, static_cast<int64_t>(idle)).Run();
}

Result<PoolState> MigrationStore::Pool(const std::vector<WorkQueue>& queues) {
  PoolState pool;
  if (worker_ == 0) return pool;
  std::string any;
  for (WorkQueue q : queues) any += fmt::format("{}({})", any.empty() ? "" : " OR ", QueueWhere(q));
  if (!any.empty()) {
    S3M_ASSIGN_OR_RETURN(
        Statement* orphans,
        Cached(fmt::format("SELECT CASE WHEN EXISTS (SELECT 1 FROM files f WHERE f.claimed_by IS NOT NULL AND "
                           "f.claimed_by <> {} AND ({}) AND {}) THEN 1 ELSE 0 END",
                           worker_, any, ClaimableSql())));
    S3M_ASSIGN_OR_RETURN(bool row, orphans->Step());
    pool.orphans = row && orphans->ColumnInt(0) == 1;
    orphans->Reset();
  }
  S3M_ASSIGN_OR_RETURN(Statement* working,
                       Cached(fmt::format("SELECT COUNT(*) FROM workers w WHERE w.id <> {} AND w.idle = 0 AND {}",
                                          worker_, LiveWorkerSql(db_, "w"))));
  S3M_ASSIGN_OR_RETURN(bool row, working->Step());
  pool.others_working = row ? working->ColumnInt(0) : 0;
  working->Reset();
  return pool;
}

namespace {
constexpr const char* kServerMicrosSql = "(extract(epoch from clock_timestamp()) * 1000000)::bigint";
}  // namespace

Result<RestoreShare> MigrationStore::LockRestoreShare() {
  RestoreShare share;
  if (worker_ == 0 || !db_.postgres()) return share;
  share.shared = true;
  // The row is made by the first worker that asks (a state exported or
  // upgraded has none); a second one making it at once waits, then finds it.
  S3M_ASSIGN_OR_RETURN(Statement* lock,
                       Cached(fmt::format("SELECT last_slot_us - {} FROM shared_limits WHERE name = "
                                          "'restore_requests' FOR UPDATE",
                                          kServerMicrosSql)));
  S3M_ASSIGN_OR_RETURN(bool row, lock->Step());
  if (!row) {
    lock->Reset();
    S3M_ASSIGN_OR_RETURN(Statement* make, Cached("INSERT INTO shared_limits (name) VALUES ('restore_requests') "
                                                 "ON CONFLICT DO NOTHING"));
    S3M_RETURN_IF_ERROR(make->Run());
    S3M_ASSIGN_OR_RETURN(row, lock->Step());
  }
  if (row) share.last_slot_in = std::chrono::microseconds(lock->ColumnInt(0));
  lock->Reset();
  // A statement of its own, after the lock: its snapshot includes what the
  // worker that held the lock committed.
  S3M_ASSIGN_OR_RETURN(Statement* others,
                       Cached(fmt::format("SELECT COALESCE(SUM(w.restores_pending), 0) FROM workers w "
                                          "WHERE w.id <> {} AND {}",
                                          worker_, LiveWorkerSql(db_, "w"))));
  S3M_ASSIGN_OR_RETURN(row, others->Step());
  share.others_pending = row ? others->ColumnInt(0) : 0;
  others->Reset();
  return share;
}

Status MigrationStore::ShareRestores(int64_t pending, std::optional<std::chrono::microseconds> last_slot_in) {
  if (worker_ == 0 || !db_.postgres()) return Status::Ok();
  S3M_ASSIGN_OR_RETURN(Statement* mine, Cached("UPDATE workers SET restores_pending = ?2 WHERE id = ?1"));
  S3M_RETURN_IF_ERROR(mine->Bind(1, worker_).Bind(2, pending).Run());
  if (!last_slot_in) return Status::Ok();
  S3M_ASSIGN_OR_RETURN(Statement* slot,
                       Cached(fmt::format("UPDATE shared_limits SET last_slot_us = GREATEST(last_slot_us, {} + ?1) "
                                          "WHERE name = 'restore_requests'",
                                          kServerMicrosSql)));
  return slot->Bind(1, static_cast<int64_t>(last_slot_in->count())).Run();
}

Result<std::optional<WorkItem>> MigrationStore::Get(int64_t id) {
  S3M_ASSIGN_OR_RETURN(Statement* s, Cached(fmt::format(
                                        "SELECT {} FROM {} WHERE f.id = ?1", kWorkColumns, kWorkFrom)));
  s->Bind(1, id);
  S3M_ASSIGN_OR_RETURN(std::vector<WorkItem> rows, ReadAll(*s));
  if (rows.empty()) return std::optional<WorkItem>();
  return std::optional<WorkItem>(std::move(rows.front()));
}

Result<std::vector<DeletedCopy>> MigrationStore::DeletedCopies(const std::vector<int64_t>& ids) {
  S3M_ASSIGN_OR_RETURN(
      Statement* s,
      Cached("SELECT bucket, key, version_id, size, etag, COALESCE(verified_by, ''), "
             "COALESCE(verified_checksum, ''), COALESCE(part_size, 0), COALESCE(local_path, ''), "
             "COALESCE(verified_at, ''), COALESCE(deleted_at, ''), storage_class, "
             "COALESCE(content_type, ''), COALESCE(sse_type, ''), COALESCE(user_metadata, ''), "
             "COALESCE(headers, ''), COALESCE(tags, ''), COALESCE(checksums, '') FROM files "
             "WHERE id = ?1 AND state = 'deleted'"));
  std::vector<DeletedCopy> copies;
  for (int64_t id : ids) {
    s->Bind(1, id);
    S3M_ASSIGN_OR_RETURN(bool row, s->Step());
    if (row) {
      copies.push_back(DeletedCopy{s->ColumnText(0), s->ColumnText(1), s->ColumnText(2),
                                   s->ColumnInt(3), s->ColumnText(4), s->ColumnText(5),
                                   s->ColumnText(6), s->ColumnInt(7), s->ColumnText(8),
                                   s->ColumnText(9), s->ColumnText(10), s->ColumnText(11),
                                   s->ColumnText(12), s->ColumnText(13), s->ColumnText(14),
                                   s->ColumnText(15), s->ColumnText(16), s->ColumnText(17)});
    }
    s->Reset();
  }
  return copies;
}

Status MigrationStore::BeginBatch() {
  if (txn_) return Status::Ok();
  S3M_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db_));
  txn_.emplace(std::move(txn));
  return Status::Ok();
}

Status MigrationStore::CommitBatch() {
  if (!txn_) return Status::Ok();
  Status status = txn_->Commit();
  txn_.reset();
  return status;
}

void MigrationStore::RollbackBatch() { txn_.reset(); }

Result<bool> MigrationStore::Apply(const FileChange& c) {
  if (!IsAllowedTransition(c.from, c.to)) {
    return Status::Error(ErrorKind::kFatal,
                         fmt::format("internal error: the lifecycle has no step from {} to {}",
                                     FileStateName(c.from), FileStateName(c.to)));
  }
  // One statement for every change the engine makes; unset fields keep
  // their value (see BindTextChange).
  S3M_ASSIGN_OR_RETURN(Statement* s, Cached(
          "UPDATE files SET state = ?3, updated_at = ?4, "
          "attempts = CASE WHEN ?6 THEN 0 ELSE attempts END + ?5, "
          "error_message = CASE WHEN ?3 = 'error' THEN ?7 ELSE NULL END, "
          "verified_at = CASE WHEN ?3 = 'verified' THEN ?4 ELSE verified_at END, "
          "deleted_at = CASE WHEN ?3 = 'deleted' THEN ?4 ELSE deleted_at END, "
          "local_path = CASE WHEN ?8 THEN NULLIF(?9, '') ELSE local_path END, "
          "local_path_folded = CASE WHEN ?8 THEN NULLIF(?28, '') ELSE local_path_folded END, "
          "verified_by = CASE WHEN ?10 THEN NULLIF(?11, '') ELSE verified_by END, "
          "verified_checksum = CASE WHEN ?29 THEN NULLIF(?30, '') ELSE verified_checksum END, "
          "restore_requested_at = CASE WHEN ?12 THEN NULLIF(?13, '') ELSE restore_requested_at END, "
          "restore_tier = CASE WHEN ?14 THEN NULLIF(?15, '') ELSE restore_tier END, "
          "restore_expiry = CASE WHEN ?16 THEN NULLIF(?17, '') ELSE restore_expiry END, "
          "archived = COALESCE(?18, archived), "
          "sse_type = CASE WHEN ?19 THEN NULLIF(?20, '') ELSE sse_type END, "
          "content_type = CASE WHEN ?21 THEN NULLIF(?22, '') ELSE content_type END, "
          "user_metadata = CASE WHEN ?23 THEN NULLIF(?24, '') ELSE user_metadata END, "
          "headers = CASE WHEN ?31 THEN NULLIF(?32, '') ELSE headers END, "
          "tags = CASE WHEN ?33 THEN NULLIF(?34, '') ELSE tags END, "
          "checksums = CASE WHEN ?35 THEN NULLIF(?36, '') ELSE checksums END, "
          "parts_count = COALESCE(?25, parts_count), part_size = COALESCE(?26, part_size), "
          "previous_etag = CASE WHEN ?27 THEN NULL ELSE previous_etag END, "
          "previous_size = CASE WHEN ?27 THEN NULL ELSE previous_size END, "
          "previous_version_id = CASE WHEN ?27 THEN NULL ELSE previous_version_id END, "
          "previous_local_path = CASE WHEN ?27 THEN NULL ELSE previous_local_path END "
          "WHERE id = ?1 AND state = ?2" + HeldSql()));
  s->Bind(1, c.id).Bind(2, FileStateName(c.from)).Bind(3, FileStateName(c.to)).Bind(4, Now());
  s->Bind(5, static_cast<int64_t>(c.count_attempt || c.to == FileState::kError));
  s->Bind(6, static_cast<int64_t>(c.reset_attempts));
  s->Bind(7, c.error_message);
  BindTextChange(*s, 8, c.local_path);
  if (c.local_path) {
    s->Bind(28, CaseFoldNfc(*c.local_path));
  } else {
    s->BindNull(28);
  }
  BindTextChange(*s, 10, c.verified_by);
  BindTextChange(*s, 29, c.verified_checksum);
  BindTextChange(*s, 12, c.restore_requested_at);
  BindTextChange(*s, 14, c.restore_tier);
  BindTextChange(*s, 16, c.restore_expiry);
  if (c.archived) {
    s->Bind(18, static_cast<int64_t>(*c.archived));
  } else {
    s->BindNull(18);
  }
  BindTextChange(*s, 19, c.sse_type);
  BindTextChange(*s, 21, c.content_type);
  BindTextChange(*s, 23, c.user_metadata);
  BindTextChange(*s, 31, c.headers);
  BindTextChange(*s, 33, c.tags);
  BindTextChange(*s, 35, c.checksums);
  s->Bind(25, c.parts_count).Bind(26, c.part_size);
  s->Bind(27, static_cast<int64_t>(c.clear_previous_copy));
  S3M_RETURN_IF_ERROR(s->Run());
  return db_.Changes() == 1;
}

Result<bool> MigrationStore::RecordChanged(const ChangedObject& c) {
  S3M_ASSIGN_OR_RETURN(Statement* read, Cached("SELECT id, version_id, etag, size, state, storage_class, last_modified, "
                  "checksum_algorithm, checksum_type, restore_expiry, local_path, previous_etag, "
                  "previous_size, previous_version_id, previous_local_path, "
                  "verified_at IS NOT NULL FROM files WHERE id = ?1 AND state = ?2" + HeldSql()));
  read->Bind(1, c.id).Bind(2, FileStateName(c.from));
  S3M_ASSIGN_OR_RETURN(bool found, read->Step());
  if (!found) return false;
  ExistingRow row;
  row.id = read->ColumnInt(0);
  row.version_id = read->ColumnText(1);
  row.etag = read->ColumnText(2);
  row.size = read->ColumnInt(3);
  row.state = c.from;
  row.local_path = read->ColumnOptionalText(10);
  row.previous_etag = read->ColumnOptionalText(11);
  row.previous_size = read->ColumnOptionalInt(12);
  row.previous_version_id = read->ColumnOptionalText(13);
  row.previous_local_path = read->ColumnOptionalText(14);
  row.verified_copy = read->ColumnInt(15) != 0;
  read->Reset();
  const PreviousCopy previous = PreviousCopyAfterChange(row);
  S3M_ASSIGN_OR_RETURN(Statement* s, Cached("UPDATE files SET state = 'discovered', etag = ?2, size = ?3, version_id = ?4, "
                  "last_modified = ?5, storage_class = ?6, archived = ?7, local_path = NULL, "
                  "local_path_folded = NULL, verified_at = NULL, "
                  "verified_by = NULL, verified_checksum = NULL, restore_requested_at = NULL, restore_tier = NULL, "
                  "restore_expiry = NULL, error_message = NULL, parts_count = NULL, "
                  "part_size = NULL, previous_etag = ?8, previous_size = ?9, "
                  "previous_version_id = ?10, previous_local_path = ?11, updated_at = ?12 "
                  "WHERE id = ?1"));
  s->Bind(1, c.id).Bind(2, c.etag).Bind(3, c.size).Bind(4, c.version_id).Bind(5, c.last_modified);
  s->Bind(6, c.storage_class).Bind(7, static_cast<int64_t>(c.archived));
  s->Bind(8, previous.etag).Bind(9, previous.size).Bind(10, previous.version_id);
  s->Bind(11, previous.local_path).Bind(12, Now());
  S3M_RETURN_IF_ERROR(s->Run());
  S3M_RETURN_IF_ERROR(ClearChunks(c.id));
  return true;
}

Status MigrationStore::AddDoneChunks(int64_t file_id,
                                     const std::vector<std::pair<uint64_t, uint64_t>>& ranges) {
  // "offset" quoted: a reserved word in PostgreSQL.
  S3M_ASSIGN_OR_RETURN(Statement* s, Cached("INSERT INTO download_chunks (file_id, \"offset\", length) "
                                            "VALUES (?1, ?2, ?3) ON CONFLICT (file_id, \"offset\") "
                                            "DO UPDATE SET length = excluded.length"));
  for (const auto& [offset, length] : ranges) {
    s->Bind(1, file_id).Bind(2, static_cast<int64_t>(offset)).Bind(3, static_cast<int64_t>(length));
    S3M_RETURN_IF_ERROR(s->Run());
    s->Reset();
  }
  return Status::Ok();
}

Result<std::vector<std::pair<uint64_t, uint64_t>>> MigrationStore::DoneChunks(int64_t file_id) {
  S3M_ASSIGN_OR_RETURN(Statement* s, Cached("SELECT \"offset\", length FROM download_chunks "
                                                "WHERE file_id = ?1 ORDER BY \"offset\""));
  s->Bind(1, file_id);
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (;;) {
    S3M_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.emplace_back(static_cast<uint64_t>(s->ColumnInt(0)), static_cast<uint64_t>(s->ColumnInt(1)));
  }
  return out;
}

Status MigrationStore::ClearChunks(int64_t file_id) {
  S3M_ASSIGN_OR_RETURN(Statement* s, Cached("DELETE FROM download_chunks WHERE file_id = ?1"));
  s->Bind(1, file_id);
  return s->Run();
}

Result<bool> MigrationStore::HasDescendants(const std::string& bucket, const std::string& key) {
  // key + "/" <= k < key + "0" ('0' follows '/'): a range of the
  // (bucket, key, version_id) unique index.
  S3M_ASSIGN_OR_RETURN(Statement* s, Cached("SELECT 1 FROM files WHERE bucket = ?1 AND "
                                                "key >= ?2 AND key < ?3 LIMIT 1"));
  s->Bind(1, bucket).Bind(2, key + "/").Bind(3, key + "0");
  S3M_ASSIGN_OR_RETURN(bool found, s->Step());
  s->Reset();  // ends its read at once
  return found;
}

Result<bool> MigrationStore::LocalPathTaken(const std::string& bucket, const std::string& local_path,
                                            int64_t except_id, NameEquivalence equivalence) {
  const std::string identity = NameIdentity(local_path, equivalence);
  // True when a path in column 0 of `s`'s rows is the same file; resets `s`.
  auto any_same = [&](Statement& s) -> Result<bool> {
    bool same = false;
    for (;;) {
      S3M_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row || (same = NameIdentity(s.ColumnText(0), equivalence) == identity)) break;
    }
    s.Reset();
    return same;
  };
  // Paths equal under any equivalence are equal under case folding, so the
  // folded column's index finds every candidate; then the older copies kept
  // while a newer version migrates (few, this object's own among them). One
  // statement: a round trip per object on PostgreSQL.
  S3M_ASSIGN_OR_RETURN(Statement* candidates,
                       Cached("SELECT local_path FROM files WHERE local_path_folded = ?1 AND id != ?2 "
                              "UNION ALL SELECT previous_local_path FROM files WHERE bucket = ?3 AND "
                              "previous_local_path IS NOT NULL"));
  candidates->Bind(1, CaseFoldNfc(local_path)).Bind(2, except_id).Bind(3, bucket);
  return any_same(*candidates);
}

Result<StateTotals> MigrationStore::Totals() {
  StateTotals totals;
  S3M_ASSIGN_OR_RETURN(Statement* s, Cached("SELECT state, SUM(files), SUM(bytes) FROM "
                                                "file_totals GROUP BY state"));
  for (;;) {
    S3M_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    if (auto state = ParseFileState(s->ColumnText(0))) {
      totals.by_state[static_cast<size_t>(*state)].Add(s->ColumnInt(1), s->ColumnInt(2));
    }
  }
  S3M_ASSIGN_OR_RETURN(Statement* a, Cached("SELECT COALESCE(SUM(files), 0) FROM file_totals "
                                                "WHERE state = 'discovered' AND archived = 1"));
  S3M_ASSIGN_OR_RETURN(bool has, a->Step());
  if (has) totals.archived_discovered = a->ColumnInt(0);
  // Each read ends at once: a statement left open keeps an old snapshot,
  // and the connection's next write would fail (SQLITE_BUSY_SNAPSHOT) once
  // another connection (the worker's heartbeat) has written since.
  a->Reset();
  // Restores in flight are few (max_glacier_restores): counting them directly is cheap.
  S3M_ASSIGN_OR_RETURN(Statement* r, Cached("SELECT COUNT(*) FROM files WHERE state = "
                                                "'glacier_restoring' AND restore_expiry IS NOT NULL"));
  S3M_ASSIGN_OR_RETURN(has, r->Step());
  if (has) totals.restored_ready = r->ColumnInt(0);
  r->Reset();
  return totals;
}

Result<std::vector<WorkItem>> MigrationStore::Sample(FileState state, int limit,
                                                     const std::string& extra_where) {
  S3M_ASSIGN_OR_RETURN(Statement* s, Cached(fmt::format("SELECT {} FROM {} WHERE f.state = ?1 {} ORDER BY f.id LIMIT ?2",
                              kWorkColumns, kWorkFrom,
                              extra_where.empty() ? "" : "AND (" + extra_where + ")")));
  s->Bind(1, FileStateName(state)).Bind(2, static_cast<int64_t>(limit));
  return ReadAll(*s);
}

Result<int64_t> MigrationStore::Count(FileState state, const std::string& extra_where) {
  S3M_ASSIGN_OR_RETURN(Statement* s, Cached(fmt::format("SELECT COUNT(*) FROM files f WHERE f.state = ?1 {}",
                                           extra_where.empty() ? "" : "AND (" + extra_where + ")")));
  s->Bind(1, FileStateName(state));
  S3M_ASSIGN_OR_RETURN(bool row, s->Step());
  const int64_t count = row ? s->ColumnInt(0) : 0;
  s->Reset();  // as in Totals
  return count;
}

}  // namespace s3m::store
