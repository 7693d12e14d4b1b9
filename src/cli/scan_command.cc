#include "cli/scan_command.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "cli/app.h"
#include "cli/state_commands.h"
#include "cli/state_rejoin.h"
#include "core/logging.h"
#include "scan/inventory_scan.h"

namespace s3m::cli {

namespace {

// Progress on stderr while listing: redrawn in place on a terminal, a plain
// line every progress_update_interval seconds otherwise.
//   scanning: 1,234,000 objects, 61,700 objects/s, 2 of 5 buckets done
class ScanProgress final : public scan::ScanObserver {
 public:
  ScanProgress(double interval_seconds, bool enabled)
      : interval_(interval_seconds), enabled_(enabled), tty_(::isatty(STDERR_FILENO) == 1),
        start_(std::chrono::steady_clock::now()), last_(start_) {}

  void OnPage(const std::string&, int64_t, int64_t total) override {
    total_ = total;
    const auto now = std::chrono::steady_clock::now();
    if (std::chrono::duration<double>(now - last_).count() < interval_) return;
    last_ = now;
    Print(false);
  }

  void OnBucketDone(const scan::BucketScanResult&) override { ++buckets_done_; }

  void Finish() {
    if (enabled_ && tty_ && printed_) std::fprintf(stderr, "\r\033[K");
  }

 private:
  void Print(bool) {
    if (!enabled_) return;
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const std::string line = fmt::format(
        "scanning: {} objects, {} objects/s, {} bucket{} done", FormatCount(total_),
        FormatCount(static_cast<int64_t>(elapsed > 0 ? static_cast<double>(total_) / elapsed : 0)),
        buckets_done_, buckets_done_ == 1 ? "" : "s");
    if (tty_) {
      std::fprintf(stderr, "\r\033[K%s", line.c_str());
    } else {
      std::fprintf(stderr, "%s\n", line.c_str());
    }
    std::fflush(stderr);
    printed_ = true;
  }

