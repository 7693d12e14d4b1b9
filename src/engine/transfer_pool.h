// TransferPool: `concurrency` threads that download objects (download.h).
//
// Scheduling is decided under one lock and all I/O happens outside it (the
// aws-c-s3 model). A worker asking for work gets, in this order:
//   1. the next range of a large object already started — finishing what is
//      open keeps partial files, hashers and part state few;
//   2. a new large object (Prepare: HEAD, layout, open file), while fewer
//      than max_active_large are open — several, so one slow object does not
//      hold every worker;
//   3. a new small object (one whole GET).
// The worker that finishes an object's last range runs its Finish()
// (verification verdict, fsync, rename) and reports the outcome.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/download.h"

namespace s3m::engine {

class TransferPool {
 public:
  using OnDone = std::function<void(DownloadOutcome)>;

  TransferPool(int workers, int max_active_large, ObjectDownload::RangeSynced on_range_synced,
               OnDone on_done);
  // Stop(), then joins the workers.
  ~TransferPool();
  TransferPool(const TransferPool&) = delete;
  TransferPool& operator=(const TransferPool&) = delete;

  void Submit(std::unique_ptr<ObjectDownload> download);
  // Objects submitted whose outcome was not reported yet.
  size_t in_flight() const;
  // Objects being worked on right now.
  size_t active() const;
  // No new object starts; objects not started are reported kCancelled
  // (their rows stay as they are, to be resumed); running ones end on their
  // own (their transfers see the cancel flag).
  void Stop();

 private:
  struct Large {
    std::unique_ptr<ObjectDownload> download;
    bool prepared = false;
    size_t next_range = 0;
    size_t outstanding = 0;  // ranges being fetched
  };
  struct Task {
    enum Kind { kWhole, kPrepare, kRange, kNone } kind = kNone;
    std::unique_ptr<ObjectDownload> whole;
    Large* large = nullptr;
    size_t range = 0;
  };
  void Loop();
  Task PickLocked();
  // Called after a large object's task ended; runs Finish when it was the last.
  void AfterLargeTask(Large* large);
  void Report(DownloadOutcome outcome);

  const int max_active_large_;
  const ObjectDownload::RangeSynced on_range_synced_;
  const OnDone on_done_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<ObjectDownload>> small_;
  std::deque<std::unique_ptr<ObjectDownload>> large_waiting_;
  std::list<Large> large_active_;
  size_t in_flight_ = 0;
  size_t busy_workers_ = 0;
  bool stopping_ = false;
  bool shutdown_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace s3m::engine
