#include "engine/migrator.h"

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "core/logging.h"
#include "core/retry.h"
#include "core/time_format.h"
#include "engine/atomic_file.h"
#include "engine/delete_scheduler.h"
#include "engine/disk_space.h"
#include "engine/failure_policy.h"
#include "engine/download.h"
#include "engine/local_layout.h"
#include "engine/publisher.h"
#include "engine/restore.h"
#include "engine/task_runner.h"
#include "engine/transfer_pool.h"
#include "store/migration_store.h"

namespace s3m::engine {

namespace {

using store::FileChange;
using store::FileState;
using store::WorkItem;
using store::WorkQueue;
using Mono = Clock::MonoTime;

// How many rows one keyset page reads.
constexpr int kPageRows = 500;
// A restore asked for this recently may not show in HeadObject yet.
constexpr auto kRestoreGrace = std::chrono::minutes(2);
// Free space is read at most this often.
constexpr auto kDiskCheckInterval = std::chrono::seconds(1);
constexpr auto kMaxSleep = std::chrono::minutes(5);
// Samples of the final report.
constexpr int kReportSample = 20;

struct RangeDone {
  int64_t id = 0;
  ByteSpan span;
};
struct RestoreEvent {
  RestoreOutcome outcome;
  bool was_request = false;  // RequestRestore (else CheckRestore)
  WorkItem item;
};
struct DeleteEvent {
  std::vector<DeleteOutcome> outcomes;
  std::vector<DeleteRequest> requests;
};
using Event = std::variant<DownloadOutcome, RangeDone, RestoreEvent, DeleteEvent>;

// A per-object retry, waiting in memory (its row says `discovered`).
struct Delayed {
  Mono at;
  WorkItem item;
  bool restore = false;  // back to the restore queue rather than the download queue
};

DeleteRequest DeleteRequestFor(const WorkItem& item, bool size_only) {
  return DeleteRequest{item.id,   item.bucket, item.key, item.bucket_versioned ? item.version_id : "",
                       item.etag, item.size,   size_only};
}

std::string Now(Clock& clock) { return FormatIso8601(clock.Now(), Iso8601Precision::kSeconds); }

}  // namespace

class Migrator::Impl {
 public:
  // See Migrator::Wake.
  void Wake() {
    std::lock_guard lock(ev_mu_);
    ev_cv_.notify_all();
  }
  Impl(store::StateStore& state, s3::ObjectStore& s3, FileSystem& fs, MigrateOptions options)
      : state_(state),
        s3_(s3),
        fs_(fs),
        opt_(std::move(options)),
        clock_(opt_.clock ? *opt_.clock : Clock::Real()),
        db_(state, &clock_),
        layout_(fs, opt_.dest_root),
        dirs_(fs),
        gate_(s3, DeleteGateOptions{opt_.dry_run, opt_.keep_source, opt_.allow_size_only_delete,
                                    opt_.conditional_deletes}),
        backoff_(RetryPolicy{opt_.max_attempts, opt_.retry_base_delay, opt_.retry_base_delay * 4,
                             opt_.retry_max_delay},
                 DefaultUniformRandom()) {}

  Result<MigrationReport> Run();

 private:
  // --- events (any thread) ---------------------------------------------
  void Post(Event event) {
    {
      std::lock_guard lock(ev_mu_);
      events_.push_back(std::move(event));
    }
    ev_cv_.notify_one();
  }
  bool cancelled() const {
    return stop_.load() || (opt_.cancelled != nullptr && opt_.cancelled->load());
  }

  // --- coordinator -----------------------------------------------------
  Status Preflight();
  Status ApplyEvents(std::vector<Event>& events);
  Status OnDownload(DownloadOutcome& outcome);
  Status OnRestore(RestoreEvent& event);
  Status OnDelete(DeleteEvent& event);
  // A failed attempt: retried later (in memory, row `discovered`) or `error`.
  Status FailAttempt(const WorkItem& item, FileState from, const Status& cause, bool restore_queue);
  Status Requeue(int64_t id, bool restore);
  // Queues an item to download (or to restore) next; busy_ marks it queued.
  void PushReady(WorkItem item, bool restore, bool front = false) {
    busy_.insert(item.id);
    auto& queue = restore ? restore_ready_ : ready_;
    if (front) {
      queue.push_front(std::move(item));
    } else {
      queue.push_back(std::move(item));
    }
  }
  WorkItem PopReady(bool restore) {
    auto& queue = restore ? restore_ready_ : ready_;
    WorkItem item = std::move(queue.front());
    queue.pop_front();
    busy_.erase(item.id);
    return item;
  }
  Status RecordChanged(const WorkItem& item, FileState from, const s3::ObjectMetadata& current);
  // A pinned request got 412 and an unpinned HEAD showed `current`.
  Status OnPreconditionFailed(const WorkItem& item, FileState from, const Status& cause,
                              const s3::ObjectMetadata& current, bool restore_queue);
  // Stops the run (exit 3) with `cause`, or with the denied-streak message.
  void StopRun(const Status& cause);

  Status TakeDownloads();
  Status Dispatch(WorkItem item);
  SpaceCheck CheckDisk(const WorkItem& item);
  void SetAside(const WorkItem& item);
  // CheckDisk, and SetAside when the object does not fit.
  SpaceCheck Admit(const WorkItem& item);
  Status TakeRestores();
  Status TakePolls();
  Status TakeDeletes();
  void FlushDeletes(bool all);
  bool Finished();
  Mono NextWake();
  void ReportProgress(bool force);
  Result<MigrationReport> BuildReport();

  store::StateStore& state_;
  s3::ObjectStore& s3_;
  FileSystem& fs_;
  const MigrateOptions opt_;
  Clock& clock_;
  store::MigrationStore db_;
  LocalLayout layout_;
  DirectoryMaker dirs_;
  DeleteGate gate_;
  Backoff backoff_;
  FailurePolicy failures_{opt_.max_attempts};

  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> bytes_received_{0};
  std::mutex ev_mu_;
  std::condition_variable ev_cv_;
  std::vector<Event> events_;

  std::unique_ptr<BatchPublisher> publisher_;
  std::unique_ptr<TransferPool> pool_;
  std::unique_ptr<TaskRunner> restores_;
  std::unique_ptr<TaskRunner> deletes_;