  const double interval_;
  const bool enabled_;
  const bool tty_;
  const std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
  int64_t total_ = 0;
  int buckets_done_ = 0;
  bool printed_ = false;
};

std::string OutcomeText(const scan::BucketScanResult& r) {
  switch (r.outcome) {
    case scan::BucketOutcome::kComplete: return r.resumed ? "complete (resumed)" : "complete";
    case scan::BucketOutcome::kSkipped: return "already scanned";
    case scan::BucketOutcome::kFailed: return "FAILED";
    case scan::BucketOutcome::kInterrupted: return "interrupted";
    case scan::BucketOutcome::kElsewhere: return "by another worker";
  }
  return "";
}

// scan: 3 buckets, 3,017 objects listed in 1.4 s (2,155 objects/s)
//
// bucket              region     result             listed    new  changed  gone
// photos              us-east-1  complete            3,000  3,000        0     0
void PrintReport(const scan::ScanReport& report, scan::ScanMode mode) {
  std::printf("%s: %zu bucket%s, %s objects listed in %.1f s (%s objects/s)\n",
              mode == scan::ScanMode::kScan ? "scan" : "rescan", report.buckets.size(),
              report.buckets.size() == 1 ? "" : "s", FormatCount(report.objects_listed).c_str(),
              report.seconds,
              FormatCount(static_cast<int64_t>(
                              report.seconds > 0 ? static_cast<double>(report.objects_listed) / report.seconds
                                                 : 0))
                  .c_str());
  if (report.buckets.empty()) {
    std::printf("no buckets to scan (none visible to these credentials, or none matched "
                "--include/--exclude)\n");
    return;
  }
  size_t width = 6;
  for (const auto& b : report.buckets) width = std::max(width, ObjectUrl(b.bucket).size() - 5);
  std::printf("\n%-*s  %-14s %-18s %10s %12s %8s %8s %6s\n", static_cast<int>(width), "bucket",
              "region", "result", "listed", "size", "new", "changed", "gone");
  for (const auto& b : report.buckets) {
    const bool ran = b.outcome != scan::BucketOutcome::kSkipped && b.outcome != scan::BucketOutcome::kElsewhere;
    std::printf("%-*s  %-14s %-18s %10s %12s %8s %8s %6s\n", static_cast<int>(width),
                ObjectUrl(b.bucket).substr(5).c_str(), b.region.empty() ? "-" : b.region.c_str(),
                OutcomeText(b).c_str(), FormatCount(b.objects_listed).c_str(),
                FormatBytes(b.bytes_listed).c_str(),
                ran ? FormatCount(b.counts.inserted + b.counts.reappeared).c_str() : "-",
                ran ? FormatCount(b.counts.changed).c_str() : "-",
                ran ? FormatCount(b.counts.gone_before_download + b.counts.gone_after_download).c_str()
                    : "-");
  }
  bool notes = false;
  auto note = [&](const std::string& text) {
    if (!notes) std::printf("\n");
    notes = true;
    std::printf("%s\n", text.c_str());
  };
  for (const auto& b : report.buckets) {
    const std::string url = ObjectUrl(b.bucket);
    if (b.outcome == scan::BucketOutcome::kFailed) {
      std::string advice = "run the same command again to resume from the last committed page";
      if (b.error.kind() == ErrorKind::kNotFound) {
        advice = "no such bucket, or not visible to these credentials: check the name";
      } else if (b.error.kind() == ErrorKind::kAuth) {
        advice = "the credentials were refused: check them (and the profile/region), then run again";
      } else if (b.error.kind() == ErrorKind::kAccessDenied) {
        advice = "these credentials may not list this bucket (s3:ListBucket): grant it, or leave "
                 "the bucket out";
      }
      note(fmt::format("{}: listing failed, not marked scanned: {}\n  {}", url, b.error.ToString(),
                       advice));
    }
    if (b.ranges > 1) {
      note(fmt::format("{}: listed in {} key ranges at once (split while listing: "
                       "scan_split_listings)",
                       url, FormatCount(b.ranges)));
    }
    if (b.noncurrent_versions > 0 || b.delete_markers > 0) {
      note(fmt::format("{}: versioned ({}); the latest version of each key is recorded; {} "
                       "noncurrent version{} and {} delete marker{} stay in S3",
                       url, b.versioning, FormatCount(b.noncurrent_versions),
                       b.noncurrent_versions == 1 ? "" : "s", FormatCount(b.delete_markers),
                       b.delete_markers == 1 ? "" : "s"));
    }
    if (b.counts.gone_before_download > 0) {
      note(fmt::format("{}: {} object{} gone from S3 before download, now in state 'error' with "
                       "gone_at set",
                       url, FormatCount(b.counts.gone_before_download),
                       b.counts.gone_before_download == 1 ? "" : "s"));
    }
    if (b.counts.gone_after_download > 0) {
      note(fmt::format("{}: {} object{} gone from S3 after download (local copy kept)", url,
                       FormatCount(b.counts.gone_after_download),
                       b.counts.gone_after_download == 1 ? "" : "s"));
    }
    if (b.counts.changed > 0) {
      note(fmt::format("{}: {} object{} changed since the last scan, back to 'discovered'", url,
                       FormatCount(b.counts.changed), b.counts.changed == 1 ? "" : "s"));
    }
    if (b.outcome == scan::BucketOutcome::kComplete && !b.gone_detection &&
        mode == scan::ScanMode::kRescan) {
      note(fmt::format("{}: --include/--exclude filter its keys, so objects not listed were not "
                       "marked gone",
                       url));
    }
  }
  if (report.interrupted) {
    note("interrupted: every listed page is saved; run the same command again to resume");
  } else if (mode == scan::ScanMode::kScan &&
             std::any_of(report.buckets.begin(), report.buckets.end(), [](const auto& b) {
               return b.outcome == scan::BucketOutcome::kSkipped;
             })) {
    note("buckets already scanned were not listed again; `s3migrate rescan BUCKET` catches "
         "objects added, changed or removed since");
  }
}

int ExitCodeForReport(const scan::ScanReport& report) {
  if (report.interrupted) return kExitInterrupted;
  int code = kExitOk;
  for (const auto& b : report.buckets) {
    if (b.outcome != scan::BucketOutcome::kFailed) continue;
    // Rejected credentials stop everything (exit 3); any other failed
    // bucket means "finished, with errors" (exit 1).
    if (b.error.kind() == ErrorKind::kAuth) return kExitFatal;
    code = kExitObjectsInError;
  }
  return code;
}

}  // namespace

CLI::App* AddScanCommand(CLI::App& app, ScanCommandOptions& options) {
  CLI::App* cmd = app.add_subcommand("scan", "Inventory all (or the named) buckets into the state database");
  cmd->add_option("buckets", options.buckets, "Buckets to scan; omit for every bucket you can list");
  cmd->add_option("--parallel", options.parallel_buckets, "Listings at once: buckets, or key ranges of one (default 4)")
      ->check(CLI::Range(1, 64));
  cmd->add_option("--inventory", options.inventories,
                  "Read the bucket from this S3 Inventory report (s3://BUCKET/PATH/manifest.json, CSV "
                  "format) instead of listing it; repeatable");
  cmd->footer(
      "Each bucket is listed in its own region; rows are committed page by page together with\n"
      "the listing position, so an interrupted scan (Ctrl+C, crash, network failure) resumes\n"
      "where it stopped. Buckets already scanned are skipped: use `rescan` to list them again.\n"
      "\n"
      "Examples:\n"
      "  s3migrate scan                                  # every bucket\n"
      "  s3migrate scan photos logs                      # two buckets\n"
      "  s3migrate --include 'logs-*' scan               # buckets matching a glob\n"
      "  s3migrate --exclude '*/tmp/*' scan photos       # skip keys under tmp/\n"
      "  s3migrate scan --inventory s3://inv/photos/daily/2026-12-04T01-00Z/manifest.json\n"
      "  sqlite3 s3_migration_state.db 'SELECT state, COUNT(*) FROM files GROUP BY state'\n"
      "\n"
      "Exit codes: 0 done, 1 some bucket failed (run again to resume), 2 usage error,\n"
      "            3 credentials rejected or database unusable, 130 interrupted.");
  return cmd;
}

// scan --inventory: each report in turn (each is a few large GETs).
int RunInventoryScan(const ScanCommandOptions& options, CommandContext& ctx) {
  const Settings& settings = ctx.settings();
  if (!options.buckets.empty()) {
    return FailCommand(Status::Error(ErrorKind::kInvalidArgument,
                                     "scan: give either bucket names or --inventory reports, not both "
                                     "(a report names its bucket)"));
  }
  auto filter = scan::ScanFilter::Create(settings.include, settings.exclude);
  if (!filter.ok()) return FailCommand(filter.status());
  auto state = OpenStateForWriting(ctx, "scan", store::Synchronous::kNormal);
  if (!state.ok()) return FailCommand(state.status());
  auto objects = ctx.Store();
  if (!objects.ok()) return FailCommand(objects.status());
  // Data files wait beside the database while they are read.
  std::string spool_dir = std::filesystem::path(settings.state_db).parent_path().string();
  if (spool_dir.empty()) spool_dir = ".";
  ScanProgress progress(settings.progress_update_interval, !ctx.flags().no_progress);
  scan::ScanReport report;
  bool unreadable = false;
  const auto start = std::chrono::steady_clock::now();
  for (const std::string& url : options.inventories) {
    scan::InventoryScanOptions inventory;
    inventory.manifest_url = url;
    inventory.spool_dir = spool_dir;
    inventory.filter = *filter;
    inventory.cancelled = &ctx.cancelled();
    auto result = scan::ScanFromInventory(**objects, **state, inventory, &progress);
    if (!result.ok()) return FailCommand(result.status());
    if (result->bucket.empty()) {
      // The report itself could not be read: no bucket to put in the table.
      std::printf("%s: cannot read this inventory report: %s\n", url.c_str(), result->error.ToString().c_str());
      unreadable = true;
      continue;
    }
    report.objects_listed += result->objects_listed;
    report.interrupted = report.interrupted || result->outcome == scan::BucketOutcome::kInterrupted;
    progress.OnBucketDone(*result);
    report.buckets.push_back(std::move(*result));
    if (report.interrupted) break;
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  progress.Finish();
  PrintReport(report, scan::ScanMode::kScan);
  for (const auto& b : report.buckets) {
    if (b.outcome == scan::BucketOutcome::kComplete) {
      std::printf("%s: from its inventory report; objects the report does not hold (added since) are "
                  "not known yet, and none was marked gone: `s3migrate rescan %s` lists it\n",
                  ObjectUrl(b.bucket).c_str(), b.bucket.c_str());
    }
  }
  std::fflush(stdout);
  const int code = ExitCodeForReport(report);
  return code == kExitOk && unreadable ? kExitObjectsInError : code;
}

// Several scans on one shared (PostgreSQL) state share the buckets: each is
// a worker, with a heartbeat, and lists the buckets it claims. Null alone.
Result<std::unique_ptr<store::WorkerHeartbeat>> StartScanWorker(store::StateStore& state, const Settings& settings) {
  if (!state.shared_with_workers()) return std::unique_ptr<store::WorkerHeartbeat>();
  S3M_ASSIGN_OR_RETURN(std::unique_ptr<store::Database> own, state.OpenAnotherConnection());
  S3M_ASSIGN_OR_RETURN(std::unique_ptr<store::WorkerHeartbeat> worker,
                       store::WorkerHeartbeat::Start(state.database(), std::move(own),
                                                     std::chrono::seconds(settings.worker_lease), Clock::Real()));
  worker->RemoveWhenStopped();
  state.SetScanWorker(worker->id());
  S3M_LOG_INFO("scan worker {}: lease {} s", worker->id(), settings.worker_lease);
  return worker;
}

int RunListing(scan::ScanMode mode, const ScanCommandOptions& options, CommandContext& ctx) {
  if (!options.inventories.empty()) return RunInventoryScan(options, ctx);
  const Settings& settings = ctx.settings();
  auto filter = scan::ScanFilter::Create(settings.include, settings.exclude);
  if (!filter.ok()) return FailCommand(filter.status());
  // Listings are resumable and idempotent: commits need not wait for fsync.
  auto open_state = [&] {
    return mode == scan::ScanMode::kScan
               ? OpenStateForWriting(ctx, "scan", store::Synchronous::kNormal, store::WorkerGroup::kScan)
               : OpenScannedStateForWriting(ctx, "rescan", store::Synchronous::kNormal);
  };
  auto state = open_state();
  if (!state.ok()) return FailCommand(state.status());

  scan::ScanOptions scan_options;
  scan_options.mode = mode;
  scan_options.buckets = options.buckets;
  if (options.all) {
    auto recorded = (*state)->Buckets();
    if (!recorded.ok()) return FailCommand(recorded.status());
    for (const auto& b : *recorded) {
      if (filter->BucketSelected(b.name)) scan_options.buckets.push_back(b.name);
    }
    if (scan_options.buckets.empty()) {
      // Buckets are recorded (OpenScannedStateForWriting), none passes the filters.
      std::printf("rescan: no recorded bucket matches --include/--exclude; nothing listed\n");
      return kExitOk;
    }
  }
  scan_options.filter = std::move(*filter);
  scan_options.parallel_buckets = options.parallel_buckets;
  scan_options.split_listings = settings.scan_split_listings;
  scan_options.cancelled = &ctx.cancelled();
  auto objects = ctx.Store();
  if (!objects.ok()) return FailCommand(objects.status());
  ScanProgress progress(settings.progress_update_interval, !ctx.flags().no_progress);
  StatePtr open = std::move(*state);
  Result<scan::ScanReport> report = Status::Error(ErrorKind::kFatal, "not run");
  for (;;) {
    int64_t worker_id = 0;
    {  // the run ends (its heartbeat stopped) before its state may be closed
      auto worker = StartScanWorker(*open, settings);
      if (!worker.ok()) return FailCommand(worker.status());
      scan::ScanOptions run_options = scan_options;
      run_options.worker = worker->get();
      worker_id = *worker ? (*worker)->id() : 0;
      scan::Scanner scanner(**objects, *open, std::move(run_options));
      report = scanner.Run(&progress);
    }
    if (report.ok() || !ShouldRejoin(report.status(), ctx)) break;
    auto rejoined = Rejoin(ctx, std::move(open), report.status(), open_state, [worker_id](store::StateStore& s) {
      return worker_id != 0 ? store::RemoveWorker(s.database(), worker_id) : Status::Ok();
    });
    if (!rejoined.ok()) {
      progress.Finish();
      return FailCommand(rejoined.status());
    }
    open = std::move(*rejoined);
  }
  progress.Finish();
  if (!report.ok()) return FailCommand(report.status());
  PrintReport(*report, mode);
  std::fflush(stdout);
  return ExitCodeForReport(*report);
}

int RunScanCommand(const ScanCommandOptions& options, CommandContext& ctx) {
  return RunListing(scan::ScanMode::kScan, options, ctx);
}

}  // namespace s3m::cli
