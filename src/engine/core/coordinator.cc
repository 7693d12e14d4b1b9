#include "engine/core/coordinator.h"

#include <algorithm>

#include "engine/core/report.h"

namespace s3m::engine {

using store::FileState;

Coordinator::Coordinator(store::StateStore& state, store::MigrationStore& db, FileSystem& fs,
                         const DeletePolicy& policy, const MigrateOptions& options, Clock& clock)
    : state_(state),
      policy_(policy),
      layout_(fs, options.dest_root),
      ctx_(db, clock, options),
      setbacks_(ctx_),
      disk_(fs, options.dest_root, options.min_free_bytes, clock),
      deletes_(ctx_, setbacks_, policy, fs),
      downloads_(ctx_, setbacks_, disk_, deletes_, layout_, fs),
      restores_(ctx_, setbacks_) {}

Status Coordinator::Start() {
  started_at_ = ctx_.clock.Now();
  S3M_RETURN_IF_ERROR(layout_.Prepare());
  S3M_ASSIGN_OR_RETURN(store::StateTotals totals, ctx_.db.Totals());
  int64_t needed = 0;
  for (FileState s : {FileState::kDiscovered, FileState::kDownloading, FileState::kDownloaded,
                      FileState::kGlacierRestoreRequested, FileState::kGlacierRestoring}) {
    needed += totals.by_state[static_cast<size_t>(s)].bytes;
  }
  disk_.Preflight(needed);
  restores_.Start();
  return Status::Ok();
}

Status Coordinator::Step(std::vector<Event>& events, bool take_work, Commands& out) {
  for (Event& event : events) {
    S3M_RETURN_IF_ERROR(std::visit(
        [&](auto& e) -> Status {
          using T = std::decay_t<decltype(e)>;
          if constexpr (std::is_same_v<T, DownloadOutcome>) {
            return downloads_.OnOutcome(e);
          } else if constexpr (std::is_same_v<T, Sealed>) {
            ctx_.queues.MarkPublishing(e.id);
            return Status::Ok();
          } else if constexpr (std::is_same_v<T, RangeDone>) {
            return ctx_.db.AddDoneChunks(e.id, {{e.span.offset, e.span.length}});
          } else if constexpr (std::is_same_v<T, RestoreAnswered>) {
            return restores_.OnAnswer(e);
          } else {
            return deletes_.OnAnswer(e, out.deleted);
          }
        },
        event));
  }
  if (!take_work || ctx_.stopping()) return Status::Ok();
  S3M_RETURN_IF_ERROR(downloads_.Take(out.downloads));
  S3M_RETURN_IF_ERROR(restores_.TakeRequests(out.restores));
  S3M_RETURN_IF_ERROR(restores_.TakePolls(out.checks));
  S3M_RETURN_IF_ERROR(deletes_.TakeVerified());
  // Full batches go at once; a partial one when nothing more is coming soon,
  // or when its oldest request has waited long enough: S3 bills
  // DeleteObjects per request, 1,000 keys or 1. They are sent after the
  // caller's commit, like every command.
  deletes_.Flush(out.deletes, deletes_.walked() && ctx_.queues.downloading() == 0);
  return Status::Ok();
}

bool Coordinator::Finished() {
  if (disk_.paused() && ctx_.queues.downloading() == 0 && deletes_.in_flight_or_pending() == 0 &&
      !ctx_.stopping()) {
    // Nothing in flight will free space (deletes free S3, not the disk).
    ctx_.Stop(disk_.FullForGood());
    return false;
  }
  idle_ = downloads_.Idle() && restores_.Idle() && deletes_.Idle();
  if (!idle_) return false;
  return ctx_.db.worker() == 0 || OthersDone();
}

std::vector<store::WorkQueue> Coordinator::WalkedQueues() const {
  using store::WorkQueue;
  std::vector<WorkQueue> queues = {WorkQueue::kResumeDownload, WorkQueue::kDownloadable,
                                   WorkQueue::kRestoreRequested, WorkQueue::kRestoring};
  if (!ctx_.opt.dry_run) queues.push_back(WorkQueue::kNeedsRestore);
  if (!policy_.RefusesEverything()) queues.push_back(WorkQueue::kVerified);
  return queues;
}

bool Coordinator::OthersDone() {
  const Mono now = ctx_.now();
  if (now < next_pool_check_) return false;
  next_pool_check_ = now + kPoolPoll;
  if (!marked_idle_) {
    // Said at once: the others may be waiting for this worker to be done.
    if (Status s = ctx_.db.MarkIdle(true); !s.ok()) {
      ctx_.Stop(s);
      return false;
    }
    marked_idle_ = true;
  }
  Result<store::PoolState> pool = ctx_.db.Pool(WalkedQueues());
  if (!pool.ok()) {
    ctx_.Stop(pool.status());
    return false;
  }
  if (pool->orphans) {
    // A worker died holding rows this one walks: over them again (its
    // walks claim them now).
    downloads_.Rewind();
    restores_.Rewind();
    deletes_.Rewind();
    idle_ = false;
    if (Status s = ctx_.db.MarkIdle(false); !s.ok()) ctx_.Stop(s);
    marked_idle_ = false;
    return false;
  }
  return pool->others_working == 0;
}

Coordinator::Mono Coordinator::NextWake() const {
  const Mono now = ctx_.now();
  // Workers post events and Ctrl+C wakes the shell: only timers are waited
  // for here, so while only restores are pending the run sleeps until the
  // next check; kMaxSleep is a safety net.
  Mono wake = now + kMaxSleep;
  if (disk_.paused()) wake = std::min(wake, disk_.next_check());
  if (auto poll = restores_.next_poll()) wake = std::min(wake, *poll);
  if (auto deletes = deletes_.NextWake()) wake = std::min(wake, *deletes);
  if (auto retry = ctx_.queues.NextRetry()) wake = std::min(wake, *retry);
  if (idle_ && ctx_.db.worker() != 0) wake = std::min(wake, next_pool_check_);
  return std::max(wake, now);
}

ProgressSnapshot Coordinator::Progress(int64_t bytes_received, int active_transfers) {
  ProgressSnapshot snap;
  snap.now = ctx_.clock.Now();
  snap.started_at = started_at_;
  auto totals = ctx_.db.Totals();
  if (totals.ok()) {
    for (size_t i = 0; i < snap.by_state.size(); ++i) {
      snap.by_state[i] = {totals->by_state[i].files, totals->by_state[i].bytes};
      snap.total.files += totals->by_state[i].files;
      snap.total.bytes += totals->by_state[i].bytes;
    }
    snap.restores_waiting = totals->archived_discovered;
  }
  const auto& deleted = snap.by_state[static_cast<size_t>(FileState::kDeleted)];
  const auto& verified = snap.by_state[static_cast<size_t>(FileState::kVerified)];
  snap.done = deleted;
  if (ctx_.opt.keep_source || ctx_.opt.dry_run) {
    snap.done.files += verified.files;
    snap.done.bytes += verified.bytes;
  }
  snap.bytes_received = bytes_received;
  snap.active_transfers = active_transfers;
  snap.restores_in_flight = restores_.in_flight();
  snap.restores_ready = restores_.ready();
  if (auto poll = restores_.next_poll()) {
    snap.next_restore_check =
        snap.now + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                       std::max(*poll - ctx_.now(), Clock::Duration::zero()));
  }
  snap.paused_reason = disk_.paused_reason();
  snap.errors_this_run = ctx_.figures.errors_this_run;
  snap.retries_by_kind = ctx_.figures.retries_by_kind;
  snap.errors_by_kind = ctx_.figures.errors_by_kind;
  const WorkQueues& q = ctx_.queues;
  snap.queues.ready_downloads = static_cast<int64_t>(q.ready_count(Lane::kDownload));
  snap.queues.ready_restores = static_cast<int64_t>(q.ready_count(Lane::kRestore));
  snap.queues.retries_waiting = static_cast<int64_t>(q.retries_waiting());
  snap.queues.publishing = static_cast<int64_t>(q.publishing());
  snap.queues.deletes_pending = static_cast<int64_t>(deletes_.in_flight_or_pending());
  snap.dry_run = ctx_.opt.dry_run;
  snap.keep_source = ctx_.opt.keep_source;
  snap.request_limit = ctx_.opt.max_requests_per_second;
  if (ctx_.opt.bandwidth != nullptr) {
    BandwidthLimit::InForce bandwidth = ctx_.opt.bandwidth->in_force();
    snap.bandwidth_limit = bandwidth.rate;
    snap.bandwidth_schedule = std::move(bandwidth.setting);
    snap.bandwidth_timetable = bandwidth.timetable;
  }
  return snap;
}

Result<MigrationReport> Coordinator::Report(int64_t bytes_received) {
  return BuildReport(ReportSources{state_, ctx_, policy_, disk_, started_at_, bytes_received});
}

RunTally Coordinator::Tally(int64_t bytes_received) const {
  return TallyOf(ctx_.figures, started_at_, bytes_received);
}

}  // namespace s3m::engine
