// StateStore: recording a bucket's listing — its start, each page of
// objects reconciled with the rows already there (store/reconcile.h), the
// end with gone detection, failures, page groups, and the claims of scan
// workers. Key ranges of a split listing: listing_ranges.cc.
//
// Ordering: a page's rows, its counts and the listing's position after it
// commit in one transaction (or one savepoint of a page group), so a resumed
// listing starts after the last page recorded, never before or past it.
#include <fmt/format.h>

#include "core/key_range.h"
#include "store/reconcile.h"
#include "store/state_store.h"
#include "store/workers.h"

namespace s3m::store {

namespace {

std::optional<std::string> NullIfEmpty(const std::string& s) {
  return s.empty() ? std::nullopt : std::optional(s);
}

// A new row's values for kInsertColumns (one row of them), as parameters
// first .. first + kNewFileParams - 1: seen and discovered generation share
// one, created_at and updated_at another.
constexpr int kNewFileParams = 14;
Statement& BindNewFile(Statement& s, int first, const std::string& bucket, const ListedObject& o,
                       int64_t generation, const std::string& now) {
  return s.BindView(first, bucket)
      .BindView(first + 1, o.key)
      .BindView(first + 2, o.version_id)
      .Bind(first + 3, static_cast<int64_t>(o.size))
      .BindView(first + 4, o.etag)
      .BindView(first + 5, o.storage_class)
      .Bind(first + 6, static_cast<int64_t>(ListedArchived(o)))
      .BindView(first + 7, o.last_modified)
      .BindView(first + 8, o.checksum_algorithm)
      .BindView(first + 9, o.checksum_type)
      .BindView(first + 10, FileStateName(InitialState(o)))  // static storage
      .Bind(first + 11, NullIfEmpty(o.restore_expiry))
      .Bind(first + 12, generation)
      .BindView(first + 13, now);
}

}  // namespace

Result<BucketRecord> StateStore::StartListing(const StartListingRequest& request) {
  const std::string now = Now();
  {
    S3M_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*db_));
    S3M_ASSIGN_OR_RETURN(std::optional<BucketRecord> existing, GetBucket(request.bucket));
    const bool resume = existing.has_value() && existing->resumable() && !request.restart &&
                        existing->listing_api == request.listing_api &&
                        existing->scan_filter == request.scan_filter;
    if (resume) {
      S3M_ASSIGN_OR_RETURN(Statement s,
                           db_->Prepare("UPDATE buckets SET scan_state = 'listing', region = ?2, "
                                        "versioning = ?3, last_error = NULL, updated_at = ?4 "
                                        "WHERE name = ?1"));
      S3M_RETURN_IF_ERROR(
          s.Bind(1, request.bucket).Bind(2, request.region).Bind(3, request.versioning).Bind(4, now).Run());
    } else {
      // A new generation: rows not listed again by its end are gone.
      S3M_ASSIGN_OR_RETURN(
          Statement s,
          db_->Prepare(
              "INSERT INTO buckets (name, region, versioning, listing_api, scan_state, "
              "scan_generation, scan_filter, scan_started_at, updated_at) "
              "VALUES (?1, ?2, ?3, ?4, 'listing', 1, ?5, ?6, ?6) "
              "ON CONFLICT (name) DO UPDATE SET region = ?2, versioning = ?3, listing_api = ?4, "
              "scan_state = 'listing', scan_generation = buckets.scan_generation + 1, "
              "continuation_token = '', version_id_marker = '', last_key = '', scan_filter = ?5, "
              "scan_started_at = ?6, scan_completed_at = NULL, listed_objects = 0, "
              "listed_bytes = 0, noncurrent_versions = 0, noncurrent_bytes = 0, "
              "delete_markers = 0, last_error = NULL, updated_at = ?6"));
      S3M_RETURN_IF_ERROR(s.Bind(1, request.bucket)
                              .Bind(2, request.region)
                              .Bind(3, request.versioning)
                              .Bind(4, request.listing_api)
                              .Bind(5, request.scan_filter)
                              .Bind(6, now)
                              .Run());
      // The previous generation's ranges (a listing given up part-way).
      S3M_ASSIGN_OR_RETURN(Statement ranges, db_->Prepare("DELETE FROM listing_ranges WHERE bucket = ?1"));
      S3M_RETURN_IF_ERROR(ranges.Bind(1, request.bucket).Run());
    }
    S3M_RETURN_IF_ERROR(txn.Commit());
  }
  S3M_ASSIGN_OR_RETURN(std::optional<BucketRecord> record, GetBucket(request.bucket));
  if (!record) return Status::Error(ErrorKind::kFatal, "bucket row vanished after insert");
  S3M_RETURN_IF_ERROR(NoteFreshness(request.bucket, record->scan_generation));
  return *record;
}

