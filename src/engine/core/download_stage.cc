#include "engine/core/download_stage.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/logging.h"

namespace s3m::engine {

using store::FileChange;
using store::FileState;
using store::WorkItem;
using store::WorkQueue;

// Transfers are bounded by the pool's slots (twice the workers: each has
// its next job ready); files waiting for the publisher's sync hold none, so
// durability never stalls the network, and are bounded on their own.
bool DownloadStage::WantsMore() const {
  return ctx_.queues.transferring() < static_cast<size_t>(ctx_.opt.concurrency) * 2 &&
         ctx_.queues.publishing() < kMaxPublishing;
}

bool DownloadStage::Idle() const {
  return ctx_.queues.downloading() == 0 && !ctx_.queues.HasReady(Lane::kDownload) && resume_done_ &&
         download_done_ && ctx_.queues.NoRetries();
}

Status DownloadStage::Take(std::vector<DownloadJob>& out) {
  ctx_.queues.ReleaseDue(ctx_.now());
  S3M_RETURN_IF_ERROR(TakeReady(out));
  if (disk_.paused()) return Status::Ok();
  // Downloads an interrupted run left: resumed first.
  S3M_RETURN_IF_ERROR(TakeWalk(WorkQueue::kResumeDownload, resume_cursor_, resume_done_, out));
  if (disk_.paused()) return Status::Ok();
  // Restored copies waiting (they expire), then everything readable.
  return TakeWalk(WorkQueue::kDownloadable, download_cursor_, download_done_, out);
}

Result<bool> DownloadStage::Admit(WorkItem item, std::vector<DownloadJob>& out) {
  const SpaceCheck space = disk_.Admit(item);
  if (space == SpaceCheck::kPause) return false;
  if (space == SpaceCheck::kGo) S3M_RETURN_IF_ERROR(Dispatch(std::move(item), out));
  return true;
}

Status DownloadStage::TakeReady(std::vector<DownloadJob>& out) {
  while (WantsMore() && ctx_.queues.HasReady(Lane::kDownload)) {
    const SpaceCheck space = disk_.Admit(ctx_.queues.PeekReady(Lane::kDownload));
    if (space == SpaceCheck::kPause) return Status::Ok();
    WorkItem item = ctx_.queues.PopReady(Lane::kDownload);
    if (space == SpaceCheck::kGo) S3M_RETURN_IF_ERROR(Dispatch(std::move(item), out));
  }
  return Status::Ok();
}

Status DownloadStage::TakeWalk(WorkQueue queue, int64_t& cursor, bool& done,
                               std::vector<DownloadJob>& out) {
  // Pages the size of what the pool takes: a pass reads no more than it uses.
  const size_t limit = std::min(static_cast<size_t>(kPageRows), static_cast<size_t>(ctx_.opt.concurrency) * 2);
  while (WantsMore() && !done) {
    S3M_ASSIGN_OR_RETURN(auto page, ctx_.db.Next(queue, cursor, static_cast<int>(limit)));
    if (page.size() < limit) done = true;
    for (WorkItem& item : page) {
      if (!ctx_.queues.Taken(item.id)) {
        const int64_t id = item.id;
        S3M_ASSIGN_OR_RETURN(bool go_on, Admit(std::move(item), out));
        if (!go_on) {
          done = false;  // this row again, when there is space
          return Status::Ok();
        }
        cursor = id;
      } else {
        cursor = item.id;
      }
      if (!WantsMore()) {
        if (&item != &page.back()) done = false;
        return Status::Ok();
      }
    }
  }
  return Status::Ok();
}

Status DownloadStage::Resume(const WorkItem& item, const std::string& path, DownloadJob& job) {
  if (static_cast<uint64_t>(item.size) <= ctx_.opt.chunk_size) return Status::Ok();
  S3M_ASSIGN_OR_RETURN(auto ranges, ctx_.db.DoneChunks(item.id));
  if (ranges.empty()) return Status::Ok();
  AtomicFile::Options options;
  options.resumable = true;
  auto file = AtomicFile::Resume(fs_, path, static_cast<uint64_t>(item.size), options);
  if (!file.ok()) return ctx_.db.ClearChunks(item.id);  // in this transaction, before a byte is written
  job.resumed = std::move(*file);
  for (const auto& [offset, length] : ranges) job.done.push_back({offset, length});
  return Status::Ok();
}

Status DownloadStage::Dispatch(WorkItem item, std::vector<DownloadJob>& out) {
  const FileState from = item.state;
  auto path = layout_.Choose(ctx_.db, item);
  if (!path.ok()) return setbacks_.FailAttempt(item, from, path.status(), Lane::kDownload);
  if (item.local_path && *item.local_path != *path) {
    // A partial download of an older version, left at the old name (rescan
    // found the object changed): it is this object's alone, and useless now.
    const Status removed = fs_.RemoveFile(AtomicFile::PartialPath(*item.local_path));
    if (!removed.ok() && removed.kind() != ErrorKind::kNotFound) {
      S3M_LOG_WARN("s3://{}/{}: {}", item.bucket, item.key, removed.ToString());
    }
  }
  DownloadJob job;
  S3M_RETURN_IF_ERROR(Resume(item, *path, job));
  FileChange change = StateChange(item.id, from, FileState::kDownloading);
  change.local_path = *path;
  S3M_ASSIGN_OR_RETURN(bool applied, ctx_.db.Apply(change));
  if (!applied) return Status::Ok();  // the row moved meanwhile (reset by the user)
  item.state = FileState::kDownloading;
  item.local_path = *path;
  ctx_.queues.StartDownload(item);
  job.path = *path;
  job.pin_with_if_match = setbacks_.Pinned(item.id);
  job.item = std::move(item);
  out.push_back(std::move(job));
  return Status::Ok();
}

Status DownloadStage::OnOutcome(const DownloadOutcome& out) {
  std::optional<WorkItem> handed = ctx_.queues.EndDownload(out.id);
  if (!handed) return Status::Ok();
  const WorkItem& item = *handed;
  const FileState from = FileState::kDownloading;
  switch (out.result) {
    case DownloadResult::kDone:
      return OnDone(item, out);
    case DownloadResult::kChanged:
      if (out.current) {
        return setbacks_.PreconditionFailed(item, from, out.status, *out.current, Lane::kDownload);
      }
      return setbacks_.FailAttempt(item, from, out.status, Lane::kDownload);
    case DownloadResult::kNeedsRestore:
      return OnNeedsRestore(item, out);
    case DownloadResult::kGone:
      return setbacks_.Gone(item, from, out.status);
    case DownloadResult::kPathConflict:
      return OnPathConflict(item, out);
    case DownloadResult::kMismatch:
      S3M_RETURN_IF_ERROR(ctx_.db.ClearChunks(item.id));
      return setbacks_.FailAttempt(item, from, out.status, Lane::kDownload);
    case DownloadResult::kFailed:
      if (IsDiskFull(out.status)) return OnDiskFull(item, out);
      return setbacks_.FailAttempt(item, from, out.status, Lane::kDownload);
    case DownloadResult::kCancelled:
      return Status::Ok();  // stays `downloading`; the next run resumes it
  }
  return Status::Ok();
}

// Downloaded and verified in one transaction; the delete request is handed
// out only after it commits (DeleteStage::Flush runs after the commit).
Status DownloadStage::OnDone(const WorkItem& item, const DownloadOutcome& out) {
  FileChange downloaded = StateChange(item.id, FileState::kDownloading, FileState::kDownloaded);
  downloaded.local_path = out.local_path;
  downloaded.sse_type = out.kept.sse_type;
  downloaded.content_type = out.kept.content_type;
  downloaded.user_metadata = JsonObjectOf(out.kept.user);
  downloaded.headers = JsonObjectOf(out.kept.headers);
  downloaded.tags = JsonObjectOf(out.kept.tags);
  downloaded.checksums = JsonObjectOf(out.kept.checksums);
  if (!out.attribute_note.empty() && !attribute_note_said_) {
    attribute_note_said_ = true;  // once a run: the cause is the filesystem's, not each file's
    S3M_LOG_WARN("s3://{}/{}: extended attributes not all kept on {}: {}; what S3 knew of each object is in "
                 "the state database and the manifest (--no-xattrs stops trying)",
                 item.bucket, item.key, out.local_path, out.attribute_note);
  }
  if (out.parts_count > 0) downloaded.parts_count = out.parts_count;
  if (out.part_size > 0) downloaded.part_size = static_cast<int64_t>(out.part_size);
  downloaded.reset_attempts = true;
  S3M_ASSIGN_OR_RETURN(bool applied, ctx_.db.Apply(downloaded));
  if (!applied) return Status::Ok();
  FileChange verified = StateChange(item.id, FileState::kDownloaded, FileState::kVerified);
  const bool size_only = !out.verification.content_verified();
  verified.verified_by = size_only ? std::string("size-only") : out.verification.method_name;
  verified.verified_checksum = size_only ? std::string() : out.verification.expected;
  S3M_ASSIGN_OR_RETURN(bool now_verified, ctx_.db.Apply(verified));
  if (!now_verified) return Status::Ok();  // only a row recorded verified may go to the delete stage
  // Finished ranges exist only for objects downloaded by ranges: larger than
  // this run's chunk size or than the smallest any run may have had.
  if (static_cast<uint64_t>(item.size) > std::min<uint64_t>(ctx_.opt.chunk_size, kSmallestChunk)) {
    S3M_RETURN_IF_ERROR(ctx_.db.ClearChunks(item.id));
  }
  ctx_.figures.downloaded.files += 1;
  ctx_.figures.downloaded.bytes += item.size;
  ctx_.figures.verified_by[*verified.verified_by] += 1;
  ctx_.failures.OnSuccess();
  disk_.OnDownloaded();
  if (size_only) {
    S3M_LOG_WARN("s3://{}/{} could only be verified by its size ({}): the local copy is kept "
                 "and the object stays in S3",
                 item.bucket, item.key, out.verification.message);
  }
  deletes_.Queue(item, size_only);
  return Status::Ok();
}

// Archived after all (Intelligent-Tiering archive tiers), or the restored
// copy expired before we got to it: ask (again).
Status DownloadStage::OnNeedsRestore(const WorkItem& item, const DownloadOutcome& out) {
  FileChange change = StateChange(item.id, FileState::kDownloading, FileState::kDiscovered);
  change.archived = true;
  change.restore_expiry = "";
  S3M_RETURN_IF_ERROR(ctx_.db.Apply(change).status());
  S3M_LOG_INFO("s3://{}/{} needs a restore first{}", item.bucket, item.key,
               out.archive_status.empty() ? "" : " (" + out.archive_status + ")");
  return setbacks_.Requeue(item.id, Lane::kRestore);
}

Status DownloadStage::OnPathConflict(const WorkItem& item, const DownloadOutcome& out) {
  auto fallback = layout_.ConflictFallback(ctx_.db, item);
  if (!fallback.ok() || item.local_path == *fallback) {
    return setbacks_.FailAttempt(item, FileState::kDownloading, out.status, Lane::kDownload);
  }
  FileChange change = StateChange(item.id, FileState::kDownloading, FileState::kDownloading);
  change.local_path = *fallback;
  S3M_RETURN_IF_ERROR(ctx_.db.Apply(change).status());
  S3M_LOG_WARN("s3://{}/{}: {} cannot be used ({}); storing it as {}", item.bucket, item.key,
               out.local_path, out.status.message(), *fallback);
  WorkItem again = item;
  again.local_path = *fallback;
  ctx_.queues.Push(std::move(again), Lane::kDownload, /*front=*/true);
  return Status::Ok();
}

// Not the object's fault: it waits for space without losing an attempt, and
// smaller objects go on. Three in a row (a quota statvfs does not show) stop
// the run.
Status DownloadStage::OnDiskFull(const WorkItem& item, const DownloadOutcome& out) {
  FileChange change = StateChange(item.id, FileState::kDownloading, FileState::kDiscovered);
  S3M_RETURN_IF_ERROR(ctx_.db.Apply(change).status());
  if (disk_.OnDiskFull(item) >= 3) ctx_.Stop(out.status);
  return Status::Ok();
}

}  // namespace s3m::engine
