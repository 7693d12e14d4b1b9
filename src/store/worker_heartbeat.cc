#include "store/worker_heartbeat.h"

#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

#include "core/logging.h"
#include "store/workers.h"

namespace s3m::store {

Result<std::unique_ptr<WorkerHeartbeat>> WorkerHeartbeat::Start(Database& db,
                                                                std::unique_ptr<Database> own,
                                                                std::chrono::seconds lease, Clock& clock) {
  S3M_ASSIGN_OR_RETURN(int64_t id, RegisterWorker(db, ThisHostName(), ::getpid(), lease.count()));
  return std::unique_ptr<WorkerHeartbeat>(new WorkerHeartbeat(std::move(own), id, lease, clock));
}

WorkerHeartbeat::WorkerHeartbeat(std::unique_ptr<Database> own, int64_t id, std::chrono::seconds lease,
                                 Clock& clock)
    : own_(std::move(own)), id_(id), lease_(lease), clock_(clock), fence_(clock, clock.MonotonicNow() + lease / 2) {
  CountWorkers();
  thread_ = std::thread([this] { Loop(); });
}

WorkerHeartbeat::~WorkerHeartbeat() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  // The last figures, then stopped: the claims it still holds are free now.
  Renew();
  if (Status s = remove_when_stopped_ ? RemoveWorker(*own_, id_) : StopWorker(*own_, id_); !s.ok()) {
    S3M_LOG_WARN("could not mark worker {} stopped (its claims lapse with its lease): {}", id_, s.ToString());
  }
}

void WorkerHeartbeat::Update(const Figures& figures) {
  std::lock_guard lock(mu_);
  figures_ = figures;
}

bool WorkerHeartbeat::lost() const {
  std::lock_guard lock(mu_);
  return marked_stopped_ || lapsed_ || !fence_.open();
}

Status WorkerHeartbeat::LostStatus() const {
  std::lock_guard lock(mu_);
  if (marked_stopped_) {
    return Status::Error(ErrorKind::kConflict,
                         fmt::format("worker {} was marked stopped in the state database; stopping", id_));
  }
  return Status::Error(
      ErrorKind::kStateLost,
      fmt::format("worker {} could not renew its heartbeat for half its lease ({} s){}; other workers take its "
                  "objects over after the lease, so this run stops now",
                  id_, lease_.count(),
                  lapsed_ ? " and its lease lapsed" : last_error_.ok() ? "" : ": " + last_error_.ToString()));
}

void WorkerHeartbeat::Renew() {
  Figures figures;
  {
    std::lock_guard lock(mu_);
    figures = figures_;
  }
  const Clock::MonoTime attempt = clock_.MonotonicNow();
  Result<Renewal> renewed = RenewWorker(*own_, id_, figures.idle, figures.objects, figures.bytes);
  {
    std::lock_guard lock(mu_);
    if (!renewed.ok()) {
      last_error_ = renewed.status();
      S3M_LOG_WARN("worker {}: heartbeat failed: {}", id_, renewed.status().ToString());
      return;
    }
    if (*renewed != Renewal::kRenewed) {
      (*renewed == Renewal::kStopped ? marked_stopped_ : lapsed_) = true;
      return;
    }
    // The lease runs from when the renewal was sent, not when it returned.
    fence_.ExtendTo(attempt + lease_ / 2);
    last_error_ = Status::Ok();
  }
  CountWorkers();
}

void WorkerHeartbeat::CountWorkers() {
  Result<int64_t> live = CountLiveWorkers(*own_);
  if (live.ok()) live_workers_ = static_cast<int>(std::max<int64_t>(1, *live));
}

void WorkerHeartbeat::Loop() {
  const auto interval = std::chrono::duration_cast<std::chrono::milliseconds>(lease_) / 4;
  std::unique_lock lock(mu_);
  while (!stop_) {
    if (cv_.wait_for(lock, interval, [this] { return stop_; })) break;
    lock.unlock();
    Renew();
    lock.lock();
  }
}

}  // namespace s3m::store
