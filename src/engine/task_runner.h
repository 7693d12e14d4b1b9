// A fixed set of threads running queued tasks in order of submission. The
// engine's coordinator decides what runs (under its own bookkeeping) and
// hands each piece of I/O — a restore request, a status check, a delete
// batch — to a runner, so a slow stage never blocks the others.
//
// Tasks must not throw: anything they have to say goes back through the
// coordinator's event queue. An exception that escapes anyway is caught and
// logged, so no worker thread ever dies with it (std::terminate).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace s3m::engine {

class TaskRunner {
 public:
  TaskRunner(std::string name, int threads);
  // Finishes queued tasks, then joins.
  ~TaskRunner();
  TaskRunner(const TaskRunner&) = delete;
  TaskRunner& operator=(const TaskRunner&) = delete;

  void Submit(std::function<void()> task);
  // Tasks queued or running.
  size_t pending() const;
  // Drops tasks not started yet; returns how many.
  size_t DropQueued();

 private:
  void Loop();

  const std::string name_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  size_t running_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace s3m::engine