Status StateStore::NoteFreshness(const std::string& bucket, int64_t generation) {
  // Stops at the first older row; reads the bucket's rows only when all of
  // them are from this generation (a resumed first listing).
  S3M_ASSIGN_OR_RETURN(Statement older,
                       db_->Prepare("SELECT EXISTS (SELECT 1 FROM files WHERE bucket = ?1 AND "
                                    "seen_generation < ?2)"));
  older.Bind(1, bucket).Bind(2, generation);
  S3M_ASSIGN_OR_RETURN(bool row, older.Step());
  if (row && older.ColumnInt(0) == 0) {
    fresh_buckets_.insert(bucket);
  } else {
    fresh_buckets_.erase(bucket);
  }
  freshness_noted_.insert(bucket);
  return Status::Ok();
}

namespace {

constexpr size_t kInsertBatch = 50;  // rows per multi-row INSERT of a first listing
constexpr const char* kInsertColumns =
    "INSERT INTO files (bucket, key, version_id, size, etag, storage_class, archived, "
    "last_modified, checksum_algorithm, checksum_type, state, restore_expiry, seen_generation, "
    "discovered_generation, created_at, updated_at) VALUES ";

}  // namespace

void StateStore::CountInserted(const ListedObject& object, TotalsDelta& inserted) {
  const bool archived = ListedArchived(object);
  const std::string_view day =
      archived ? std::string_view(object.last_modified).substr(0, 10) : std::string_view();
  inserted[{FileStateName(InitialState(object)), object.storage_class, archived ? 1 : 0, day}].Add(
      1, static_cast<int64_t>(object.size));
}

Result<size_t> StateStore::InsertFreshBatchesLocked(const std::string& bucket, int64_t generation,
                                                    const std::vector<ListedObject>& objects,
                                                    const std::string& now, TotalsDelta& inserted,
                                                    PageOutcome& outcome) {
  // One statement per kInsertBatch rows keeps SQLite's cursors open across
  // them: about a third less work per row than single-row statements.
  if (!insert_new_batch_.valid()) {
    std::string sql = kInsertColumns;
    for (size_t r = 0; r < kInsertBatch; ++r) {
      const size_t p = r * kNewFileParams;
      sql += fmt::format(
          "{}(?{}, ?{}, ?{}, ?{}, ?{}, ?{}, ?{}, ?{}, ?{}, ?{}, ?{}, ?{}, ?{}, ?{}, ?{}, ?{})",
          r == 0 ? "" : ", ", p + 1, p + 2, p + 3, p + 4, p + 5, p + 6, p + 7, p + 8, p + 9,
          p + 10, p + 11, p + 12, p + 13, p + 13, p + 14, p + 14);
    }
    sql += " ON CONFLICT (bucket, key, version_id) DO NOTHING";
    S3M_ASSIGN_OR_RETURN(insert_new_batch_, db_->Prepare(sql));
  }
  size_t done = 0;
  bool duplicates = false;
  for (; done + kInsertBatch <= objects.size(); done += kInsertBatch) {
    for (size_t r = 0; r < kInsertBatch; ++r) {
      BindNewFile(insert_new_batch_, static_cast<int>(r * kNewFileParams) + 1, bucket, objects[done + r],
                  generation, now);
    }
    S3M_RETURN_IF_ERROR(insert_new_batch_.Run());
    const int added = db_->Changes();
    outcome.inserted += added;
    if (added != static_cast<int>(kInsertBatch)) duplicates = true;
    for (size_t r = 0; r < kInsertBatch; ++r) CountInserted(objects[done + r], inserted);
  }
  if (duplicates) {
    // The server listed a key twice: which rows were skipped is unknown here,
    // so count this bucket's totals again from its rows (rare; a bucket's rows).
    inserted.clear();
    S3M_ASSIGN_OR_RETURN(Statement forget, db_->Prepare("DELETE FROM file_totals WHERE bucket = ?1"));
    S3M_RETURN_IF_ERROR(forget.Bind(1, bucket).Run());
    S3M_ASSIGN_OR_RETURN(
        Statement recount,
        db_->Prepare("INSERT INTO file_totals (bucket, state, storage_class, archived, "
                     "archived_day, files, bytes) SELECT bucket, state, storage_class, archived, "
                     "CASE WHEN archived <> 0 THEN substr(last_modified, 1, 10) ELSE '' END, COUNT(*), "
                     "SUM(size) FROM files WHERE bucket = ?1 GROUP BY 1, 2, 3, 4, 5"));
    S3M_RETURN_IF_ERROR(recount.Bind(1, bucket).Run());
  }
  return done;
}

