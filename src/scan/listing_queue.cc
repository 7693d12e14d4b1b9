#include "scan/listing_queue.h"

namespace s3m::scan {

bool MessageQueue::Push(Message message) {
  std::unique_lock lock(mu_);
  not_full_.wait(lock, [&] { return queue_.size() < capacity_ || closed_; });
  if (closed_) return false;
  queue_.push_back(std::move(message));
  not_empty_.notify_one();
  return true;
}

std::optional<Message> MessageQueue::Pop() {
  std::unique_lock lock(mu_);
  not_empty_.wait(lock, [&] { return !queue_.empty() || producers_ == 0; });
  if (queue_.empty()) return std::nullopt;
  Message m = std::move(queue_.front());
  queue_.pop_front();
  not_full_.notify_one();
  return m;
}

std::optional<Message> MessageQueue::TryPopPage(const std::string& bucket) {
  std::lock_guard lock(mu_);
  if (queue_.empty() || queue_.front().kind != Message::Kind::kPage || queue_.front().bucket != bucket) {
    return std::nullopt;
  }
  Message m = std::move(queue_.front());
  queue_.pop_front();
  not_full_.notify_one();
  return m;
}

void MessageQueue::ProducerDone() {
  std::lock_guard lock(mu_);
  --producers_;
  not_empty_.notify_all();
}

void MessageQueue::Close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  not_full_.notify_all();
}

void JobBoard::Add(ListingJob job) {
  std::lock_guard lock(mu_);
  jobs_.push_back(std::move(job));
  changed_.notify_all();
}

std::optional<ListingJob> JobBoard::Take() {
  std::lock_guard lock(mu_);
  if (jobs_.empty()) return std::nullopt;
  ListingJob job = std::move(jobs_.front());
  jobs_.pop_front();
  ++busy_;
  return job;
}

void JobBoard::Busy() {
  std::lock_guard lock(mu_);
  ++busy_;
}

void JobBoard::Finished() {
  std::lock_guard lock(mu_);
  --busy_;
  changed_.notify_all();
}

bool JobBoard::WaitForWork(int64_t since, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  if (jobs_.empty() && busy_ == 0) return false;
  changed_.wait_for(lock, timeout, [&] { return !jobs_.empty() || busy_ == 0 || changes_ != since; });
  return !jobs_.empty() || busy_ > 0;
}

int64_t JobBoard::Changes() {
  std::lock_guard lock(mu_);
  return changes_;
}

void JobBoard::Changed() {
  std::lock_guard lock(mu_);
  ++changes_;
  changed_.notify_all();
}

void JobBoard::Listed(const std::string& bucket, const std::string& range_start, const std::string& key) {
  std::lock_guard lock(mu_);
  listed_[{bucket, range_start}] = key;
}

std::string JobBoard::ListedPosition(const std::string& bucket, const std::string& range_start) {
  std::lock_guard lock(mu_);
  auto it = listed_.find({bucket, range_start});
  return it == listed_.end() ? std::string() : it->second;
}

void JobBoard::MarkDone(const std::string& bucket, const std::string& range_start) {
  std::lock_guard lock(mu_);
  done_.emplace(bucket, range_start);
}

bool JobBoard::Done(const std::string& bucket, const std::string& range_start) {
  std::lock_guard lock(mu_);
  return done_.count({bucket, range_start}) > 0;
}

bool JobBoard::ShouldTry(const store::ListingRange& range) {
  std::lock_guard lock(mu_);
  if (probing_.count({range.bucket, range.start})) return false;
  if (tries_[{range.bucket, range.start, range.end}]++ >= kSplitTries) return false;
  probing_.emplace(range.bucket, range.start);
  return true;
}

void JobBoard::TryDone(const store::ListingRange& range) {
  std::lock_guard lock(mu_);
  probing_.erase({range.bucket, range.start});
  ++changes_;  // listers waiting may try the range (or its pieces) now
  changed_.notify_all();
}

void JobBoard::GiveUp(const store::ListingRange& range) {
  std::lock_guard lock(mu_);
  tries_[{range.bucket, range.start, range.end}] = kSplitTries;
}

}  // namespace s3m::scan
