#include "engine/task_runner.h"

#include <exception>

#include "core/logging.h"

namespace s3m::engine {

TaskRunner::TaskRunner(std::string name, int threads) : name_(std::move(name)) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Loop(); });
}

TaskRunner::~TaskRunner() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void TaskRunner::Submit(std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(task));
  }
  cv_.notify_one();
}

size_t TaskRunner::pending() const {
  std::lock_guard lock(mu_);
  return queue_.size() + running_;
}

size_t TaskRunner::DropQueued() {
  std::lock_guard lock(mu_);
  const size_t dropped = queue_.size();
  queue_.clear();
  return dropped;
}

void TaskRunner::Loop() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left
      task = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
    }
    try {
      task();
    } catch (const std::exception& e) {
      S3M_LOG_ERROR("internal error: a {} task threw: {}", name_, e.what());
    } catch (...) {
      S3M_LOG_ERROR("internal error: a {} task threw", name_);
    }
    std::lock_guard lock(mu_);
    --running_;
  }
}

}  // namespace s3m::engine
