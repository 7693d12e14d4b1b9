#include "cli/migrate_command.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "cli/app.h"
#include "cli/progress_display.h"
#include "cli/settings_reload.h"
#include "cli/state_commands.h"
#include "cli/state_rejoin.h"
#include "cli/watch_source.h"
#include "core/interrupt.h"
#include "core/logging.h"
#include "engine/file_system.h"
#include "engine/migrator.h"
#include "store/workers.h"

namespace s3m::cli {

namespace {

s3::RestoreTier TierFromName(const std::string& name) {
  if (name == "Expedited") return s3::RestoreTier::kExpedited;
  if (name == "Bulk") return s3::RestoreTier::kBulk;
  return s3::RestoreTier::kStandard;
}

engine::ConditionalDeletes ConditionalFromName(const std::string& name) {
  if (name == "honoured") return engine::ConditionalDeletes::kHonoured;
  if (name == "head-first") return engine::ConditionalDeletes::kHeadFirst;
  return engine::ConditionalDeletes::kUnknown;
}

}  // namespace

int DefaultConcurrency() {
  // Transfers wait on the network far more than on the CPU: several per
  // core, within what one server comfortably takes.
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  return static_cast<int>(std::clamp(cores * 8u, 16u, 64u));
}

CLI::App* AddMigrateCommand(CLI::App& app, MigrateCommandOptions& options) {
  CLI::App* cmd = app.add_subcommand(
      "migrate",
      "Download, verify and delete every scanned object; runs until all are done (restoring "
      "archived objects by itself) and resumes where it stopped");
  cmd->add_flag("--keep-source", options.keep_source,
                "Copy only: verify every object and keep it in S3 (delete_after_verify = false)");
  cmd->add_flag("--dry-run", options.dry_run,
                "Download and verify, but delete nothing and request no restores; report what "
                "would be deleted");
  cmd->add_flag("--delete-size-only-verified", options.delete_size_only_verified,
                "Also delete objects whose copy could only be checked by size (e.g. SSE-KMS "
                "without checksums); by default they are kept in S3 and reported");
  AddHttpTokenOption(*cmd, options.http_token);
  cmd->footer(
      "Examples:\n"
      "  s3migrate scan && s3migrate migrate           # move everything, delete after verify\n"
      "  s3migrate --http 127.0.0.1:8080 migrate       # with the live page and /metrics\n"
      "  s3migrate migrate --keep-source               # copy and verify, keep S3 as it is\n"
      "  s3migrate --concurrency 64 --dest /data migrate\n"
      "\n"
      "Ctrl+C stops cleanly (exit 130); run migrate again to resume. A second Ctrl+C exits at\n"
      "once, still consistent.");
  return cmd;
}

namespace {

// Each transfer gets about the limit over the concurrency; under the stall
// threshold (1 KiB/s for stall_timeout, s3/http.h) transfers would be taken
// for stalled and retried, over and over.
void WarnIfTooLowPerTransfer(const BandwidthSchedule& schedule, int concurrency, double stall_timeout) {
  const std::optional<uint64_t> lowest = schedule.lowest_rate();
  if (!lowest || concurrency <= 0 || *lowest / static_cast<uint64_t>(concurrency) >= 2048) return;
  S3M_LOG_WARN("bwlimit {} over {} transfers leaves each under 2 KiB/s: transfers receiving under 1 KiB/s "
               "for {} s are abandoned as stalled; lower --concurrency or raise the limit",
               FormatBandwidth(lowest), concurrency, stall_timeout);
}

}  // namespace

int RunMigrateCommand(const MigrateCommandOptions& options, CommandContext& ctx) {
  const Settings& settings = ctx.settings();
  auto store = ctx.Store();
  if (!store.ok()) return FailCommand(store.status());
  auto state = OpenScannedStateForWriting(ctx, "migrate", store::Synchronous::kFull, store::WorkerGroup::kMigrate);
  if (!state.ok()) return FailCommand(state.status());

  engine::MigrateOptions opt;
  opt.dest_root = settings.local_base_path;
  opt.concurrency = settings.concurrency > 0 ? settings.concurrency : DefaultConcurrency();
  opt.chunk_size = settings.download_chunk_size;
  opt.reread_after_download = settings.verification_method == "md5";
  opt.set_attributes = settings.xattrs;
  opt.keep_source = options.keep_source || !settings.delete_after_verify;
  opt.dry_run = options.dry_run;
  opt.allow_size_only_delete = options.delete_size_only_verified || settings.delete_size_only_verified;
  opt.conditional_deletes = ConditionalFromName(settings.conditional_deletes);
  opt.restore_days = settings.glacier_restore_days;
  opt.restore_tier = TierFromName(settings.glacier_restore_tier);
  opt.max_restores_in_flight = settings.max_glacier_restores;
  opt.restore_requests_per_second = settings.restore_requests_per_second;
  opt.restore_poll_interval = std::chrono::seconds(settings.restore_poll_interval);
  opt.worker_lease = std::chrono::seconds(settings.worker_lease);
  opt.min_free_bytes = settings.min_free_space;
  opt.max_attempts = settings.max_attempts;
  opt.max_requests_per_second = settings.max_requests_per_second;
  opt.request_limit = ctx.request_limit().get();
  opt.progress_interval =
      std::chrono::milliseconds(static_cast<int64_t>(settings.progress_update_interval * 1000));
  opt.sample_interval =
      std::chrono::milliseconds(static_cast<int64_t>(settings.progress_sample_interval * 1000));
  opt.cancelled = &ctx.cancelled();
  // --bwlimit, kept up to date from the config file (and SIGHUP) by the
  // reloader while the run lasts.
  auto schedule = BandwidthSchedule::Parse(settings.bwlimit);
  if (!schedule.ok()) return FailCommand(schedule.status());
  WarnIfTooLowPerTransfer(*schedule, opt.concurrency, settings.stall_timeout);
  BandwidthLimit bandwidth(Clock::Real(), *schedule);
  opt.bandwidth = &bandwidth;
  SettingsReloader::InstallHangupHandler();
  SettingsReloader reloader(ctx.flags(), bandwidth);

  const ProgressDisplay::Mode mode =
      ProgressDisplay::ChooseMode(ctx.flags().no_progress, STDOUT_FILENO);
  ProgressDisplay display(STDOUT_FILENO, mode, Clock::Real(), settings.state_db);
  // The live page: started before the run, stopped (destroyed) before `live`.
  LiveProgress live(Clock::Real());
  std::unique_ptr<watch::StatusServer> page;
  if (!settings.http_listen.empty()) {
    auto started = StartStatusServer(ctx, settings.http_listen, options.http_token, &live);
    if (!started.ok()) return FailCommand(started.status());
    page = std::move(*started);
  }
  // --no-progress without a page: no redraws, so the engine has no reason
  // to wake for them.
  const bool draw = mode != ProgressDisplay::Mode::kOff;
  if (draw || page) {
    opt.on_progress = [&display, &live, draw](const engine::ProgressSnapshot& snapshot) {
      if (draw) display.Update(snapshot);
      live.Update(snapshot);
    };
  }

  Result<engine::MigrationReport> report = Status::Error(ErrorKind::kFatal, "not run");
  StatePtr open = std::move(*state);
  std::vector<engine::RunTally> earlier;  // runs that lost the state: their part of the summary
  for (;;) {
    int64_t worker = 0;
    {  // the run ends (its Migrator destroyed) before its state may be closed
      engine::Migrator migrator(*open, **store, engine::PosixFileSystem::Default(), engine::MigrateOptions(opt));
      auto wake_on_interrupt = InterruptWatch::Instance().Subscribe([&migrator] { migrator.Wake(); });
      report = migrator.Run();
      worker = migrator.worker_id();
      if (!report.ok()) earlier.push_back(migrator.committed());
    }
    if (report.ok()) {
      for (const engine::RunTally& run : earlier) engine::AddTally(run, *report);
      break;
    }
    if (!ShouldRejoin(report.status(), ctx)) break;
    auto rejoined = Rejoin(
        ctx, std::move(open), report.status(),
        [&] { return OpenScannedStateForWriting(ctx, "migrate", store::Synchronous::kFull, store::WorkerGroup::kMigrate); },
        [worker](store::StateStore& state) {
          return worker != 0 ? store::StopWorker(state.database(), worker) : Status::Ok();
        });
    if (!rejoined.ok()) return FailCommand(rejoined.status());
    open = std::move(*rejoined);
  }
  if (!report.ok()) return FailCommand(report.status());
  display.Finish(*report);
  if (report->interrupted) return kExitInterrupted;
  if (report->waiting_for_space.files > 0 && report->downloaded.files == 0) {
    // Nothing could proceed: everything left waits for space.
    ErrorContext where;
    where.operation = "download";
    where.path = settings.local_base_path;
    where.sys_errno = ENOSPC;
    return FailCommand(Status::Error(
        ErrorKind::kFatal,
        fmt::format("disk full: nothing left fits in the free space ({} {} wait, the largest "
                    "needs {} bytes); free space (or lower min_free_space), then run migrate again",
                    report->waiting_for_space.files,
                    report->waiting_for_space.files == 1 ? "object" : "objects",
                    report->largest_waiting),
        where));
  }
  if (report->error_count > 0 || report->waiting_for_space.files > 0) return kExitObjectsInError;
  return kExitOk;
}

}  // namespace s3m::cli
