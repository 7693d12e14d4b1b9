// DiskGuard: the disk-space policy (disk_space.h) applied to a run — reads
// the destination's free space at most once a second, admits each download,
// sets aside objects that do not fit (they stay `discovered`; smaller ones go
// on), pauses downloads below the reserve, and keeps the figures the report
// gives about what waits for space.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "engine/disk_space.h"
#include "engine/file_system.h"
#include "engine/progress.h"
#include "store/migration_store.h"

namespace s3m::engine {

class DiskGuard {
 public:
  using Mono = Clock::MonoTime;
  static constexpr auto kCheckInterval = std::chrono::seconds(1);

  DiskGuard(FileSystem& fs, std::string root, std::optional<uint64_t> min_free, Clock& clock)
      : fs_(fs), root_(std::move(root)), min_free_(min_free), clock_(clock) {}

  // First reading; warns when the `bytes_needed` by the objects left exceed
  // what the disk has (they are not refused: what fits goes on).
  void Preflight(int64_t bytes_needed);
  // May `item` be downloaded now? kSetAside also records it as waiting.
  SpaceCheck Admit(const store::WorkItem& item);
  // A download of `item` failed with ENOSPC (or a quota): the next Admit
  // reads the disk again, and the object waits for space. Returns how many
  // such failures came in a row (a quota statvfs does not show).
  int OnDiskFull(const store::WorkItem& item);
  void OnDownloaded() { full_in_a_row_ = 0; }

  bool paused() const { return !paused_reason_.empty(); }
  const std::string& paused_reason() const { return paused_reason_; }
  // When a paused guard reads the disk again.
  Mono next_check() const { return last_check_ + kCheckInterval; }
  // The disk is full and nothing in flight can free it: the run's end.
  Status FullForGood() const;
  void FillReport(MigrationReport& report) const;

 private:
  SpaceCheck Check(const store::WorkItem& item);
  void SetAside(const store::WorkItem& item);

  FileSystem& fs_;
  const std::string root_;
  const std::optional<uint64_t> min_free_;
  Clock& clock_;
  Mono last_check_{};
  uint64_t free_bytes_ = UINT64_MAX;  // unknown
  uint64_t reserve_bytes_ = 0;
  std::string paused_reason_;
  int full_in_a_row_ = 0;
  // Objects set aside during this run, counted once each.
  std::unordered_set<int64_t> set_aside_;
  FilesBytes waiting_{};
  std::vector<LeftBehind> waiting_sample_;
  int64_t largest_waiting_ = 0;
};

}  // namespace s3m::engine
