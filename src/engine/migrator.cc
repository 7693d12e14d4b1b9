// The shell around the decision core (core/coordinator.h): threads, the event
// queue, the group commit, and the runners that do the I/O. It decides
// nothing about objects.
#include "engine/migrator.h"

#include <condition_variable>
#include <mutex>
#include <vector>

#include "core/logging.h"
#include "core/time_format.h"
#include "engine/core/coordinator.h"
#include "engine/manifest.h"
#include "engine/publisher.h"
#include "engine/task_runner.h"
#include "engine/transfer_pool.h"
#include "store/worker_heartbeat.h"
#include "store/migration_store.h"
#include "store/workers.h"

namespace s3m::engine {

namespace {
using Mono = Clock::MonoTime;
// While stopping, how often the shell looks whether the workers are done.
constexpr auto kDrainPoll = std::chrono::milliseconds(50);
}  // namespace

class Migrator::Impl {
 public:
  Impl(store::StateStore& state, s3::ObjectStore& s3, FileSystem& fs, MigrateOptions options)
      : s3_(s3),
        fs_(fs),
        state_(state),
        opt_(std::move(options)),
        clock_(opt_.clock ? *opt_.clock : Clock::Real()),
        db_(state, &clock_),
        dirs_(fs),
        gate_(s3, DeleteGateOptions{opt_.dry_run, opt_.keep_source, opt_.allow_size_only_delete,
                                    opt_.conditional_deletes}),
        core_(state, db_, fs, gate_.policy(), opt_, clock_),
        manifest_(fs, opt_.dest_root) {}

  Result<MigrationReport> Run();
  // See Migrator::Wake.
  void Wake() {
    std::lock_guard lock(ev_mu_);
    ev_cv_.notify_all();
  }
  int64_t worker_id() const { return worker_id_; }
  const RunTally& committed() const { return committed_; }

 private:
  void Post(Event event) {
    {
      std::lock_guard lock(ev_mu_);
      events_.push_back(std::move(event));
    }
    ev_cv_.notify_one();
  }
  std::vector<Event> TakeEvents() {
    std::lock_guard lock(ev_mu_);
    return std::exchange(events_, {});
  }
  bool cancelled() const {
    return stop_.load() || (opt_.cancelled != nullptr && opt_.cancelled->load());
  }

  void StartRunners();
  void StopRunners();
  // Registers this run as a worker and claims through it (worker_heartbeat.h).
  Status StartWorker();
  // The heartbeat's figures; false when it was lost (the run must stop).
  bool KeepWorkerAlive();
  // The fence downloads and the publisher ask (null when this process holds
  // the state alone).
  const WriteFence* Fence() const;
  // One step of the core in one transaction. An error: the database cannot
  // be written, so nothing more may happen (no delete without its committed
  // `verified`); the commands are dropped.
  Status CommitStep(std::vector<Event>& events, bool take_work, Commands& out);
  // Runs a committed step's commands.
  void Dispatch(Commands& commands);
  void RunRestore(const RestoreJob& job);
  // Every runner reported all it was given.
  bool Drained() const {
    return pool_->in_flight() == 0 && publisher_->pending() == 0 && restores_->pending() == 0 &&
           deletes_->pending() == 0;
  }
  void WaitForEvents(Mono wake, bool stopping);
  Mono NextWake() const;
  // `last`: the run ends; its final sample says so.
  void ReportProgress(bool force, bool last = false);
  void StoreSample(const ProgressSnapshot& snapshot, bool last);

  s3::ObjectStore& s3_;
  FileSystem& fs_;
  store::StateStore& state_;
  const MigrateOptions opt_;
  Clock& clock_;
  store::MigrationStore db_;
  DirectoryMaker dirs_;
  DeleteGate gate_;
  Coordinator core_;
  ManifestWriter manifest_;

  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> bytes_received_{0};
  int64_t deleted_ = 0;  // objects this run moved to `deleted`
  RunTally committed_;   // the counters as of the last committed step
  int request_share_ = 1;  // the live workers sharing max_requests_per_second
  std::unique_ptr<store::WorkerHeartbeat> heartbeat_;
  int64_t worker_id_ = 0;  // heartbeat_'s, kept after it stopped
  std::mutex ev_mu_;
  std::condition_variable ev_cv_;
  std::vector<Event> events_;
  Mono next_progress_{};
  Mono next_sample_{};

