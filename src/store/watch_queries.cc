// StateStore's queries for watching a migration: progress samples, restores
// by tier (the live page, /metrics and `report`).
#include <fmt/format.h>

#include "core/time_format.h"
#include "store/state_store.h"

namespace s3m::store {

namespace {

// "discovered_files, discovered_bytes, downloading_files, ..." in FileState order.
std::string StateColumns() {
  std::string cols;
  for (FileState state : kAllFileStates) {
    const std::string_view name = FileStateName(state);
    cols += fmt::format("{}{}_files, {}_bytes", cols.empty() ? "" : ", ", name, name);
  }
  return cols;
}

constexpr const char* kSampleColumns =
    "at, run_started_at, bytes_received, active_transfers, restores_in_flight, restores_ready, "
    "errors_this_run, run_ended";
constexpr int kSampleFixedColumns = 8;

}  // namespace

Status StateStore::AddProgressSample(const ProgressSample& sample) {
  std::string placeholders;
  const int count = kSampleFixedColumns + 2 * static_cast<int>(kAllFileStates.size());
  for (int i = 1; i <= count; ++i) placeholders += fmt::format("{}?{}", i > 1 ? ", " : "", i);
  S3M_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*db_));
  S3M_ASSIGN_OR_RETURN(Statement s,
                       db_->Prepare(fmt::format("INSERT INTO progress_samples ({}, {}) VALUES ({}) RETURNING id",
                                                kSampleColumns, StateColumns(), placeholders)));
  s.Bind(1, sample.at)
      .Bind(2, sample.run_started_at)
      .Bind(3, sample.bytes_received)
      .Bind(4, sample.active_transfers)
      .Bind(5, sample.restores_in_flight)
      .Bind(6, sample.restores_ready)
      .Bind(7, sample.errors_this_run)
      .Bind(8, static_cast<int64_t>(sample.run_ended ? 1 : 0));
  int index = kSampleFixedColumns + 1;
  for (const Tally& t : sample.by_state) {
    s.Bind(index++, t.files);
    s.Bind(index++, t.bytes);
  }
  S3M_ASSIGN_OR_RETURN(bool returned, s.Step());
  if (!returned) return Status::Error(ErrorKind::kFatal, "INSERT INTO progress_samples returned no id");
  const int64_t id = s.ColumnInt(0);
  s.Reset();
  S3M_ASSIGN_OR_RETURN(Statement trim, db_->Prepare("DELETE FROM progress_samples WHERE id <= ?1"));
  S3M_RETURN_IF_ERROR(trim.Bind(1, id - kMaxProgressSamples).Run());
  return txn.Commit();
}

Result<std::vector<ProgressSample>> StateStore::ProgressSamples(int max_points) {
  // The ids are contiguous (samples are only ever trimmed from the oldest),
  // so the points are looked up by id: the page asks once a second, and a
  // walk over 250,000 rows each time would be the query's whole cost.
  S3M_ASSIGN_OR_RETURN(Transaction txn, Transaction::BeginRead(*db_));
  S3M_ASSIGN_OR_RETURN(int64_t first, db_->QueryInt("SELECT COALESCE(MIN(id), 0) FROM progress_samples"));
  S3M_ASSIGN_OR_RETURN(int64_t last, db_->QueryInt("SELECT COALESCE(MAX(id), 0) FROM progress_samples"));
  const int64_t count = last >= first && last > 0 ? last - first + 1 : 0;
  const int64_t points = std::max<int64_t>(1, max_points);
  const int64_t step = std::max<int64_t>(1, (count + points - 1) / points);
  std::string ids;
  for (int64_t id = first; id <= last; id += step) ids += fmt::format("{},", id);
  ids += std::to_string(last);  // the newest, always
  S3M_ASSIGN_OR_RETURN(Statement s, db_->Prepare(fmt::format("SELECT {}, {} FROM progress_samples WHERE id IN ({}) "
                                                             "ORDER BY id",
                                                             kSampleColumns, StateColumns(), ids)));
  std::vector<ProgressSample> samples;
  for (;;) {
    S3M_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    ProgressSample p;
    p.at = s.ColumnText(0);
    p.run_started_at = s.ColumnText(1);
    p.bytes_received = s.ColumnInt(2);
    p.active_transfers = s.ColumnInt(3);
    p.restores_in_flight = s.ColumnInt(4);
    p.restores_ready = s.ColumnInt(5);
    p.errors_this_run = s.ColumnInt(6);
    p.run_ended = s.ColumnInt(7) != 0;
    int column = kSampleFixedColumns;
    for (Tally& t : p.by_state) {
      t.files = s.ColumnInt(column++);
      t.bytes = s.ColumnInt(column++);
    }
    samples.push_back(std::move(p));
  }
  return samples;
}

