#include "engine/publisher.h"

#include <cerrno>

namespace s3m::engine {

BatchPublisher::BatchPublisher(FileSystem& fs, OnPublished on_published, const WriteFence* fence)
    : fs_(fs), on_published_(std::move(on_published)), fence_(fence) {
  thread_ = std::thread([this] { Loop(); });
}

BatchPublisher::~BatchPublisher() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void BatchPublisher::Add(DownloadOutcome outcome) {
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    if (queue_.empty()) first_queued_ = std::chrono::steady_clock::now();
    queued_bytes_ += outcome.sealed->size();
    queue_.push_back(std::move(outcome));
    wake = queue_.size() == 1 || queue_.size() >= kBatchFiles || queued_bytes_ >= kBatchBytes;
  }
  // The first file starts the batch's clock; a full batch ends it.
  if (wake) cv_.notify_one();
}

size_t BatchPublisher::pending() const {
  std::lock_guard lock(mu_);
  return queue_.size() + publishing_;
}

void BatchPublisher::Loop() {
  for (;;) {
    std::vector<DownloadOutcome> batch;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      cv_.wait_until(lock, first_queued_ + kBatchDelay, [&] {
        return stopping_ || queue_.size() >= kBatchFiles || queued_bytes_ >= kBatchBytes;
      });
      batch.swap(queue_);
      queued_bytes_ = 0;
      publishing_ = batch.size();
    }
    PublishBatch(batch);
    for (DownloadOutcome& outcome : batch) on_published_(std::move(outcome));
    std::lock_guard lock(mu_);
    publishing_ = 0;
  }
}

void BatchPublisher::PublishBatch(std::vector<DownloadOutcome>& batch) {
  auto fail = [](DownloadOutcome& outcome, const Status& status) {
    const int err = status.context().sys_errno;
    outcome.result = (err == EISDIR || err == ENOTDIR || err == EEXIST) ? DownloadResult::kPathConflict
                                                                         : DownloadResult::kFailed;
    outcome.status = status;
    if (outcome.sealed) (void)outcome.sealed->Abandon();
    outcome.sealed.reset();
  };
  // A worker that may have lost its objects to another publishes nothing,
  // and leaves the files as they are (the other may be writing them now).
  if (fence_ != nullptr) {
    if (Status fenced = fence_->Check(); !fenced.ok()) {
      for (DownloadOutcome& outcome : batch) {
        outcome.result = DownloadResult::kCancelled;
        outcome.status = fenced;
        outcome.sealed.reset();  // closed, not removed
      }
      return;
    }
  }
  // The filesystems holding the batch: one directory of each.
  // A file whose directory cannot be stat'ed is not published: its
  // filesystem would not be synced.
  std::map<uint64_t, std::string> devices;
  std::map<std::string, Status> stated;  // each directory is stat'ed once
  for (DownloadOutcome& outcome : batch) {
    const std::string dir = DirName(outcome.sealed->final_path());
    auto [it, first] = stated.try_emplace(dir);
    if (first) {
      Result<FileInfo> info = fs_.Stat(dir);
      it->second = info.status();
      if (info.ok()) devices.emplace(info->device, dir);
    }
    if (!it->second.ok()) fail(outcome, it->second);
  }
  Status synced = SyncDevices(devices);
  if (!synced.ok()) {
    for (DownloadOutcome& outcome : batch) {
      if (outcome.sealed) fail(outcome, synced);
    }
    return;
  }
  for (DownloadOutcome& outcome : batch) {
    if (!outcome.sealed) continue;
    Status published = outcome.sealed->Publish();
    if (!published.ok()) fail(outcome, published);
  }
  synced = SyncDevices(devices);
  for (DownloadOutcome& outcome : batch) {
    if (!outcome.sealed) continue;
    // Renamed but perhaps not durable: download again rather than record it.
    if (!synced.ok()) {
      outcome.result = DownloadResult::kFailed;
      outcome.status = synced;
    }
    outcome.sealed.reset();
  }
}

Status BatchPublisher::SyncDevices(const std::map<uint64_t, std::string>& devices) {
  for (const auto& [device, dir] : devices) S3M_RETURN_IF_ERROR(fs_.SyncFileSystem(dir));
  return Status::Ok();
}

}  // namespace s3m::engine