  std::unique_ptr<BatchPublisher> publisher_;
  std::unique_ptr<TransferPool> pool_;
  std::unique_ptr<TaskRunner> restores_;
  std::unique_ptr<TaskRunner> deletes_;
};

Migrator::Migrator(store::StateStore& state, s3::ObjectStore& store, FileSystem& fs,
                   MigrateOptions options)
    : impl_(std::make_unique<Impl>(state, store, fs, std::move(options))) {}
Migrator::~Migrator() = default;
Result<MigrationReport> Migrator::Run() { return impl_->Run(); }
void Migrator::Wake() { impl_->Wake(); }
int64_t Migrator::worker_id() const { return impl_->worker_id(); }
RunTally Migrator::committed() const { return impl_->committed(); }

void Migrator::Impl::StartRunners() {
  const int large_slots = std::max(2, opt_.concurrency / 4);
  publisher_ = std::make_unique<BatchPublisher>(
      fs_, [this](DownloadOutcome outcome) { Post(std::move(outcome)); }, Fence());
  pool_ = std::make_unique<TransferPool>(
      opt_.concurrency, large_slots,
      [this](int64_t id, ByteSpan span) { Post(RangeDone{id, span}); },
      [this](DownloadOutcome outcome) {
        if (outcome.sealed) {
          Post(Sealed{outcome.id});  // before the publisher can post the outcome
          publisher_->Add(std::move(outcome));
        } else {
          Post(std::move(outcome));
        }
      });
  restores_ = std::make_unique<TaskRunner>("restore", 8);
  deletes_ = std::make_unique<TaskRunner>("delete", 4);
}

// Threads end before the report reads the database.
void Migrator::Impl::StopRunners() {
  pool_.reset();
  publisher_.reset();
  restores_.reset();
  deletes_.reset();
}

Status Migrator::Impl::CommitStep(std::vector<Event>& events, bool take_work, Commands& out) {
  Status s = db_.BeginBatch();
  if (s.ok()) s = core_.Step(events, take_work, out);
  if (s.ok() && !out.deleted.empty()) {
    // Durable before the rows saying 'deleted' commit (manifest.h).
    auto copies = db_.DeletedCopies(out.deleted);
    s = copies.ok() ? manifest_.Append(*copies) : copies.status();
  }
  if (s.ok()) s = db_.CommitBatch();
  if (s.ok()) {
    deleted_ += static_cast<int64_t>(out.deleted.size());
    committed_ = core_.Tally(static_cast<int64_t>(bytes_received_.load()));
  }
  if (!s.ok()) {
    db_.RollbackBatch();
    out = Commands{};
  }
  return s;
}

void Migrator::Impl::RunRestore(const RestoreJob& job) {
  // The request rate: each request waits for its slot.
  while (clock_.MonotonicNow() < job.not_before && !cancelled()) {
    clock_.SleepFor(std::min<Clock::Duration>(job.not_before - clock_.MonotonicNow(),
                                              std::chrono::milliseconds(100)));
  }
  RestoreAnswered answer;
  answer.was_request = true;
  answer.item = job.item;
  if (cancelled()) {
    answer.outcome.id = job.item.id;
    answer.outcome.result = RestoreResult::kFailed;
    answer.outcome.status = Status::Error(ErrorKind::kCancelled, "the run is stopping");
  } else {
    answer.outcome = RequestRestore(s3_, job.item, job.settings);
  }
  Post(std::move(answer));
}

void Migrator::Impl::Dispatch(Commands& commands) {
  for (DownloadJob& job : commands.downloads) {
    DownloadSettings settings;
    settings.chunk_size = opt_.chunk_size;
    settings.reread_after_download = opt_.reread_after_download;
    settings.set_attributes = opt_.set_attributes;
    settings.bandwidth = opt_.bandwidth;
    settings.clock = &clock_;
    settings.cancelled = &stop_;
    settings.fence = Fence();
    settings.bytes_counter = &bytes_received_;
    settings.batch_publish = true;
    settings.pin_with_if_match = job.pin_with_if_match;
    pool_->Submit(std::make_unique<ObjectDownload>(s3_, fs_, dirs_, std::move(job.item), job.path,
                                                   settings, std::move(job.resumed),
                                                   std::move(job.done)));
  }
  for (RestoreJob& job : commands.restores) {
    restores_->Submit([this, job = std::move(job)] { RunRestore(job); });
  }
  for (RestoreCheck& check : commands.checks) {
    restores_->Submit([this, check = std::move(check)] {
      RestoreAnswered answer;
      answer.item = check.item;
      answer.outcome = CheckRestore(s3_, check.item, check.pin_with_if_match);
      Post(std::move(answer));
    });
  }
  for (DeleteBatch& batch : commands.deletes) {
    deletes_->Submit([this, batch = std::move(batch)] {
      DeleteAnswered answer;
      answer.outcomes = gate_.DeleteBatch(batch.bucket, batch.requests);
      answer.requests = batch.requests;
      Post(std::move(answer));
    });
  }
}

Mono Migrator::Impl::NextWake() const {
  Mono wake = core_.NextWake();
  if (opt_.on_progress) wake = std::min(wake, next_progress_);
  if (opt_.sample_interval.count() > 0) wake = std::min(wake, next_sample_);
  return wake;
}

void Migrator::Impl::WaitForEvents(Mono wake, bool stopping) {
  std::unique_lock lock(ev_mu_);
  const auto wait = wake - clock_.MonotonicNow();
  if (!events_.empty() || wait <= Clock::Duration::zero()) return;
  // A cancel seen by the predicate cannot be missed: Wake() notifies under
  // ev_mu_ after the flag is set.
  ev_cv_.wait_for(lock, wait, [&] { return !events_.empty() || (cancelled() && !stopping); });
}

void Migrator::Impl::ReportProgress(bool force, bool last) {
  const Mono now = clock_.MonotonicNow();
  const bool display = opt_.on_progress && (force || now >= next_progress_);
  const bool sample = opt_.sample_interval.count() > 0 && (force || now >= next_sample_);
  if (!display && !sample) return;
  const int active = static_cast<int>(pool_ ? pool_->active() : 0);
  const ProgressSnapshot snapshot = core_.Progress(static_cast<int64_t>(bytes_received_.load()), active);
  if (display) {
    next_progress_ = now + opt_.progress_interval;
    opt_.on_progress(snapshot);
  }
  if (sample) {
    next_sample_ = now + opt_.sample_interval;
    StoreSample(snapshot, last);
  }
}

void Migrator::Impl::StoreSample(const ProgressSnapshot& snapshot, bool last) {
  store::ProgressSample sample;
  sample.at = FormatIso8601(snapshot.now, Iso8601Precision::kSeconds);
  sample.run_started_at = FormatIso8601(snapshot.started_at, Iso8601Precision::kSeconds);
  sample.bytes_received = snapshot.bytes_received;
  sample.active_transfers = snapshot.active_transfers;
  sample.restores_in_flight = snapshot.restores_in_flight;
  sample.restores_ready = snapshot.restores_ready;
  sample.errors_this_run = snapshot.errors_this_run;
  sample.run_ended = last;
  for (size_t i = 0; i < snapshot.by_state.size(); ++i) {
    sample.by_state[i] = {snapshot.by_state[i].files, snapshot.by_state[i].bytes};
  }
  // Charts only: a sample that cannot be written costs a point, not the run
  // (a database that cannot be written stops the next step anyway).
  if (Status s = state_.AddProgressSample(sample); !s.ok()) {
    S3M_LOG_WARN("could not store a progress sample: {}", s.ToString());
  }
}

Status Migrator::Impl::StartWorker() {
  S3M_ASSIGN_OR_RETURN(std::unique_ptr<store::Database> own, state_.OpenAnotherConnection());
  S3M_ASSIGN_OR_RETURN(heartbeat_,
                       store::WorkerHeartbeat::Start(state_.database(), std::move(own), opt_.worker_lease, clock_));
  worker_id_ = heartbeat_->id();
  if (!state_.shared_with_workers()) {
    // This process holds the state alone (the SQLite lock): any other worker
    // still recorded as running was killed; its claims are free at once.
    S3M_RETURN_IF_ERROR(store::StopOtherWorkers(state_.database(), heartbeat_->id()));
  }
  db_.SetWorker(heartbeat_->id());
  S3M_RETURN_IF_ERROR(store::UseTotalsShard(state_.database(), heartbeat_->id()));
  // A destination other workers may share: a manifest file has one writer.
  if (state_.shared_with_workers()) manifest_.SetWorker(heartbeat_->id());
  // Deletes, too, stop once this worker's lease may have lapsed.
  gate_.SetFence(Fence());
  S3M_LOG_INFO("worker {}: lease {} s", heartbeat_->id(), opt_.worker_lease.count());
  return Status::Ok();
}

bool Migrator::Impl::KeepWorkerAlive() {
  heartbeat_->Update({core_.idle(), deleted_, static_cast<int64_t>(bytes_received_.load())});
  // max_requests_per_second holds across the workers of a shared state:
  // each takes its part, 1/N (a worker joining or leaving shows at the
  // others' next renewal, within lease / 4).
  if (opt_.request_limit != nullptr && state_.shared_with_workers() &&
      heartbeat_->live_workers() != request_share_) {
    request_share_ = heartbeat_->live_workers();
    opt_.request_limit->SetShare(request_share_);
    S3M_LOG_INFO("worker {}: {} live workers share max_requests_per_second ({}/s each)", heartbeat_->id(),
                 request_share_, opt_.request_limit->per_second() / request_share_);
  }
  // Alone on the state (SQLite's lock), nobody can take this worker's
  // objects over: a heartbeat held up (a long write holding the file) must
  // not stop the run.
  return !state_.shared_with_workers() || !heartbeat_->lost();
}

const WriteFence* Migrator::Impl::Fence() const {
  return state_.shared_with_workers() ? &heartbeat_->fence() : nullptr;
}

Result<MigrationReport> Migrator::Impl::Run() {
  S3M_RETURN_IF_ERROR(StartWorker());
  S3M_RETURN_IF_ERROR(core_.Start());
  StartRunners();
  bool stopping = false;
  Status db_failure;
  Status lost;
  for (;;) {
    // Before any new work: a worker whose lease may have lapsed takes none.
    if (!stopping && !KeepWorkerAlive()) {
      lost = heartbeat_->LostStatus();
      S3M_LOG_ERROR("stopping: {}", lost.ToString());
      stopping = true;
      stop_ = true;
    }
    std::vector<Event> events = TakeEvents();
    Commands commands;
    db_failure = CommitStep(events, !stopping && !cancelled(), commands);
    if (!db_failure.ok()) {
      stop_ = true;
      break;
    }
    Dispatch(commands);  // committed: now the new work may start
    ReportProgress(false);
    if (!stopping && (!core_.fatal().ok() || cancelled())) {
      if (!core_.fatal().ok()) S3M_LOG_ERROR("stopping: {}", core_.fatal().ToString());
      stopping = true;
      stop_ = true;
    }
    if (stopping) {
      pool_->Stop();
      restores_->DropQueued();
      if (Drained()) {
        // What the workers reported last, in one last commit.
        std::vector<Event> rest = TakeEvents();
        Commands none;
        if (!rest.empty()) db_failure = CommitStep(rest, false, none);
        break;
      }
    } else if (core_.Finished()) {
      break;
    }
    WaitForEvents(stopping ? clock_.MonotonicNow() + kDrainPoll : NextWake(), stopping);
  }
  StopRunners();
  ReportProgress(true, true);
  KeepWorkerAlive();
  heartbeat_.reset();  // its last figures, and stopped: its claims are free
  if (!db_failure.ok()) return db_failure;
  if (!lost.ok()) return lost;
  if (!core_.fatal().ok()) return core_.fatal();
  return core_.Report(static_cast<int64_t>(bytes_received_.load()));
}

}  // namespace s3m::engine