Status StateStore::AddToTotalsLocked(const std::string& bucket, const TotalsDelta& inserted) {
  for (const auto& [key, tally] : inserted) {
    const auto& [state, storage_class, archived, day] = key;
    S3M_RETURN_IF_ERROR(add_totals_.BindView(1, bucket)
                            .BindView(2, state)
                            .BindView(3, storage_class)
                            .Bind(4, archived)
                            .BindView(5, day)
                            .Bind(6, tally.files)
                            .Bind(7, tally.bytes)
                            .Run());
  }
  return Status::Ok();
}

Result<PageOutcome> StateStore::ApplyObjectLocked(const std::string& bucket, int64_t generation,
                                                  const ListedObject& object,
                                                  const std::string& now, TotalsDelta& inserted) {
  PageOutcome outcome;
  auto insert = [&](Statement& stmt) { return BindNewFile(stmt, 1, bucket, object, generation, now).Run(); };
  auto count = [&] { CountInserted(object, inserted); };
  if (fresh_buckets_.count(bucket)) {
    S3M_RETURN_IF_ERROR(insert(insert_new_file_));
    outcome.inserted = db_->Changes();
    if (outcome.inserted) count();
    return outcome;
  }
  find_latest_.BindView(1, bucket).BindView(2, object.key);
  auto found = find_latest_.Step();
  if (!found.ok()) return found.status();
  if (!*found) {
    find_latest_.Reset();
    S3M_RETURN_IF_ERROR(insert(insert_file_));
    outcome.inserted = 1;
    count();
    return outcome;
  }
  ExistingRow row;
  const Statement& f = find_latest_;
  row.id = f.ColumnInt(0);
  row.version_id = f.ColumnText(1);
  row.etag = f.ColumnText(2);
  row.size = f.ColumnInt(3);
  row.state = ParseFileState(f.ColumnText(4)).value_or(FileState::kError);
  row.storage_class = f.ColumnText(5);
  row.last_modified = f.ColumnText(6);
  row.checksum_algorithm = f.ColumnText(7);
  row.checksum_type = f.ColumnText(8);
  row.restore_expiry = f.ColumnOptionalText(9);
  row.local_path = f.ColumnOptionalText(10);
  row.gone = !f.ColumnIsNull(11);
  row.previous_etag = f.ColumnOptionalText(12);
  row.previous_size = f.ColumnOptionalInt(13);
  row.previous_version_id = f.ColumnOptionalText(14);
  row.previous_local_path = f.ColumnOptionalText(15);
  row.verified_copy = f.ColumnInt(16) != 0;
  find_latest_.Reset();

  switch (Reconcile(row, object)) {
    case ReconcileKind::kTouch: {
      // The common case of a rescan: only the generation moves, so no index
      // entry is rewritten.
      S3M_RETURN_IF_ERROR(touch_file_.Bind(1, row.id).Bind(2, generation).Run());
      outcome.unchanged = 1;
      return outcome;
    }
    case ReconcileKind::kRefresh:
    case ReconcileKind::kReappeared:
      S3M_RETURN_IF_ERROR(refresh_file_.Bind(1, row.id)
                              .Bind(2, generation)
                              .Bind(3, object.storage_class)
                              .Bind(4, static_cast<int64_t>(ListedArchived(object)))
                              .Bind(5, object.last_modified)
                              .Bind(6, object.checksum_algorithm)
                              .Bind(7, object.checksum_type)
                              .Bind(8, NullIfEmpty(object.restore_expiry))
                              .Bind(9, now)
                              .Run());
      (row.gone ? outcome.reappeared : outcome.unchanged) = 1;
      return outcome;
    case ReconcileKind::kChanged: {
      const PreviousCopy previous = PreviousCopyAfterChange(row);
      S3M_RETURN_IF_ERROR(replace_file_.Bind(1, row.id)
                              .Bind(2, object.version_id)
                              .Bind(3, static_cast<int64_t>(object.size))
                              .Bind(4, object.etag)
                              .Bind(5, object.storage_class)
                              .Bind(6, static_cast<int64_t>(ListedArchived(object)))
                              .Bind(7, object.last_modified)
                              .Bind(8, object.checksum_algorithm)
                              .Bind(9, object.checksum_type)
                              .Bind(10, FileStateName(InitialState(object)))
                              .Bind(11, NullIfEmpty(object.restore_expiry))
                              .Bind(12, previous.etag)
                              .Bind(13, previous.size)
                              .Bind(14, previous.version_id)
                              .Bind(15, previous.local_path)
                              .Bind(16, generation)
                              .Bind(17, now)
                              .Run());
      // Ranges of a partial download belong to the old content: a resumed
      // download must never mix two versions.
      S3M_RETURN_IF_ERROR(clear_chunks_.Bind(1, row.id).Run());
      (row.state == FileState::kDeleted ? outcome.reappeared : outcome.changed) = 1;
      return outcome;
    }
  }
  return outcome;
}