Result<std::vector<RestoreGroup>> StateStore::RestoreGroups() {
  // Restores in flight (files_by_state: as few as max_glacier_restores), and
  // restored copies found `discovered` and archived with an expiry
  // (files_restored: never a walk over every archived row).
  S3M_ASSIGN_OR_RETURN(
      Statement s,
      db_->Prepare(fmt::format(
          "SELECT COALESCE(restore_tier, ''), state, COUNT(*), SUM(size), "
          "MIN(restore_requested_at), MIN(restore_expiry), MAX(restore_expiry) FROM ("
          "  SELECT restore_tier, state, size, restore_requested_at, restore_expiry FROM files "
          "  WHERE state IN ('glacier_restore_requested', 'glacier_restoring') "
          "  UNION ALL "
          "  SELECT restore_tier, state, size, restore_requested_at, restore_expiry FROM files {} "
          "  WHERE state = 'discovered' AND restore_expiry IS NOT NULL AND archived = 1"
          ") AS restores GROUP BY 1, 2 ORDER BY 1, 2",
          // SQLite would pick files_by_state, knowing nothing of how few
          // rows have an expiry; PostgreSQL's planner has statistics.
          db_->postgres() ? "" : "INDEXED BY files_restored")));
  std::vector<RestoreGroup> groups;
  for (;;) {
    S3M_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    RestoreGroup g;
    g.tier = s.ColumnText(0);
    g.state = ParseFileState(s.ColumnText(1)).value_or(FileState::kDiscovered);
    g.tally = {s.ColumnInt(2), s.ColumnInt(3)};
    g.oldest_request = s.ColumnOptionalText(4);
    g.earliest_expiry = s.ColumnOptionalText(5);
    g.latest_expiry = s.ColumnOptionalText(6);
    groups.push_back(std::move(g));
  }
  return groups;
}

Result<ReportFigures> StateStore::ReportAggregates() {
  ReportFigures r;
  S3M_ASSIGN_OR_RETURN(Transaction txn, Transaction::BeginRead(*db_));
  S3M_ASSIGN_OR_RETURN(Statement methods,
                       db_->Prepare("SELECT COALESCE(verified_by, ''), state, COUNT(*), SUM(size) FROM files "
                                    "WHERE state IN ('verified', 'deleted') GROUP BY 1, 2 ORDER BY 3 DESC"));
  for (;;) {
    S3M_ASSIGN_OR_RETURN(bool row, methods.Step());
    if (!row) break;
    r.methods.push_back({methods.ColumnText(0), ParseFileState(methods.ColumnText(1)).value_or(FileState::kVerified),
                         {methods.ColumnInt(2), methods.ColumnInt(3)}});
  }
  S3M_ASSIGN_OR_RETURN(Statement restores,
                       db_->Prepare("SELECT storage_class, COALESCE(restore_tier, ''), COUNT(*), SUM(size) "
                                    "FROM files WHERE restore_requested_at IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2"));
  for (;;) {
    S3M_ASSIGN_OR_RETURN(bool row, restores.Step());
    if (!row) break;
    r.restores.push_back({restores.ColumnText(0), restores.ColumnText(1),
                          {restores.ColumnInt(2), restores.ColumnInt(3)}});
  }
  S3M_ASSIGN_OR_RETURN(Statement left,
                       db_->Prepare("SELECT state, archived, CASE WHEN state = 'verified' AND verified_by = 'size-only' "
                                    "THEN 1 ELSE 0 END, "
                                    "COUNT(*), SUM(size) FROM files WHERE state != 'deleted' "
                                    "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"));
  for (;;) {
    S3M_ASSIGN_OR_RETURN(bool row, left.Step());
    if (!row) break;
    r.left.push_back({ParseFileState(left.ColumnText(0)).value_or(FileState::kError), left.ColumnInt(1) != 0,
                      left.ColumnInt(2) != 0, {left.ColumnInt(3), left.ColumnInt(4)}});
  }
  S3M_ASSIGN_OR_RETURN(Statement runs,
                       db_->Prepare("SELECT run_started_at, MAX(at), MAX(bytes_received), COUNT(*) "
                                    "FROM progress_samples GROUP BY 1 ORDER BY 1"));
  for (;;) {
    S3M_ASSIGN_OR_RETURN(bool row, runs.Step());
    if (!row) break;
    r.runs.push_back({runs.ColumnText(0), runs.ColumnText(1), runs.ColumnInt(2), runs.ColumnInt(3)});
  }
  S3M_ASSIGN_OR_RETURN(Statement times,
                       db_->Prepare("SELECT MIN(verified_at), MAX(deleted_at) FROM files"));
  S3M_ASSIGN_OR_RETURN(bool row, times.Step());
  if (row) {
    r.first_verified_at = times.ColumnOptionalText(0);
    r.last_deleted_at = times.ColumnOptionalText(1);
  }
  return r;
}

}  // namespace s3m::store
