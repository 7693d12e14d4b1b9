// BatchPublisher: makes finished small downloads durable in batches.
//
// A small object's fsync and its directory's fsync cost more than its GET
// (measured: 10,000 x 16 KiB objects took twice as long with them). Workers
// therefore only Seal() their files; this thread takes whatever has piled
// up, and
//
//   SyncFileSystem   every sealed file's bytes durable
//   Publish each     rename to the final name
//   SyncFileSystem   every rename durable
//
// where SyncFileSystem is one syncfs(2) per filesystem the batch's files
// live on: a bucket folder (or any folder below it) may be another mount
// than the destination root — a ZFS dataset per bucket, a bind mount, a
// symlink to another disk — and syncfs covers only its own. Each file's
// directory is stat'ed, and one directory per distinct device is synced.
//
// and only then reports the outcomes, so the engine records `downloaded` and
// `verified` exactly as late as with per-file fsyncs (atomic_file.h's rule:
// a final name never points at bytes that are not durable). While one batch
// syncs, the next one gathers: a group commit. A batch also waits for company:
// it goes when it holds kBatchFiles files or kBatchBytes bytes, when its
// first file has waited kBatchDelay, or when the run stops. syncfs flushes
// everything dirty on the filesystem, the neighbours' data too, so fewer
// calls matter more than a few milliseconds: nobody waits for a publish (the
// transfers go on; only the delete of a file waits for its row).

#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/download.h"
#include "engine/file_system.h"

namespace s3m::engine {

class BatchPublisher {
 public:
  static constexpr size_t kBatchFiles = 512;
  static constexpr uint64_t kBatchBytes = 256ull << 20;
  static constexpr std::chrono::milliseconds kBatchDelay{25};

  using OnPublished = std::function<void(DownloadOutcome)>;
  // `fence` (may be null): asked before each batch is published; a closed
  // fence leaves the batch's files where they are, reported cancelled.
  BatchPublisher(FileSystem& fs, OnPublished on_published, const WriteFence* fence = nullptr);
  // Publishes what is queued, then joins.
  ~BatchPublisher();
  BatchPublisher(const BatchPublisher&) = delete;
  BatchPublisher& operator=(const BatchPublisher&) = delete;

  // `outcome.sealed` holds a sealed file.
  void Add(DownloadOutcome outcome);
  // Outcomes queued or being published.
  size_t pending() const;

 private:
  void Loop();
  void PublishBatch(std::vector<DownloadOutcome>& batch);
  // syncfs on one directory of each device in `devices`; the first failure.
  Status SyncDevices(const std::map<uint64_t, std::string>& devices);

  FileSystem& fs_;
  const OnPublished on_published_;
  const WriteFence* fence_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<DownloadOutcome> queue_;
  uint64_t queued_bytes_ = 0;
  std::chrono::steady_clock::time_point first_queued_{};
  size_t publishing_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace s3m::engine