Result<PageOutcome> StateStore::MarkGoneLocked(const std::string& bucket, int64_t generation,
                                               const std::string& now) {
  PageOutcome outcome;
  // Not downloaded yet: nothing left to fetch. 'error' keeps the state column
  // within the documented strings; gone_at tells it apart from a failure.
  S3M_ASSIGN_OR_RETURN(
      Statement before,
      db_->Prepare("UPDATE files SET state = 'error', gone_at = ?3, updated_at = ?3, "
                   "error_message = 'gone from S3 before download: not listed by the scan of ' "
                   "|| ?3 || '; `s3migrate reset` it if it comes back' "
                   "WHERE bucket = ?1 AND is_latest = 1 AND seen_generation < ?2 AND "
                   "gone_at IS NULL AND state IN ('discovered', 'downloading', "
                   "'glacier_restore_requested', 'glacier_restoring', 'error')"));
  S3M_RETURN_IF_ERROR(before.Bind(1, bucket).Bind(2, generation).Bind(3, now).Run());
  outcome.gone_before_download = db_->Changes();
  // A complete local copy exists: keep the state, note the disappearance.
  S3M_ASSIGN_OR_RETURN(
      Statement after,
      db_->Prepare("UPDATE files SET gone_at = ?3, updated_at = ?3 WHERE bucket = ?1 AND "
                   "is_latest = 1 AND seen_generation < ?2 AND gone_at IS NULL AND "
                   "state IN ('downloaded', 'verified')"));
  S3M_RETURN_IF_ERROR(after.Bind(1, bucket).Bind(2, generation).Bind(3, now).Run());
  outcome.gone_after_download = db_->Changes();
  return outcome;
}

namespace {

// Where a page's changes commit: its own transaction, or within a page group
// a savepoint, so that a page failing midway is undone whole while the pages
// before it still commit with the group.
class PageScope {
 public:
  explicit PageScope(Database& db) : db_(db) {}
  PageScope(const PageScope&) = delete;
  PageScope& operator=(const PageScope&) = delete;
  ~PageScope() {
    if (!savepoint_) return;
    if (!kept_) (void)db_.Exec("ROLLBACK TO listing_page");
    (void)db_.Exec("RELEASE listing_page");
  }

  Status Begin(bool in_page_group) {
    if (in_page_group) {
      S3M_RETURN_IF_ERROR(db_.Exec("SAVEPOINT listing_page"));
      savepoint_ = true;
      return Status::Ok();
    }
    S3M_ASSIGN_OR_RETURN(Transaction own, Transaction::Begin(db_));
    txn_.emplace(std::move(own));
    return Status::Ok();
  }

  // Keeps the page's changes (commits them, outside a group).
  Result<PageOutcome> Keep(PageOutcome outcome) {
    if (txn_) S3M_RETURN_IF_ERROR(txn_->Commit());
    kept_ = true;
    return outcome;
  }

