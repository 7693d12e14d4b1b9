#include "engine/core/report.h"

#include <map>
#include <string>

#include <fmt/format.h>

namespace s3m::engine {

using store::FileState;
using store::WorkItem;

namespace {

constexpr int kReportSample = 20;

// Verified objects that stay in S3 on purpose, and why.
Status AddKeptInS3(const ReportSources& in, const store::StateTotals& totals, MigrationReport& r) {
  const MigrateOptions& opt = in.ctx.opt;
  if (in.policy.KeepsSizeOnly()) {
    const std::string where = "f.verified_by = 'size-only'";
    S3M_ASSIGN_OR_RETURN(int64_t n, in.ctx.db.Count(FileState::kVerified, where));
    r.left_behind_count += n;
    S3M_ASSIGN_OR_RETURN(auto rows, in.ctx.db.Sample(FileState::kVerified, kReportSample, where));
    for (const WorkItem& w : rows) {
      r.left_behind.push_back({w.bucket, w.key,
                               "verified by size only (no checksum or MD5 ETag to compare; e.g. "
                               "SSE-KMS): kept in S3; --delete-size-only-verified deletes it"});
    }
  }
  const auto& verified = totals.by_state[static_cast<size_t>(FileState::kVerified)];
  if ((opt.dry_run || opt.keep_source) && verified.files > 0) {
    r.left_behind.push_back({"", "", fmt::format("{} verified objects kept in S3 ({})", verified.files,
                                                 opt.dry_run ? "--dry-run" : "--keep-source")});
  }
  if (opt.dry_run && totals.archived_discovered > 0) {
    r.left_behind.push_back({"", "", fmt::format("{} archived objects need a restore (none requested "
                                                 "in a dry run)",
                                                 totals.archived_discovered)});
  }
  return Status::Ok();
}

// Older versions and delete markers: only current versions are migrated.
Status AddOtherVersions(store::StateStore& state, MigrationReport& r) {
  S3M_ASSIGN_OR_RETURN(auto buckets, state.Buckets());
  for (const auto& b : buckets) {
    if (b.noncurrent_versions == 0 && b.delete_markers == 0) continue;
    r.left_behind.push_back(
        {b.name, "",
         fmt::format("{} older versions ({} bytes) and {} delete markers stay in the bucket: only "
                     "current versions are migrated",
                     b.noncurrent_versions, b.noncurrent_bytes, b.delete_markers)});
  }
  return Status::Ok();
}

}  // namespace

RunTally TallyOf(const RunFigures& f, Clock::WallTime started_at, int64_t bytes_received) {
  RunTally t;
  t.started_at = started_at;
  t.downloaded = f.downloaded;
  t.deleted = f.deleted;
  t.would_delete = f.would_delete;
  t.bytes_received = bytes_received;
  t.restores_requested = f.restores_requested;
  t.verified_by = f.verified_by;
  return t;
}

void AddTally(const RunTally& tally, MigrationReport& report) {
  auto add = [](FilesBytes& to, const FilesBytes& from) {
    to.files += from.files;
    to.bytes += from.bytes;
  };
  if (report.started_at == Clock::WallTime{} || tally.started_at < report.started_at) {
    report.started_at = tally.started_at;
  }
  add(report.downloaded, tally.downloaded);
  add(report.deleted, tally.deleted);
  add(report.would_delete, tally.would_delete);
  report.bytes_received += tally.bytes_received;
  report.restores_requested += tally.restores_requested;
  std::map<std::string, int64_t> by(report.verified_by.begin(), report.verified_by.end());
  for (const auto& [method, count] : tally.verified_by) by[method] += count;
  report.verified_by.assign(by.begin(), by.end());
}

Result<MigrationReport> BuildReport(const ReportSources& in) {
  const RunFigures& f = in.ctx.figures;
  MigrationReport r;
  r.finished_at = in.ctx.clock.Now();
  r.interrupted = in.ctx.opt.cancelled != nullptr && in.ctx.opt.cancelled->load();
  r.dry_run = in.ctx.opt.dry_run;
  AddTally(TallyOf(f, in.started_at, in.bytes_received), r);
  S3M_ASSIGN_OR_RETURN(store::StateTotals totals, in.ctx.db.Totals());
  for (size_t i = 0; i < r.final_states.size(); ++i) {
    r.final_states[i] = {totals.by_state[i].files, totals.by_state[i].bytes};
  }
  S3M_RETURN_IF_ERROR(AddKeptInS3(in, totals, r));
  S3M_RETURN_IF_ERROR(AddOtherVersions(in.state, r));
  in.disk.FillReport(r);
  S3M_ASSIGN_OR_RETURN(r.error_count, in.ctx.db.Count(FileState::kError));
  S3M_ASSIGN_OR_RETURN(auto errors, in.ctx.db.Sample(FileState::kError, kReportSample));
  for (const WorkItem& w : errors) r.errors.push_back({w.bucket, w.key, w.error_message.value_or("")});
  return r;
}

}  // namespace s3m::engine
