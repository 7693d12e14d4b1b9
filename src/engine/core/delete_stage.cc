#include "engine/core/delete_stage.h"

#include <cerrno>

#include <fmt/format.h>

#include "core/logging.h"

namespace s3m::engine {

using store::FileChange;
using store::FileState;
using store::WorkItem;

DeleteRequest DeleteRequestFor(const WorkItem& item, bool size_only) {
  return DeleteRequest{item.id,   item.bucket, item.key, item.bucket_versioned ? item.version_id : "",
                       item.etag, item.size,   size_only};
}

void DeleteStage::Queue(const WorkItem& item, bool size_only) {
  DeleteRequest request = DeleteRequestFor(item, size_only);
  if (policy_.Refusal(request)) return;  // stays verified, reported as left behind
  ctx_.queues.MarkBusy(item.id);
  scheduler_.Add(std::move(request), ctx_.now());
}

Status DeleteStage::TakeVerified() {
  if (policy_.RefusesEverything()) return Status::Ok();
  while (!walked_ && scheduler_.WantsMore()) {
    S3M_ASSIGN_OR_RETURN(auto page, ctx_.db.Next(store::WorkQueue::kVerified, cursor_, kPageRows));
    if (page.size() < static_cast<size_t>(kPageRows)) walked_ = true;
    for (WorkItem& item : page) {
      cursor_ = item.id;
      if (ctx_.queues.Taken(item.id)) continue;
      S3M_ASSIGN_OR_RETURN(bool on_disk, CopyStillThere(item));
      if (on_disk) Queue(item, item.verified_by.value_or("") == "size-only");
    }
  }
  return Status::Ok();
}

namespace {
// True when `stat_error` says the path names nothing: no such file, or a
// component of it is no longer a directory.
bool CopyIsAbsent(const Status& stat_error) {
  const int err = stat_error.context().sys_errno;
  return stat_error.kind() == ErrorKind::kNotFound || err == ENOENT || err == ENOTDIR;
}
}  // namespace

Result<bool> DeleteStage::CopyStillThere(const WorkItem& item) {
  const std::string path = item.local_path.value_or("");
  Result<FileInfo> info = path.empty() ? Result<FileInfo>(Status::Error(ErrorKind::kNotFound, "no local path"))
                                       : fs_.LinkStat(path);
  if (info.ok() && info->type == FileType::kRegular && info->size == static_cast<uint64_t>(item.size)) {
    return true;
  }
  if (!info.ok() && !CopyIsAbsent(info.status())) {
    // The disk could not say (EIO, EACCES, a destination gone away): the row
    // stays verified and S3 untouched; a later run looks again.
    ctx_.figures.CountError(info.status().kind());
    S3M_LOG_WARN("s3://{}/{}: cannot check the verified copy at {} ({}); not deleted from S3 this run",
                 item.bucket, item.key, path, info.status().message());
    return false;
  }
  FileChange change = StateChange(item.id, FileState::kVerified, FileState::kError);
  change.error_message = fmt::format(
      "the verified copy at {} is {}: not deleted from S3; `s3migrate reset {} {}` downloads it again",
      path.empty() ? "(none recorded)" : path,
      !info.ok()                             ? "missing (" + info.status().message() + ")"
      : info->type != FileType::kRegular     ? std::string("no longer a regular file")
                                             : fmt::format("{} bytes, not {}", info->size, item.size),
      item.bucket, item.key);
  ctx_.figures.CountError(ErrorKind::kNotFound);
  S3M_LOG_WARN("s3://{}/{}: {}", item.bucket, item.key, *change.error_message);
  S3M_RETURN_IF_ERROR(ctx_.db.Apply(change).status());
  return false;
}

void DeleteStage::Flush(std::vector<DeleteBatch>& out, bool nothing_more_coming) {
  for (DeleteBatch& batch : scheduler_.TakeBatches(ctx_.now(), nothing_more_coming)) {
    out.push_back(std::move(batch));
  }
}

Status DeleteStage::OnAnswer(const DeleteAnswered& answer, std::vector<int64_t>& deleted) {
  scheduler_.BatchDone();
  for (size_t i = 0; i < answer.outcomes.size() && i < answer.requests.size(); ++i) {
    const DeleteOutcome& out = answer.outcomes[i];
    const DeleteRequest& req = answer.requests[i];
    ctx_.queues.Release(req.id);
    switch (out.result) {
      case DeleteResult::kDeleted:
      case DeleteResult::kAlreadyGone: {
        FileChange change = StateChange(req.id, FileState::kVerified, FileState::kDeleted);
        S3M_ASSIGN_OR_RETURN(bool applied, ctx_.db.Apply(change));
        if (applied) deleted.push_back(req.id);
        if (out.result == DeleteResult::kDeleted) {
          ctx_.figures.deleted.files += 1;
          ctx_.figures.deleted.bytes += req.size;
        }
        ctx_.failures.OnSuccess();
        attempts_.erase(req.id);
        break;
      }
      case DeleteResult::kWouldDelete:
        ctx_.figures.would_delete.files += 1;
        ctx_.figures.would_delete.bytes += req.size;
        break;
      case DeleteResult::kRefused:
        break;  // reported as left behind
      case DeleteResult::kChanged: {
        S3M_ASSIGN_OR_RETURN(std::optional<WorkItem> row, ctx_.db.Get(req.id));
        if (row && out.current) {
          S3M_RETURN_IF_ERROR(setbacks_.RecordChanged(*row, FileState::kVerified, *out.current));
        }
        break;
      }
      case DeleteResult::kFailed:
        S3M_RETURN_IF_ERROR(OnFailed(req, out));
        break;
    }
  }
  return Status::Ok();
}

// The row stays verified and the delete is sent again after a back-off; when
// the failure policy gives up, the row goes to `error` (the local copy is
// kept, the object stays in S3).
Status DeleteStage::OnFailed(const DeleteRequest& req, const DeleteOutcome& out) {
  const int64_t attempts = ++attempts_[req.id];
  const FailureAction action = ctx_.failures.OnFailure(out.status, attempts);
  if (action == FailureAction::kStopRun) {
    setbacks_.StopRun(out.status);
    if (out.status.kind() != ErrorKind::kAccessDenied) return Status::Ok();
  }
  S3M_ASSIGN_OR_RETURN(std::optional<WorkItem> row, ctx_.db.Get(req.id));
  if (!row || row->state != FileState::kVerified) return Status::Ok();
  if (action == FailureAction::kRetryLater) {
    ctx_.figures.CountRetry(out.status.kind());
    ctx_.queues.MarkBusy(req.id);  // until the retry's outcome
    scheduler_.RetryAt(req, ctx_.now() + ctx_.backoff.DelayFor(static_cast<int>(attempts - 1),
                                                               out.status.kind()));
    return Status::Ok();
  }
  FileChange change = StateChange(req.id, FileState::kVerified, FileState::kError);
  change.error_message = fmt::format(
      "verified and kept locally, but the delete from S3 failed {} times: {}", attempts,
      out.status.ToString());
  ctx_.figures.CountError(out.status.kind());
  attempts_.erase(req.id);
  return ctx_.db.Apply(change).status();
}

}  // namespace s3m::engine