 private:
  Database& db_;
  std::optional<Transaction> txn_;
  bool savepoint_ = false;
  bool kept_ = false;
};

// Adds the page's noncurrent versions and delete markers (those `inside`
// its range) to `total`; returns the noncurrent versions' bytes.
template <typename Inside>
int64_t CountOtherVersions(const ListingPage& page, const Inside& inside, PageOutcome& total) {
  total.noncurrent_versions = page.noncurrent_versions;
  total.delete_markers = page.delete_markers;
  int64_t noncurrent_bytes = page.noncurrent_bytes;
  for (const ListingPage::OtherVersion& v : page.other_versions) {
    if (!inside(v.key)) continue;
    if (v.delete_marker) {
      ++total.delete_markers;
    } else {
      ++total.noncurrent_versions;
      noncurrent_bytes += v.size;
    }
  }
  return noncurrent_bytes;
}

}  // namespace

Result<PageOutcome> StateStore::ApplyPage(const ListingPage& page) {
  const std::string now = Now();
  PageScope scope(*db_);
  S3M_RETURN_IF_ERROR(scope.Begin(page_group_.has_value()));
  S3M_ASSIGN_OR_RETURN(std::optional<BucketRecord> bucket, LockBucket(page.bucket));
  const bool of_a_range = !page.range_start.empty() || (bucket && bucket->ranged);
  PageOutcome total;
  if (bucket && bucket->scan_state == "complete") {
    // Listed by a lister that had not yet heard its range was done when the
    // last range completed the listing: nothing of it is new.
    total.range_done = true;
    return scope.Keep(total);
  }
  if (!bucket || (!of_a_range && bucket->scan_state != "listing")) {
    return Status::Error(ErrorKind::kFatal, "internal error: page for a bucket not being listed",
                         ErrorContext::ForObject("apply listing page", page.bucket));
  }
  // A range's rows: after its start, up to its end as it is now.
  std::string range_end;
  if (of_a_range) {
    S3M_ASSIGN_OR_RETURN(std::optional<std::string> end, OpenRangeEndLocked(page));
    if (!end) {
      // A page listed past the range's end before its lister heard so (or
      // after the listing completed): nothing of it is this range's.
      total.range_done = true;
      return scope.Keep(total);
    }
    range_end = std::move(*end);
  }
  auto inside = [&](const std::string& key) {
    return !of_a_range || KeyInRange(key, page.range_start, range_end);
  };
  std::vector<ListedObject> kept;
  const std::vector<ListedObject>* objects = &page.objects;
  if (of_a_range) {
    for (const ListedObject& o : page.objects) {
      if (inside(o.key)) kept.push_back(o);
    }
    objects = &kept;
  }
  S3M_ASSIGN_OR_RETURN(total, ApplyObjectsLocked(page.bucket, bucket->scan_generation, *objects, now));
  const int64_t noncurrent_bytes = CountOtherVersions(page, inside, total);
  S3M_RETURN_IF_ERROR(RecordPageCountsLocked(page, of_a_range, total, noncurrent_bytes, now));
  if (of_a_range) {
    total.range_done = page.last_page || ListingReachedEnd(page.last_key, range_end,
                                                           bucket->listing_api == "ListObjectVersions");
    S3M_RETURN_IF_ERROR(RecordRangePage(page, *bucket, now, total));
  } else if (page.last_page) {
    total.range_done = true;
    S3M_RETURN_IF_ERROR(CompleteListing(page.bucket, bucket->scan_generation, page.detect_gone, now, total));
  }
  return scope.Keep(total);
}

Result<std::optional<std::string>> StateStore::OpenRangeEndLocked(const ListingPage& page) {
  S3M_ASSIGN_OR_RETURN(Statement range, db_->Prepare("SELECT range_end, done FROM listing_ranges "
                                                     "WHERE bucket = ?1 AND range_start = ?2"));
  range.Bind(1, page.bucket).Bind(2, page.range_start);
  S3M_ASSIGN_OR_RETURN(bool found, range.Step());
  if (!found || range.ColumnInt(1) != 0) return std::optional<std::string>();
  return std::optional<std::string>(range.ColumnText(0));
}