  // Coordinator-only bookkeeping; bounded by the work in flight.
  std::unordered_map<int64_t, WorkItem> downloading_;  // submitted to the pool
  std::unordered_set<int64_t> busy_;   // a restore, check or delete in flight
  std::deque<WorkItem> ready_;         // to download next, before the cursor's rows
  std::deque<WorkItem> restore_ready_; // to request a restore for, before the cursor's rows
  std::vector<Delayed> delayed_;
  DeleteScheduler delete_queue_;  // verified objects on their way to the gate
  // Keyset cursors; *_done_ once a pass reached the end.
  int64_t resume_cursor_ = 0, download_cursor_ = 0, restore_cursor_ = 0, verified_cursor_ = 0;
  bool resume_done_ = false, download_done_ = false, restore_done_ = false, verified_done_ = false;
  int64_t restores_in_flight_ = 0;  // rows requested or restoring, without a readable copy
  int64_t restores_ready_ = 0;
  Mono next_poll_{};
  bool poll_running_ = false;
  size_t polls_outstanding_ = 0;
  Mono next_restore_token_{};
  Mono next_progress_{};
  Mono last_disk_check_{};
  uint64_t free_bytes_ = UINT64_MAX;
  uint64_t reserve_bytes_ = 0;
  std::string paused_reason_;
  // Objects larger than the free space, set aside for this run (they stay
  // `discovered`); counted once each.
  std::unordered_set<int64_t> set_aside_;
  // Objects whose endpoint answers 412 to a matching If-Match (failure_policy.h).
  std::unordered_set<int64_t> unpinned_;
  FilesBytes waiting_for_space_{};
  std::vector<LeftBehind> waiting_sample_;
  int64_t largest_waiting_ = 0;
  Status fatal_;
  std::vector<std::unique_ptr<ObjectDownload>> to_submit_;  // started after the commit
  size_t restores_pending_requests_ = 0;
  std::unordered_map<int64_t, int64_t> delete_attempts_;
  int disk_full_failures_ = 0;  // in a row; statvfs may not see quotas

