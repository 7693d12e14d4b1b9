#include "engine/transfer_pool.h"

#include <exception>

#include "core/logging.h"

namespace s3m::engine {

TransferPool::TransferPool(int workers, int max_active_large,
                           ObjectDownload::RangeSynced on_range_synced, OnDone on_done)
    : max_active_large_(std::max(1, max_active_large)),
      on_range_synced_(std::move(on_range_synced)),
      on_done_(std::move(on_done)) {
  for (int i = 0; i < std::max(1, workers); ++i) threads_.emplace_back([this] { Loop(); });
}

TransferPool::~TransferPool() {
  Stop();
  {
    std::lock_guard lock(mu_);
    shutdown_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void TransferPool::Submit(std::unique_ptr<ObjectDownload> download) {
  {
    std::lock_guard lock(mu_);
    ++in_flight_;
    if (download->is_large()) {
      large_waiting_.push_back(std::move(download));
    } else {
      small_.push_back(std::move(download));
    }
  }
  cv_.notify_one();
}

size_t TransferPool::in_flight() const {
  std::lock_guard lock(mu_);
  return in_flight_;
}

size_t TransferPool::active() const {
  std::lock_guard lock(mu_);
  return large_active_.size() + (busy_workers_ > large_active_.size() ? busy_workers_ - large_active_.size() : 0);
}

void TransferPool::Stop() {
  std::vector<std::unique_ptr<ObjectDownload>> dropped;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    for (auto& d : small_) dropped.push_back(std::move(d));
    for (auto& d : large_waiting_) dropped.push_back(std::move(d));
    small_.clear();
    large_waiting_.clear();
  }
  cv_.notify_all();
  for (auto& d : dropped) {
    DownloadOutcome out;
    out.id = d->item().id;
    out.result = DownloadResult::kCancelled;
    out.status = Status::Error(ErrorKind::kCancelled, "the run stopped before this object started");
    Report(std::move(out));
  }
}

void TransferPool::Report(DownloadOutcome outcome) {
  on_done_(std::move(outcome));
  std::lock_guard lock(mu_);
  --in_flight_;
}

TransferPool::Task TransferPool::PickLocked() {
  Task task;
  for (Large& large : large_active_) {
    if (large.prepared && large.next_range < large.download->range_count()) {
      task.kind = Task::kRange;
      task.large = &large;
      task.range = large.next_range++;
      ++large.outstanding;
      return task;
    }
  }
  if (stopping_) return task;
  if (!large_waiting_.empty() && large_active_.size() < static_cast<size_t>(max_active_large_)) {
    large_active_.push_back(Large{std::move(large_waiting_.front())});
    large_waiting_.pop_front();
    task.kind = Task::kPrepare;
    task.large = &large_active_.back();
    ++task.large->outstanding;
    return task;
  }
  if (!small_.empty()) {
    task.kind = Task::kWhole;
    task.whole = std::move(small_.front());
    small_.pop_front();
  }
  return task;
}

void TransferPool::AfterLargeTask(Large* large) {
  bool finish = false;
  {
    std::lock_guard lock(mu_);
    --large->outstanding;
    finish = large->prepared && large->outstanding == 0 &&
             large->next_range >= large->download->range_count();
    if (finish) large->next_range = SIZE_MAX;  // nobody else finishes it
  }
  if (!finish) {
    cv_.notify_all();  // its ranges are ready to be picked
    return;
  }
  DownloadOutcome outcome = large->download->Finish();
  std::unique_ptr<ObjectDownload> done;
  {
    std::lock_guard lock(mu_);
    for (auto it = large_active_.begin(); it != large_active_.end(); ++it) {
      if (&*it == large) {
        done = std::move(it->download);
        large_active_.erase(it);
        break;
      }
    }
  }
  done.reset();  // closes the file before the outcome is recorded
  Report(std::move(outcome));
  cv_.notify_all();
}

void TransferPool::Loop() {
  for (;;) {
    Task task;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] {
        if (shutdown_ && small_.empty() && large_waiting_.empty() && large_active_.empty()) {
          return true;
        }
        task = PickLocked();
        return task.kind != Task::kNone;
      });
      if (task.kind == Task::kNone) return;
      ++busy_workers_;
    }
    try {
      switch (task.kind) {
        case Task::kWhole: {
          DownloadOutcome outcome = task.whole->RunWhole();
          task.whole.reset();
          Report(std::move(outcome));
          break;
        }
        case Task::kPrepare: {
          const bool go_on = task.large->download->Prepare();
          {
            std::lock_guard lock(mu_);
            task.large->prepared = true;
            if (!go_on) task.large->next_range = task.large->download->range_count();
          }
          AfterLargeTask(task.large);
          break;
        }
        case Task::kRange:
          task.large->download->FetchRange(task.range, on_range_synced_);
          AfterLargeTask(task.large);
          break;
        case Task::kNone: break;
      }
    } catch (const std::exception& e) {
      // Not expected (the download code returns Status values); never let
      // it kill the thread.
      S3M_LOG_ERROR("internal error in a download worker: {}", e.what());
    }
    {
      std::lock_guard lock(mu_);
      --busy_workers_;
    }
  }
}

}  // namespace s3m::engine