Result<PageOutcome> StateStore::ApplyObjectsLocked(const std::string& bucket, int64_t generation,
                                                   const std::vector<ListedObject>& objects,
                                                   const std::string& now) {
  PageOutcome total;
  TotalsDelta inserted;
  size_t first_single = 0;
  if (fresh_buckets_.count(bucket)) {
    S3M_ASSIGN_OR_RETURN(first_single, InsertFreshBatchesLocked(bucket, generation, objects, now, inserted, total));
    for (size_t i = 0; i < first_single; ++i) total.bytes += static_cast<int64_t>(objects[i].size);
  }
  for (size_t i = first_single; i < objects.size(); ++i) {
    const ListedObject& object = objects[i];
    S3M_ASSIGN_OR_RETURN(PageOutcome one, ApplyObjectLocked(bucket, generation, object, now, inserted));
    total.inserted += one.inserted;
    total.changed += one.changed;
    total.reappeared += one.reappeared;
    total.unchanged += one.unchanged;
    total.bytes += static_cast<int64_t>(object.size);
  }
  S3M_RETURN_IF_ERROR(AddToTotalsLocked(bucket, inserted));
  total.objects = static_cast<int64_t>(objects.size());
  return total;
}

Status StateStore::RecordPageCountsLocked(const ListingPage& page, bool of_a_range, const PageOutcome& total,
                                          int64_t noncurrent_bytes, const std::string& now) {
  // The bucket's counts and (while its listing is not split) the position
  // after this page, in the same transaction as its rows.
  S3M_ASSIGN_OR_RETURN(
      Statement position,
      db_->Prepare(std::string("UPDATE buckets SET listed_objects = listed_objects + ?2, "
                               "listed_bytes = listed_bytes + ?3, noncurrent_versions = noncurrent_versions + ?4, "
                               "noncurrent_bytes = noncurrent_bytes + ?5, delete_markers = delete_markers + ?6, "
                               "updated_at = ?7") +
                   (of_a_range ? " WHERE name = ?1"
                               : ", continuation_token = ?8, version_id_marker = ?9, "
                                 "last_key = CASE WHEN ?10 = '' THEN last_key ELSE ?10 END WHERE name = ?1" +
                                     HeldBucketSql())));
  position.Bind(1, page.bucket)
      .Bind(2, total.objects)
      .Bind(3, total.bytes)
      .Bind(4, total.noncurrent_versions)
      .Bind(5, noncurrent_bytes)
      .Bind(6, total.delete_markers)
      .Bind(7, now);
  if (!of_a_range) position.Bind(8, page.next_token).Bind(9, page.next_version_id_marker).Bind(10, page.last_key);
  S3M_RETURN_IF_ERROR(position.Run());
  if (!of_a_range && scan_worker_ != 0 && db_->Changes() != 1) return LostBucket(page.bucket);
  return Status::Ok();
}

Status StateStore::CompleteListing(const std::string& bucket, int64_t generation, bool detect_gone,
                                   const std::string& now, PageOutcome& outcome) {
  if (detect_gone) {
    S3M_ASSIGN_OR_RETURN(PageOutcome gone, MarkGoneLocked(bucket, generation, now));
    outcome.gone_before_download = gone.gone_before_download;
    outcome.gone_after_download = gone.gone_after_download;
  }
  S3M_ASSIGN_OR_RETURN(
      Statement complete,
      db_->Prepare("UPDATE buckets SET scan_state = 'complete', scan_completed_at = ?2, "
                   "continuation_token = '', version_id_marker = '', last_key = '', "
                   "last_error = NULL, updated_at = ?2 WHERE name = ?1"));
  S3M_RETURN_IF_ERROR(complete.Bind(1, bucket).Bind(2, now).Run());
  S3M_ASSIGN_OR_RETURN(Statement ranges, db_->Prepare("DELETE FROM listing_ranges WHERE bucket = ?1"));
  S3M_RETURN_IF_ERROR(ranges.Bind(1, bucket).Run());
  outcome.bucket_complete = true;
  return Status::Ok();
}

Status StateStore::LostBucket(const std::string& bucket) const {
  ErrorContext ctx;
  ctx.operation = "scan";
  ctx.bucket = bucket;
  return Status::Error(ErrorKind::kConflict,
                       fmt::format("worker {} no longer holds bucket {}: its lease lapsed and another scan "
                                   "process took the listing over; stopping (nothing of this page was recorded)",
                                   scan_worker_, bucket),
                       ctx);
}