  // Report figures.
  Clock::WallTime started_at_{};
  FilesBytes downloaded_{}, deleted_{}, would_delete_{};
  int64_t restores_requested_ = 0;
  int64_t errors_this_run_ = 0;
  std::map<std::string, int64_t> verified_by_;
  std::vector<LeftBehind> notes_;
};

Migrator::Migrator(store::StateStore& state, s3::ObjectStore& store, FileSystem& fs,
                   MigrateOptions options)
    : impl_(std::make_unique<Impl>(state, store, fs, std::move(options))) {}
Migrator::~Migrator() = default;
Result<MigrationReport> Migrator::Run() { return impl_->Run(); }
void Migrator::Wake() { impl_->Wake(); }

// ---------------------------------------------------------------------------

Status Migrator::Impl::Preflight() {
  S3M_RETURN_IF_ERROR(layout_.Prepare());
  S3M_ASSIGN_OR_RETURN(store::StateTotals totals, db_.Totals());
  int64_t needed = 0;
  for (FileState s : {FileState::kDiscovered, FileState::kDownloading, FileState::kDownloaded,
                      FileState::kGlacierRestoreRequested, FileState::kGlacierRestoring}) {
    needed += totals.by_state[static_cast<size_t>(s)].bytes;
  }
  auto space = fs_.GetDiskSpace(layout_.root());
  if (space.ok()) {
    free_bytes_ = space->available_bytes;
    reserve_bytes_ = FreeSpaceReserve(opt_.min_free_bytes, space->total_bytes);
    if (static_cast<uint64_t>(needed) + reserve_bytes_ > space->available_bytes) {
      S3M_LOG_WARN("the objects left to download need {} bytes and {} has {} bytes free (keeping "
                   "{} bytes free): objects that do not fit wait for space, smaller ones go on",
                   needed, layout_.root(), space->available_bytes, reserve_bytes_);
    }
  }
  return Status::Ok();
}

SpaceCheck Migrator::Impl::CheckDisk(const WorkItem& item) {
  const Mono now = clock_.MonotonicNow();
  if (now - last_disk_check_ >= kDiskCheckInterval) {
    last_disk_check_ = now;
    auto space = fs_.GetDiskSpace(layout_.root());
    if (space.ok()) free_bytes_ = space->available_bytes;
  }
  const SpaceCheck check = CheckSpace(free_bytes_, reserve_bytes_, static_cast<uint64_t>(item.size));
  if (check == SpaceCheck::kPause) {
    if (paused_reason_.empty()) {
      paused_reason_ = fmt::format("free space on {} is {} bytes, below the {} bytes kept free",
                                   layout_.root(), free_bytes_, reserve_bytes_);
      S3M_LOG_WARN("downloads paused: {}", paused_reason_);
    }
    return check;
  }
  if (!paused_reason_.empty()) S3M_LOG_WARN("free space is back: downloads go on");
  paused_reason_.clear();
  // Count what this object will take until the next real reading.
  if (check == SpaceCheck::kGo && free_bytes_ != UINT64_MAX) {
    free_bytes_ -= std::min(free_bytes_, static_cast<uint64_t>(item.size));
  }
  return check;
}

SpaceCheck Migrator::Impl::Admit(const WorkItem& item) {
  const SpaceCheck space = CheckDisk(item);
  if (space == SpaceCheck::kSetAside) SetAside(item);
  return space;
}

void Migrator::Impl::SetAside(const WorkItem& item) {
  if (!set_aside_.insert(item.id).second) return;
  waiting_for_space_.files += 1;
  waiting_for_space_.bytes += item.size;
  largest_waiting_ = std::max(largest_waiting_, item.size);
  const std::string reason =
      fmt::format("needs {} bytes; {} has {} bytes free and keeps {} free", item.size,
                  layout_.root(), free_bytes_, reserve_bytes_);
  if (waiting_sample_.size() < static_cast<size_t>(kReportSample)) {
    waiting_sample_.push_back({item.bucket, item.key, reason});
  }
  S3M_LOG_WARN("s3://{}/{} does not fit on the disk ({}): it waits for space, smaller objects go on",
               item.bucket, item.key, reason);
}

Status Migrator::Impl::Dispatch(WorkItem item) {
  const FileState from = item.state;
  auto path = layout_.Choose(db_, item);
  if (!path.ok()) return FailAttempt(item, from, path.status(), false);
  if (item.local_path && *item.local_path != *path) {
    // A partial download of an older version, left at the old name (rescan
    // found the object changed): it is this object's alone, and useless now.
    const Status removed = fs_.RemoveFile(AtomicFile::PartialPath(*item.local_path));
    if (!removed.ok() && removed.kind() != ErrorKind::kNotFound) {
      S3M_LOG_WARN("s3://{}/{}: {}", item.bucket, item.key, removed.ToString());
    }
  }

  // A partial file of an earlier run is resumed only when its recorded
  // ranges can be trusted (atomic_file.h): the file must still be there
  // with the right size; otherwise its records are dropped first, in this
  // same transaction, before a byte is written to a new file.
  std::unique_ptr<AtomicFile> resumed;
  std::vector<ByteSpan> done;
  if (static_cast<uint64_t>(item.size) > opt_.chunk_size) {
    S3M_ASSIGN_OR_RETURN(auto ranges, db_.DoneChunks(item.id));
    if (!ranges.empty()) {
      AtomicFile::Options options;
      options.resumable = true;
      options.directories = &dirs_;
      auto file = AtomicFile::Resume(fs_, *path, static_cast<uint64_t>(item.size), options);
      if (file.ok()) {
        resumed = std::move(*file);
        for (const auto& [offset, length] : ranges) done.push_back({offset, length});
      } else {
        S3M_RETURN_IF_ERROR(db_.ClearChunks(item.id));
      }
    }
  }
  FileChange change;
  change.id = item.id;
  change.from = from;
  change.to = FileState::kDownloading;
  change.local_path = *path;
  S3M_ASSIGN_OR_RETURN(bool applied, db_.Apply(change));
  if (!applied) return Status::Ok();  // the row moved meanwhile (reset by the user)
  item.state = FileState::kDownloading;
  item.local_path = *path;

  DownloadSettings settings;
  settings.chunk_size = opt_.chunk_size;
  settings.reread_after_download = opt_.reread_after_download;
  settings.clock = &clock_;
  settings.cancelled = &stop_;
  settings.bytes_counter = &bytes_received_;
  settings.batch_publish = true;
  settings.pin_with_if_match = unpinned_.count(item.id) == 0;
  auto download = std::make_unique<ObjectDownload>(s3_, fs_, dirs_, item, *path, settings,
                                                   std::move(resumed), std::move(done));
  downloading_[item.id] = item;
  to_submit_.push_back(std::move(download));
  return Status::Ok();
}

Status Migrator::Impl::TakeDownloads() {
  if (cancelled()) return Status::Ok();
  const size_t target = static_cast<size_t>(opt_.concurrency) * 2;
  auto want = [&] { return downloading_.size() < target; };
  auto take = [&](WorkItem item) -> Status { return Dispatch(std::move(item)); };
  // Retries whose time came, and objects that became readable.
  const Mono now = clock_.MonotonicNow();
  for (auto it = delayed_.begin(); it != delayed_.end();) {
    if (it->at <= now) {
      PushReady(std::move(it->item), it->restore);
      it = delayed_.erase(it);
    } else {
      ++it;
    }
  }
  while (want() && !ready_.empty()) {
    const SpaceCheck space = Admit(ready_.front());
    if (space == SpaceCheck::kPause) return Status::Ok();
    WorkItem item = PopReady(false);
    if (space == SpaceCheck::kGo) S3M_RETURN_IF_ERROR(take(std::move(item)));
  }
  // Downloads an interrupted run left: resumed first.
  while (want() && !resume_done_) {
    S3M_ASSIGN_OR_RETURN(auto page, db_.Next(WorkQueue::kResumeDownload, resume_cursor_, kPageRows));
    if (page.size() < static_cast<size_t>(kPageRows)) resume_done_ = true;
    for (WorkItem& item : page) {
      if (downloading_.count(item.id) || busy_.count(item.id)) {
        resume_cursor_ = item.id;
        continue;
      }
      const SpaceCheck space = Admit(item);
      if (space == SpaceCheck::kPause) {
        resume_done_ = false;
        return Status::Ok();
      }
      resume_cursor_ = item.id;
      if (space == SpaceCheck::kGo) S3M_RETURN_IF_ERROR(take(std::move(item)));
    }
  }
  // Restored copies waiting (they expire), then everything readable.
  while (want() && !download_done_) {
    S3M_ASSIGN_OR_RETURN(auto page, db_.Next(WorkQueue::kDownloadable, download_cursor_,
                                             static_cast<int>(std::min<size_t>(kPageRows, target))));
    if (page.empty()) download_done_ = true;
    for (WorkItem& item : page) {
      if (downloading_.count(item.id) || busy_.count(item.id)) {
        download_cursor_ = item.id;
        continue;
      }
      const SpaceCheck space = Admit(item);
      if (space == SpaceCheck::kPause) return Status::Ok();
      download_cursor_ = item.id;
      if (space != SpaceCheck::kGo) continue;
      S3M_RETURN_IF_ERROR(take(std::move(item)));
      if (!want()) break;
    }
  }
  return Status::Ok();
}

Status Migrator::Impl::TakeRestores() {
  if (cancelled() || opt_.dry_run) return Status::Ok();
  const Mono now = clock_.MonotonicNow();
  const double interval_ns = 1e9 / std::max(1.0, opt_.restore_requests_per_second);
  auto capacity = [&] {
    return RestoreCapacity(opt_.max_restores_in_flight,
                           static_cast<int64_t>(restores_pending_requests_), restores_in_flight_,
                           restores_ready_);
  };
  auto request = [&](WorkItem item) {
    // Requests are spaced by the rate limit: each takes the next slot.
    next_restore_token_ = std::max(next_restore_token_, now) +
                          std::chrono::nanoseconds(static_cast<int64_t>(interval_ns));
    busy_.insert(item.id);
    ++restores_pending_requests_;
    const RestoreSettings settings{opt_.restore_days, opt_.restore_tier};
    const Mono at = next_restore_token_;
    restores_->Submit([this, item = std::move(item), settings, at] {
      const Mono wait_until = at;
      while (clock_.MonotonicNow() < wait_until && !cancelled()) {
        clock_.SleepFor(std::min<Clock::Duration>(wait_until - clock_.MonotonicNow(),
                                                  std::chrono::milliseconds(100)));
      }
      RestoreEvent ev;
      ev.was_request = true;
      ev.item = item;
      if (cancelled()) {
        ev.outcome.id = item.id;
        ev.outcome.result = RestoreResult::kFailed;
        ev.outcome.status = Status::Error(ErrorKind::kCancelled, "the run is stopping");
      } else {
        ev.outcome = RequestRestore(s3_, item, settings);
      }
      Post(std::move(ev));
    });
  };
  while (capacity() > 0 && !restore_ready_.empty()) request(PopReady(true));
  while (capacity() > 0 && !restore_done_) {
    S3M_ASSIGN_OR_RETURN(auto page, db_.Next(WorkQueue::kNeedsRestore, restore_cursor_,
                                             static_cast<int>(std::min<int64_t>(kPageRows, capacity()))));
    if (page.empty()) restore_done_ = true;
    for (WorkItem& item : page) {
      restore_cursor_ = item.id;
      if (busy_.count(item.id) || downloading_.count(item.id)) continue;
      request(std::move(item));
      if (capacity() <= 0) break;
    }
  }
  return Status::Ok();
}

Status Migrator::Impl::TakePolls() {
  const Mono now = clock_.MonotonicNow();
  if (cancelled() || poll_running_ || now < next_poll_) return Status::Ok();
  // Every restore in flight is checked once per interval, with parallel
  // HEADs (cheap: at most max_glacier_restores of them). Restored copies
  // found here go to the front of the download queue.
  size_t submitted = 0;
  for (WorkQueue queue : {WorkQueue::kRestoreRequested, WorkQueue::kRestoring}) {
    int64_t cursor = 0;
    for (;;) {
      S3M_ASSIGN_OR_RETURN(auto page, db_.Next(queue, cursor, kPageRows));
      for (WorkItem& item : page) {
        cursor = item.id;
        if (busy_.count(item.id) || downloading_.count(item.id)) continue;
        if (item.restore_expiry) {
          // Already readable: download it (before it expires).
          PushReady(std::move(item), false, /*front=*/true);
          continue;
        }
        busy_.insert(item.id);
        ++submitted;
        const bool pin = unpinned_.count(item.id) == 0;
        restores_->Submit([this, item, pin] {
          RestoreEvent ev;
          ev.item = item;
          ev.outcome = CheckRestore(s3_, item, pin);
          Post(std::move(ev));
        });
      }
      if (page.size() < static_cast<size_t>(kPageRows)) break;
    }
  }
  polls_outstanding_ = submitted;
  poll_running_ = submitted > 0;
  next_poll_ = now + opt_.restore_poll_interval;
  return Status::Ok();
}

Status Migrator::Impl::TakeDeletes() {
  if (gate_.RefusesEverything() || cancelled()) return Status::Ok();
  // Rows verified by earlier runs (or by this one, before a restart of the
  // walk): one pass. Rows verified during this run are added as their
  // outcome is committed.
  while (!verified_done_ && delete_queue_.WantsMore()) {
    S3M_ASSIGN_OR_RETURN(auto page, db_.Next(WorkQueue::kVerified, verified_cursor_, kPageRows));
    if (page.size() < static_cast<size_t>(kPageRows)) verified_done_ = true;
    for (WorkItem& item : page) {
      verified_cursor_ = item.id;
      if (busy_.count(item.id)) continue;
      DeleteRequest request = DeleteRequestFor(item, item.verified_by.value_or("") == "size-only");
      if (gate_.Refusal(request)) continue;  // left behind, reported
      busy_.insert(item.id);
      delete_queue_.Add(std::move(request), clock_.MonotonicNow());
    }
  }
  return Status::Ok();
}

void Migrator::Impl::FlushDeletes(bool all) {
  for (DeleteBatch& batch : delete_queue_.TakeBatches(clock_.MonotonicNow(), all)) {
    deletes_->Submit([this, batch = std::move(batch)] {
      DeleteEvent ev;
      ev.outcomes = gate_.DeleteBatch(batch.bucket, batch.requests);
      ev.requests = batch.requests;
      Post(std::move(ev));
    });
  }
}

// ---------------------------------------------------------------------------
// Outcomes

Status Migrator::Impl::OnPreconditionFailed(const WorkItem& item, FileState from,
                                            const Status& cause, const s3::ObjectMetadata& current,
                                            bool restore_queue) {
  if (JudgePreconditionFailed(item.etag, item.size, current.etag, current.content_length) ==
      PreconditionVerdict::kObjectChanged) {
    return RecordChanged(item, from, current);
  }
  if (unpinned_.insert(item.id).second) {
    S3M_LOG_WARN("s3://{}/{}: the server answered 412 to If-Match \"{}\" although the object's "
                 "ETag is that; it is fetched without the condition from now on and verified "
                 "against the recorded ETag/checksum",
                 item.bucket, item.key, item.etag);
  }
  return FailAttempt(item, from, cause, restore_queue);
}

void Migrator::Impl::StopRun(const Status& cause) {
  if (!fatal_.ok()) return;
  if (cause.kind() != ErrorKind::kAccessDenied) {
    fatal_ = cause;
    return;
  }
  fatal_ = Status::Error(
      ErrorKind::kAuth,
      fmt::format("access denied (403) on {} objects in a row and none readable: the credentials "
                  "or their policy deny this bucket, not only some objects (last: {}); fix the "
                  "policy, then `s3migrate retry` and run migrate again",
                  FailurePolicy::kDeniedStreakToStop, cause.ToString()),
      cause.context());
}

Status Migrator::Impl::FailAttempt(const WorkItem& item, FileState from, const Status& cause,
                                   bool restore_queue) {
  const int64_t attempts = item.attempts + 1;
  const FailureAction action = failures_.OnFailure(cause, attempts);
  if (action == FailureAction::kStopRun) {
    StopRun(cause);
    if (cause.kind() != ErrorKind::kAccessDenied) return Status::Ok();  // the row stays as it is
  }
  FileChange change;
  change.id = item.id;
  change.from = from;
  if (action != FailureAction::kRetryLater) {
    change.to = FileState::kError;
    change.error_message = cause.kind() == ErrorKind::kAccessDenied
                               ? fmt::format("{} (not retried: access is denied; after granting "
                                             "it, `s3migrate retry`)",
                                             cause.ToString())
                               : fmt::format("{} (after {} attempts)", cause.ToString(), attempts);
    ++errors_this_run_;
    S3M_LOG_WARN("giving up on s3://{}/{}: {}", item.bucket, item.key, *change.error_message);
  } else {
    change.to = FileState::kDiscovered;
    change.count_attempt = true;
    WorkItem retry = item;
    retry.attempts = attempts;
    retry.state = FileState::kDiscovered;
    const Mono at = clock_.MonotonicNow() +
                    backoff_.DelayFor(static_cast<int>(attempts - 1), cause.kind());
    delayed_.push_back(Delayed{at, std::move(retry), restore_queue});
    S3M_LOG_INFO("s3://{}/{}: attempt {} failed, retrying later: {}", item.bucket, item.key,
                 attempts, cause.ToString());
  }
  return db_.Apply(change).status();
}

Status Migrator::Impl::Requeue(int64_t id, bool restore) {
  S3M_ASSIGN_OR_RETURN(std::optional<WorkItem> row, db_.Get(id));
  if (!row || row->state != FileState::kDiscovered || busy_.count(id)) return Status::Ok();
  PushReady(std::move(*row), restore);
  return Status::Ok();
}

Status Migrator::Impl::RecordChanged(const WorkItem& item, FileState from,
                                     const s3::ObjectMetadata& current) {
  store::ChangedObject changed;
  changed.id = item.id;
  changed.from = from;
  changed.etag = current.etag;
  changed.size = static_cast<int64_t>(current.content_length);
  changed.version_id = item.bucket_versioned ? current.version_id : item.version_id;
  changed.last_modified = current.last_modified.empty() ? item.last_modified : current.last_modified;
  if (auto t = ParseHttpDate(current.last_modified)) changed.last_modified = FormatIso8601(*t);
  changed.storage_class = current.storage_class.empty() ? "STANDARD" : current.storage_class;
  changed.archived = store::StorageClassNeedsRestore(changed.storage_class);
  S3M_LOG_WARN("s3://{}/{} changed in S3 since it was scanned (ETag \"{}\" -> \"{}\"): it will be "
               "downloaded again, and nothing was deleted",
               item.bucket, item.key, item.etag, current.etag);
  S3M_ASSIGN_OR_RETURN(bool applied, db_.RecordChanged(changed));
  if (!applied) return Status::Ok();
  return Requeue(item.id, changed.archived);
}

Status Migrator::Impl::OnDownload(DownloadOutcome& out) {
  auto it = downloading_.find(out.id);
  if (it == downloading_.end()) return Status::Ok();
  const WorkItem item = std::move(it->second);
  downloading_.erase(it);
  const FileState from = FileState::kDownloading;
  switch (out.result) {
    case DownloadResult::kDone: {
      FileChange downloaded;
      downloaded.id = item.id;
      downloaded.from = from;
      downloaded.to = FileState::kDownloaded;
      downloaded.local_path = out.local_path;
      downloaded.sse_type = out.sse_type;
      downloaded.content_type = out.content_type;
      downloaded.user_metadata = out.user_metadata_json;
      if (out.parts_count > 0) downloaded.parts_count = out.parts_count;
      if (out.part_size > 0) downloaded.part_size = static_cast<int64_t>(out.part_size);
      downloaded.reset_attempts = true;
      S3M_ASSIGN_OR_RETURN(bool applied, db_.Apply(downloaded));
      if (!applied) return Status::Ok();
      FileChange verified;
      verified.id = item.id;
      verified.from = FileState::kDownloaded;
      verified.to = FileState::kVerified;
      const bool size_only = !out.verification.content_verified();
      verified.verified_by = size_only ? std::string("size-only") : out.verification.method_name;
      S3M_RETURN_IF_ERROR(db_.Apply(verified).status());
      S3M_RETURN_IF_ERROR(db_.ClearChunks(item.id));
      downloaded_.files += 1;
      downloaded_.bytes += item.size;
      failures_.OnSuccess();
      disk_full_failures_ = 0;
      verified_by_[*verified.verified_by] += 1;
      if (size_only) {
        S3M_LOG_WARN("s3://{}/{} could only be verified by its size ({}): the local copy is kept "
                     "and the object stays in S3",
                     item.bucket, item.key, out.verification.message);
      }
      DeleteRequest request = DeleteRequestFor(item, size_only);
      if (!gate_.Refusal(request)) {
        // Handed to the delete runner only after this transaction commits
        // (FlushDeletes runs after CommitBatch).
        busy_.insert(item.id);
        delete_queue_.Add(std::move(request), clock_.MonotonicNow());
      }
      return Status::Ok();
    }
    case DownloadResult::kChanged:
      if (out.current) return OnPreconditionFailed(item, from, out.status, *out.current, false);
      return FailAttempt(item, from, out.status, false);
    case DownloadResult::kNeedsRestore: {
      // Archived after all (Intelligent-Tiering archive tiers), or the
      // restored copy expired before we got to it: ask (again).
      FileChange change;
      change.id = item.id;
      change.from = from;
      change.to = FileState::kDiscovered;
      change.archived = true;
      change.restore_expiry = "";
      S3M_RETURN_IF_ERROR(db_.Apply(change).status());
      S3M_LOG_INFO("s3://{}/{} needs a restore first{}", item.bucket, item.key,
                   out.archive_status.empty() ? "" : " (" + out.archive_status + ")");
      return Requeue(item.id, true);
    }
    case DownloadResult::kGone: {
      FileChange change;
      change.id = item.id;
      change.from = from;
      change.to = FileState::kError;
      change.error_message = fmt::format(
          "gone from S3 before it was downloaded ({}); `s3migrate rescan {}` records it",
          out.status.ToString(), item.bucket);
      ++errors_this_run_;
      return db_.Apply(change).status();
    }
    case DownloadResult::kPathConflict: {
      auto fallback = layout_.ConflictFallback(db_, item);
      if (!fallback.ok() || item.local_path == *fallback) {
        return FailAttempt(item, from, out.status, false);
      }
      FileChange change;
      change.id = item.id;
      change.from = from;
      change.to = FileState::kDownloading;
      change.local_path = *fallback;
      S3M_RETURN_IF_ERROR(db_.Apply(change).status());
      S3M_LOG_WARN("s3://{}/{}: {} cannot be used ({}); storing it as {}", item.bucket, item.key,
                   out.local_path, out.status.message(), *fallback);
      WorkItem again = item;
      again.local_path = *fallback;
      PushReady(std::move(again), false, /*front=*/true);
      return Status::Ok();
    }
    case DownloadResult::kMismatch:
      S3M_RETURN_IF_ERROR(db_.ClearChunks(item.id));
      return FailAttempt(item, from, out.status, false);
    case DownloadResult::kFailed:
      if (IsDiskFull(out.status)) {
        // Not the object's fault: it waits for space without losing an
        // attempt, and smaller objects go on. The next check reads the disk
        // again; three in a row (a quota statvfs does not show) stop the run.
        last_disk_check_ = {};
        FileChange change;
        change.id = item.id;
        change.from = from;
        change.to = FileState::kDiscovered;
        S3M_RETURN_IF_ERROR(db_.Apply(change).status());
        SetAside(item);
        if (++disk_full_failures_ >= 3 && fatal_.ok()) fatal_ = out.status;
        return Status::Ok();
      }
      return FailAttempt(item, from, out.status, false);
    case DownloadResult::kCancelled:
      return Status::Ok();  // stays `downloading`; the next run resumes it
  }
  return Status::Ok();
}

Status Migrator::Impl::OnRestore(RestoreEvent& ev) {
  busy_.erase(ev.item.id);
  if (ev.was_request) {
    --restores_pending_requests_;
  } else if (polls_outstanding_ > 0 && --polls_outstanding_ == 0) {
    poll_running_ = false;
  }
  const WorkItem& item = ev.item;
  RestoreOutcome& out = ev.outcome;
  if (out.status.kind() == ErrorKind::kCancelled) return Status::Ok();
  // The row as the coordinator knows it: requests start from discovered.
  const FileState from = ev.was_request ? FileState::kDiscovered : item.state;
  FileChange change;
  change.id = item.id;
  change.from = from;
  if (!out.note.empty()) S3M_LOG_INFO("s3://{}/{}: {}", item.bucket, item.key, out.note);
  switch (out.result) {
    case RestoreResult::kRequested:
      ++restores_requested_;
      change.to = FileState::kGlacierRestoreRequested;
      change.restore_requested_at = Now(clock_);
      change.restore_tier = out.tier;
      break;
    case RestoreResult::kInProgress:
      if (ev.was_request) ++restores_requested_;
      change.to = FileState::kGlacierRestoring;
      if (ev.was_request) {
        change.restore_requested_at = item.restore_requested_at.value_or(Now(clock_));
        change.restore_tier = out.tier;
      }
      break;
    case RestoreResult::kRestored: {
      change.to = FileState::kGlacierRestoring;
      // No expiry (Intelligent-Tiering: back in a frequent tier for good):
      // readable until further notice.
      change.restore_expiry = out.expiry ? FormatIso8601(*out.expiry) : "9999-12-31T00:00:00Z";
      S3M_ASSIGN_OR_RETURN(bool applied, db_.Apply(change));
      if (applied) {
        WorkItem ready = item;
        ready.state = FileState::kGlacierRestoring;
        ready.restore_expiry = change.restore_expiry;
        PushReady(std::move(ready), false, /*front=*/true);  // before it expires
      }
      return Status::Ok();
    }
    case RestoreResult::kNotRestored: {
      if (ev.was_request) return FailAttempt(item, from, out.status, true);
      // Nothing under way: never asked, or the restored copy expired. A
      // request younger than the grace period may not show yet.
      if (item.restore_requested_at) {
        if (auto at = ParseIso8601(*item.restore_requested_at);
            at && clock_.Now() - *at < kRestoreGrace) {
          return Status::Ok();
        }
      }
      change.to = FileState::kDiscovered;
      change.restore_expiry = "";
      S3M_LOG_INFO("s3://{}/{}: no restore under way (expired or lost): asking again", item.bucket,
                   item.key);
      S3M_RETURN_IF_ERROR(db_.Apply(change).status());
      return Requeue(item.id, true);
    }
    case RestoreResult::kReadable:
      change.to = FileState::kDiscovered;
      change.archived = false;
      S3M_RETURN_IF_ERROR(db_.Apply(change).status());
      return Requeue(item.id, false);
    case RestoreResult::kChanged:
      if (out.current) return OnPreconditionFailed(item, from, out.status, *out.current, true);
      return FailAttempt(item, from, out.status, true);
    case RestoreResult::kGone:
      change.to = FileState::kError;
      change.error_message = fmt::format(
          "gone from S3 before it was downloaded ({}); `s3migrate rescan {}` records it",
          out.status.ToString(), item.bucket);
      ++errors_this_run_;
      break;
    case RestoreResult::kFailed:
      if (ev.was_request) return FailAttempt(item, from, out.status, true);
      // Denied or rejected: the object's (or the run's) failure. Anything
      // else: the check is simply repeated at the next poll.
      if (out.status.kind() == ErrorKind::kAccessDenied || out.status.kind() == ErrorKind::kAuth) {
        return FailAttempt(item, from, out.status, true);
      }
      return Status::Ok();
  }
  return db_.Apply(change).status();
}

Status Migrator::Impl::OnDelete(DeleteEvent& ev) {
  delete_queue_.BatchDone();
  for (size_t i = 0; i < ev.outcomes.size() && i < ev.requests.size(); ++i) {
    const DeleteOutcome& out = ev.outcomes[i];
    const DeleteRequest& req = ev.requests[i];
    busy_.erase(req.id);
    switch (out.result) {
      case DeleteResult::kDeleted:
      case DeleteResult::kAlreadyGone: {
        FileChange change;
        change.id = req.id;
        change.from = FileState::kVerified;
        change.to = FileState::kDeleted;
        S3M_RETURN_IF_ERROR(db_.Apply(change).status());
        if (out.result == DeleteResult::kDeleted) {
          deleted_.files += 1;
          deleted_.bytes += req.size;
        }
        failures_.OnSuccess();
        break;
      }
      case DeleteResult::kWouldDelete:
        would_delete_.files += 1;
        would_delete_.bytes += req.size;
        break;
      case DeleteResult::kRefused:
        break;  // reported as left behind
      case DeleteResult::kChanged: {
        S3M_ASSIGN_OR_RETURN(std::optional<WorkItem> row, db_.Get(req.id));
        if (row && out.current) S3M_RETURN_IF_ERROR(RecordChanged(*row, FileState::kVerified, *out.current));
        break;
      }
      case DeleteResult::kFailed: {
        // Stays verified; tried again after a pause (a batch failing over
        // and over leaves it verified, reported at the end).
        const int64_t attempts = ++delete_attempts_[req.id];
        const FailureAction action = failures_.OnFailure(out.status, attempts);
        if (action == FailureAction::kStopRun) {
          StopRun(out.status);
          if (out.status.kind() != ErrorKind::kAccessDenied) break;
        }
        S3M_ASSIGN_OR_RETURN(std::optional<WorkItem> row, db_.Get(req.id));
        if (!row || row->state != FileState::kVerified) break;
        if (action != FailureAction::kRetryLater) {
          FileChange change;
          change.id = req.id;
          change.from = FileState::kVerified;
          change.to = FileState::kError;
          change.error_message = fmt::format(
              "verified and kept locally, but the delete from S3 failed {} times: {}", attempts,
              out.status.ToString());
          ++errors_this_run_;
          S3M_RETURN_IF_ERROR(db_.Apply(change).status());
          delete_attempts_.erase(req.id);
        } else {
          busy_.insert(req.id);  // until the retry's outcome
          delete_queue_.RetryAt(req, clock_.MonotonicNow() +
                                         backoff_.DelayFor(static_cast<int>(attempts - 1),
                                                           out.status.kind()));
        }
        break;
      }
    }
  }
  return Status::Ok();
}

Status Migrator::Impl::ApplyEvents(std::vector<Event>& events) {
  for (Event& event : events) {
    Status s = std::visit(
        [&](auto& e) -> Status {
          using T = std::decay_t<decltype(e)>;
          if constexpr (std::is_same_v<T, DownloadOutcome>) {
            return OnDownload(e);
          } else if constexpr (std::is_same_v<T, RangeDone>) {
            return db_.AddDoneChunks(e.id, {{e.span.offset, e.span.length}});
          } else if constexpr (std::is_same_v<T, RestoreEvent>) {
            return OnRestore(e);
          } else {
            return OnDelete(e);
          }
        },
        event);
    S3M_RETURN_IF_ERROR(s);
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------

bool Migrator::Impl::Finished() {
  if (!paused_reason_.empty() && downloading_.empty() && delete_queue_.in_flight() == 0 &&
      delete_queue_.pending() == 0 && fatal_.ok()) {
    // Nothing in flight will free space (deletes free S3, not the disk).
    ErrorContext ctx;
    ctx.operation = "download";
    ctx.path = layout_.root();
    ctx.sys_errno = ENOSPC;
    fatal_ = Status::Error(ErrorKind::kFatal,
                           fmt::format("disk full: {}; free space (or lower min_free_space), then "
                                       "run migrate again",
                                       paused_reason_),
                           ctx);
    return false;
  }
  const bool downloads_idle = downloading_.empty() && ready_.empty() && resume_done_ &&
                              download_done_ && delayed_.empty();
  const bool restores_idle = restores_pending_requests_ == 0 && !poll_running_ &&
                             restore_ready_.empty() &&
                             (opt_.dry_run || (restore_done_ && restores_in_flight_ == 0 &&
                                               restores_ready_ == 0));
  const bool deletes_idle = gate_.RefusesEverything() ||
                            (verified_done_ && delete_queue_.Idle());
  return downloads_idle && restores_idle && deletes_idle;
}

Mono Migrator::Impl::NextWake() {
  const Mono now = clock_.MonotonicNow();
  // Nothing is polled: workers post events, Ctrl+C calls Wake(). Only timers
  // wake the coordinator, so while only restores are pending it sleeps until
  // the next check (or progress redraw); kMaxSleep is a safety net.
  Mono wake = now + kMaxSleep;
  if (!paused_reason_.empty()) wake = std::min(wake, last_disk_check_ + kDiskCheckInterval);
  if (opt_.on_progress) wake = std::min(wake, next_progress_);
  if (restores_in_flight_ > 0) wake = std::min(wake, next_poll_);
  if (auto deletes = delete_queue_.NextWake()) wake = std::min(wake, *deletes);
  for (const Delayed& d : delayed_) wake = std::min(wake, d.at);
  return std::max(wake, now);
}

void Migrator::Impl::ReportProgress(bool force) {
  if (!opt_.on_progress) return;
  const Mono now = clock_.MonotonicNow();
  if (!force && now < next_progress_) return;
  next_progress_ = now + opt_.progress_interval;
  auto totals = db_.Totals();
  if (!totals.ok()) return;
  ProgressSnapshot snap;
  snap.now = clock_.Now();
  snap.started_at = started_at_;
  for (size_t i = 0; i < snap.by_state.size(); ++i) {
    snap.by_state[i] = {totals->by_state[i].files, totals->by_state[i].bytes};
    snap.total.files += totals->by_state[i].files;
    snap.total.bytes += totals->by_state[i].bytes;
  }
  const auto& deleted = totals->by_state[static_cast<size_t>(FileState::kDeleted)];
  const auto& verified = totals->by_state[static_cast<size_t>(FileState::kVerified)];
  snap.done = {deleted.files, deleted.bytes};
  if (opt_.keep_source || opt_.dry_run) {
    snap.done.files += verified.files;
    snap.done.bytes += verified.bytes;
  }
  snap.bytes_received = static_cast<int64_t>(bytes_received_.load());
  snap.active_transfers = static_cast<int>(pool_ ? pool_->active() : 0);
  snap.restores_waiting = totals->archived_discovered;
  snap.restores_in_flight = restores_in_flight_;
  snap.restores_ready = restores_ready_;
  if (restores_in_flight_ > 0) {
    snap.next_restore_check = clock_.Now() + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                                 std::max(next_poll_ - now, Clock::Duration::zero()));
  }
  snap.paused_reason = paused_reason_;
  snap.errors_this_run = errors_this_run_;
  snap.dry_run = opt_.dry_run;
  snap.keep_source = opt_.keep_source;
  opt_.on_progress(snap);
}

Result<MigrationReport> Migrator::Impl::BuildReport() {
  MigrationReport r;
  r.started_at = started_at_;
  r.finished_at = clock_.Now();
  r.interrupted = opt_.cancelled != nullptr && opt_.cancelled->load();
  r.dry_run = opt_.dry_run;
  r.downloaded = downloaded_;
  r.deleted = deleted_;
  r.would_delete = would_delete_;
  r.bytes_received = static_cast<int64_t>(bytes_received_.load());
  r.restores_requested = restores_requested_;
  for (const auto& [method, count] : verified_by_) r.verified_by.emplace_back(method, count);
  S3M_ASSIGN_OR_RETURN(store::StateTotals totals, db_.Totals());
  for (size_t i = 0; i < r.final_states.size(); ++i) {
    r.final_states[i] = {totals.by_state[i].files, totals.by_state[i].bytes};
  }
  // Left behind on purpose.
  if (!opt_.allow_size_only_delete && !opt_.keep_source) {
    const std::string where = "f.verified_by = 'size-only'";
    S3M_ASSIGN_OR_RETURN(int64_t n, db_.Count(FileState::kVerified, where));
    r.left_behind_count += n;
    S3M_ASSIGN_OR_RETURN(auto rows, db_.Sample(FileState::kVerified, kReportSample, where));
    for (const WorkItem& w : rows) {
      r.left_behind.push_back({w.bucket, w.key,
                               "verified by size only (no checksum or MD5 ETag to compare; e.g. "
                               "SSE-KMS): kept in S3; --delete-size-only-verified deletes it"});
    }
  }
  if (opt_.dry_run || opt_.keep_source) {
    const auto& verified = totals.by_state[static_cast<size_t>(FileState::kVerified)];
    if (verified.files > 0) {
      r.left_behind.push_back({"", "", fmt::format("{} verified objects kept in S3 ({})", verified.files,
                                                   opt_.dry_run ? "--dry-run" : "--keep-source")});
    }
  }
  if (opt_.dry_run && totals.archived_discovered > 0) {
    r.left_behind.push_back({"", "", fmt::format("{} archived objects need a restore (none requested "
                                                 "in a dry run)",
                                                 totals.archived_discovered)});
  }
  S3M_ASSIGN_OR_RETURN(auto buckets, state_.Buckets());
  for (const auto& b : buckets) {
    if (b.noncurrent_versions > 0 || b.delete_markers > 0) {
      r.left_behind.push_back(
          {b.name, "",
           fmt::format("{} older versions ({} bytes) and {} delete markers stay in the bucket: only "
                       "current versions are migrated",
                       b.noncurrent_versions, b.noncurrent_bytes, b.delete_markers)});
    }
  }
  for (const LeftBehind& note : notes_) r.left_behind.push_back(note);
  r.waiting_for_space = waiting_for_space_;
  r.waiting_for_space_sample = waiting_sample_;
  r.largest_waiting = largest_waiting_;
  r.free_bytes = free_bytes_ == UINT64_MAX ? -1 : static_cast<int64_t>(free_bytes_);
  r.reserve_bytes = static_cast<int64_t>(reserve_bytes_);
  S3M_ASSIGN_OR_RETURN(r.error_count, db_.Count(FileState::kError));
  S3M_ASSIGN_OR_RETURN(auto errors, db_.Sample(FileState::kError, kReportSample));
  for (const WorkItem& w : errors) r.errors.push_back({w.bucket, w.key, w.error_message.value_or("")});
  return r;
}

Result<MigrationReport> Migrator::Impl::Run() {
  started_at_ = clock_.Now();
  S3M_RETURN_IF_ERROR(Preflight());
  const int large_slots = std::max(2, opt_.concurrency / 4);
  publisher_ = std::make_unique<BatchPublisher>(
      fs_, [this](DownloadOutcome outcome) { Post(std::move(outcome)); });
  pool_ = std::make_unique<TransferPool>(
      opt_.concurrency, large_slots,
      [this](int64_t id, ByteSpan span) { Post(RangeDone{id, span}); },
      [this](DownloadOutcome outcome) {
        if (outcome.sealed) {
          publisher_->Add(std::move(outcome));
        } else {
          Post(std::move(outcome));
        }
      });
  restores_ = std::make_unique<TaskRunner>("restore", 8);
  deletes_ = std::make_unique<TaskRunner>("delete", 4);
  next_poll_ = clock_.MonotonicNow();

  bool stopping = false;
  Status fatal;
  for (;;) {
    std::vector<Event> events;
    {
      std::lock_guard lock(ev_mu_);
      events.swap(events_);
    }
    // One transaction for everything this pass decides.
    Status pass = db_.BeginBatch();
    if (pass.ok()) pass = ApplyEvents(events);
    if (pass.ok() && !stopping && fatal_.ok()) {
      pass = TakeDownloads();
      if (pass.ok()) pass = TakeRestores();
      if (pass.ok()) pass = TakePolls();
      if (pass.ok()) pass = TakeDeletes();
      if (pass.ok()) {
        auto totals = db_.Totals();
        if (totals.ok()) {
          restores_in_flight_ =
              totals->by_state[static_cast<size_t>(FileState::kGlacierRestoreRequested)].files +
              totals->by_state[static_cast<size_t>(FileState::kGlacierRestoring)].files -
              totals->restored_ready;
          restores_ready_ = totals->restored_ready;
        } else {
          pass = totals.status();
        }
      }
    }
    if (pass.ok()) pass = db_.CommitBatch();
    if (!pass.ok()) {
      // The database cannot be written: nothing more may happen (no delete
      // without its committed `verified`). Stop everything.
      db_.RollbackBatch();
      fatal = pass;
      stop_ = true;
      for (auto& d : to_submit_) downloading_.erase(d->item().id);
      to_submit_.clear();
      delete_queue_.Clear();
      break;
    }
    // Committed: now the new work may start.
    for (auto& download : to_submit_) pool_->Submit(std::move(download));
    to_submit_.clear();
    if (!stopping && fatal_.ok()) {
      // Full batches go at once; a partial one when nothing more is coming
      // soon, or when its oldest request has waited long enough: S3 bills
      // DeleteObjects per request, 1,000 keys or 1.
      FlushDeletes(/*all=*/verified_done_ && downloading_.empty());
    }
    ReportProgress(false);

    if (!fatal_.ok() && !stopping) {
      S3M_LOG_ERROR("stopping: {}", fatal_.ToString());
      stopping = true;
      stop_ = true;
    }
    if (cancelled() && !stopping) {
      stopping = true;
      stop_ = true;
    }
    if (stopping) {
      pool_->Stop();
      restores_->DropQueued();
      // Wait for what is in flight to report, then one last commit.
      if (pool_->in_flight() == 0 && publisher_->pending() == 0 && restores_->pending() == 0 &&
          deletes_->pending() == 0) {
        std::vector<Event> rest;
        {
          std::lock_guard lock(ev_mu_);
          rest.swap(events_);
        }
        if (!rest.empty()) {
          S3M_RETURN_IF_ERROR(db_.BeginBatch());
          Status last = ApplyEvents(rest);
          if (last.ok()) last = db_.CommitBatch();
          if (!last.ok()) {
            db_.RollbackBatch();
            fatal = last;
          }
        }
        break;
      }
    } else if (Finished()) {
      break;
    }
    std::unique_lock lock(ev_mu_);
    const Mono wake = stopping ? clock_.MonotonicNow() + std::chrono::milliseconds(50) : NextWake();
    const auto wait = wake - clock_.MonotonicNow();
    if (events_.empty() && wait > Clock::Duration::zero()) {
      // A cancel seen by the predicate cannot be missed: Wake() notifies
      // under ev_mu_ after the flag is set.
      ev_cv_.wait_for(lock, wait, [&] { return !events_.empty() || (cancelled() && !stopping); });
    }
  }
  // Threads end before the report reads the database.
  pool_.reset();
  publisher_.reset();
  restores_.reset();
  deletes_.reset();
  ReportProgress(true);
  if (!fatal.ok()) return fatal;
  if (!fatal_.ok()) return fatal_;
  return BuildReport();
}

}  // namespace s3m::engine
