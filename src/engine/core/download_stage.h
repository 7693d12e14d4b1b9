// DownloadStage: which objects to download next, and what a download's
// outcome means for the object's row.
//
// Order of work: retries whose back-off ended and restored copies (they
// expire) first, then downloads an interrupted run left (resumed from their
// synced ranges), then every readable `discovered` row in id order — as many
// as keep the transfer pool busy (twice its workers), each admitted by the
// DiskGuard. The database is read in keyset pages; only the work in flight
// is held in memory.
//
// Outcomes:
//   done          downloaded, then verified (one transaction), then queued
//                 for the delete stage; size-only verification is recorded
//                 as such, and the DeletePolicy decides what that means
//   changed       412 or a new ETag: Setbacks decide (changed vs endpoint)
//   needs restore archived after all: back to the restore lane
//   gone          404: `error`, `rescan` records it
//   path conflict another free path, at the front of the lane
//   mismatch      bytes not S3's: synced ranges dropped, an attempt counted
//   disk full     not the object's fault: it waits for space, no attempt
//                 counted; three in a row stop the run (a quota)
//   failed        an attempt counted (Setbacks)
//   cancelled     row left `downloading`: the next run resumes it
#pragma once

#include <cstdint>
#include <vector>

#include "engine/core/commands.h"
#include "engine/core/delete_stage.h"
#include "engine/core/disk_guard.h"
#include "engine/core/run_context.h"
#include "engine/core/setbacks.h"
#include "engine/file_system.h"
#include "engine/local_layout.h"

namespace s3m::engine {

class DownloadStage {
 public:
  DownloadStage(RunContext& ctx, Setbacks& setbacks, DiskGuard& disk, DeleteStage& deletes,
                LocalLayout& layout, FileSystem& fs)
      : ctx_(ctx), setbacks_(setbacks), disk_(disk), deletes_(deletes), layout_(layout), fs_(fs) {}

  Status Take(std::vector<DownloadJob>& out);
  Status OnOutcome(const DownloadOutcome& outcome);

  // Nothing downloading, queued, waiting for a retry, or left to walk.
  bool Idle() const;
  // Walks the queues again from their start (rows another worker left).
  void Rewind() {
    resume_cursor_ = download_cursor_ = 0;
    resume_done_ = download_done_ = false;
  }

 private:
  // Admits `item` (DiskGuard) and dispatches it. false: stop taking (paused).
  Result<bool> Admit(store::WorkItem item, std::vector<DownloadJob>& out);
  Status TakeReady(std::vector<DownloadJob>& out);
  // One page of `queue` after `cursor`; `done` once the walk reached its end.
  Status TakeWalk(store::WorkQueue queue, int64_t& cursor, bool& done, std::vector<DownloadJob>& out);
  Status Dispatch(store::WorkItem item, std::vector<DownloadJob>& out);
  // The partial file of an earlier run, when its recorded ranges can be
  // trusted (atomic_file.h); otherwise its records are dropped.
  Status Resume(const store::WorkItem& item, const std::string& path, DownloadJob& job);
  bool WantsMore() const;

  Status OnDone(const store::WorkItem& item, const DownloadOutcome& out);
  Status OnNeedsRestore(const store::WorkItem& item, const DownloadOutcome& out);
  Status OnPathConflict(const store::WorkItem& item, const DownloadOutcome& out);
  Status OnDiskFull(const store::WorkItem& item, const DownloadOutcome& out);

  RunContext& ctx_;
  Setbacks& setbacks_;
  DiskGuard& disk_;
  DeleteStage& deletes_;
  LocalLayout& layout_;
  FileSystem& fs_;
  int64_t resume_cursor_ = 0, download_cursor_ = 0;
  bool resume_done_ = false, download_done_ = false;
  bool attribute_note_said_ = false;  // the xattr warning is given once a run
};

}  // namespace s3m::engine