std::string StateStore::HeldBucketSql() const {
  return scan_worker_ == 0 ? "" : fmt::format(" AND claimed_by = {}", scan_worker_);
}

Result<StateStore::BucketClaim> StateStore::ClaimBucket(const std::string& bucket) {
  // The row first (a bucket nobody listed yet); then the claim, which waits
  // for a worker claiming it this instant and re-checks the row as that one
  // left it.
  S3M_ASSIGN_OR_RETURN(Statement make, db_->Prepare("INSERT INTO buckets (name, updated_at) VALUES (?1, ?2) "
                                                    "ON CONFLICT (name) DO NOTHING"));
  S3M_RETURN_IF_ERROR(make.Bind(1, bucket).Bind(2, Now()).Run());
  S3M_ASSIGN_OR_RETURN(
      Statement claim,
      db_->Prepare(fmt::format("UPDATE buckets SET claimed_by = {} WHERE name = ?1 AND scan_state <> 'complete' "
                               "AND {}",
                               scan_worker_, ClaimableBySql(*db_, "buckets.claimed_by", scan_worker_))));
  S3M_RETURN_IF_ERROR(claim.Bind(1, bucket).Run());
  if (db_->Changes() == 1) return BucketClaim::kClaimed;
  S3M_ASSIGN_OR_RETURN(std::optional<BucketRecord> record, GetBucket(bucket));
  return record && record->scan_state == "complete" ? BucketClaim::kComplete : BucketClaim::kHeldElsewhere;
}

Result<StateStore::Unfinished> StateStore::UnfinishedListings(const std::vector<std::string>& names) {
  Unfinished out;
  // Per bucket: whether its own claim is free, then its unfinished ranges
  // (a split listing): how many are free and how many live others hold.
  const std::string range_free = ClaimableBySql(*db_, "r.claimed_by", scan_worker_);
  S3M_ASSIGN_OR_RETURN(
      Statement s,
      db_->Prepare(fmt::format(
          "SELECT CASE WHEN {0} THEN 1 ELSE 0 END, "
          "(SELECT COUNT(*) FROM listing_ranges r WHERE r.bucket = b.name), "
          "(SELECT COUNT(*) FROM listing_ranges r WHERE r.bucket = b.name AND r.done = 0 AND {1}), "
          "(SELECT COUNT(*) FROM listing_ranges r WHERE r.bucket = b.name AND r.done = 0 AND NOT {1}) "
          "FROM buckets b WHERE b.name = ?1 AND b.scan_state IN ('pending', 'listing')",
          ClaimableBySql(*db_, "b.claimed_by", scan_worker_), range_free)));
  for (const std::string& name : names) {
    s.Bind(1, name);
    S3M_ASSIGN_OR_RETURN(bool row, s.Step());
    if (row && s.ColumnInt(1) > 0) {
      if (s.ColumnInt(2) > 0) out.ranges_claimable.push_back(name);
      out.held_elsewhere += s.ColumnInt(3);
    } else if (row) {
      if (s.ColumnInt(0) == 1) {
        out.claimable.push_back(name);
      } else {
        ++out.held_elsewhere;
      }
    }
    s.Reset();
  }
  return out;
}

Status StateStore::BeginPageGroup() {
  if (page_group_) return Status::Ok();
  S3M_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*db_));
  page_group_.emplace(std::move(txn));
  return Status::Ok();
}

Status StateStore::CommitPageGroup() {
  if (!page_group_) return Status::Ok();
  Status committed = page_group_->Commit();
  page_group_.reset();
  return committed;
}

Status StateStore::FailListing(const std::string& bucket, const std::string& error) {
  S3M_ASSIGN_OR_RETURN(Statement s,
                       db_->Prepare("UPDATE buckets SET scan_state = 'failed', last_error = ?2, "
                                    "updated_at = ?3 WHERE name = ?1 AND scan_state != 'complete'" +
                                    HeldBucketSql()));  // a scan worker: only a bucket it still holds
  return s.Bind(1, bucket).Bind(2, error).Bind(3, Now()).Run();
}

}  // namespace s3m::store
