#include "engine/core/setbacks.h"

#include <fmt/format.h>

#include "core/logging.h"
#include "core/time_format.h"

namespace s3m::engine {

using store::FileChange;
using store::FileState;
using store::WorkItem;

void Setbacks::StopRun(const Status& cause) {
  if (cause.kind() != ErrorKind::kAccessDenied) {
    ctx_.Stop(cause);
    return;
  }
  ctx_.Stop(Status::Error(
      ErrorKind::kAuth,
      fmt::format("access denied (403) on {} objects in a row and none readable: the credentials "
                  "or their policy deny this bucket, not only some objects (last: {}); fix the "
                  "policy, then `s3migrate retry` and run migrate again",
                  FailurePolicy::kDeniedStreakToStop, cause.ToString()),
      cause.context()));
}

FileChange Setbacks::ErrorChange(const WorkItem& item, FileState from, const Status& cause,
                                 int64_t attempts) {
  FileChange change = StateChange(item.id, from, FileState::kError);
  change.error_message = cause.kind() == ErrorKind::kAccessDenied
                             ? fmt::format("{} (not retried: access is denied; after granting "
                                           "it, `s3migrate retry`)",
                                           cause.ToString())
                             : fmt::format("{} (after {} attempts)", cause.ToString(), attempts);
  ctx_.figures.CountError(cause.kind());
  S3M_LOG_WARN("giving up on s3://{}/{}: {}", item.bucket, item.key, *change.error_message);
  return change;
}

void Setbacks::ScheduleRetry(const WorkItem& item, const Status& cause, int64_t attempts, Lane lane) {
  WorkItem retry = item;
  retry.attempts = attempts;
  retry.state = FileState::kDiscovered;
  const auto at = ctx_.now() + ctx_.backoff.DelayFor(static_cast<int>(attempts - 1), cause.kind());
  ctx_.queues.RetryAt(std::move(retry), lane, at);
  ctx_.figures.CountRetry(cause.kind());
  S3M_LOG_INFO("s3://{}/{}: attempt {} failed, retrying later: {}", item.bucket, item.key, attempts,
               cause.ToString());
}

Status Setbacks::FailAttempt(const WorkItem& item, FileState from, const Status& cause, Lane lane) {
  const int64_t attempts = item.attempts + 1;
  const FailureAction action = ctx_.failures.OnFailure(cause, attempts);
  if (action == FailureAction::kStopRun) {
    StopRun(cause);
    // Rejected credentials say nothing about this object: its row stays.
    // A denial that ended a streak is still this object's own failure.
    if (cause.kind() != ErrorKind::kAccessDenied) return Status::Ok();
  }
  if (action != FailureAction::kRetryLater) {
    return ctx_.db.Apply(ErrorChange(item, from, cause, attempts)).status();
  }
  FileChange change = StateChange(item.id, from, FileState::kDiscovered);
  change.count_attempt = true;
  ScheduleRetry(item, cause, attempts, lane);
  return ctx_.db.Apply(change).status();
}

Status Setbacks::PreconditionFailed(const WorkItem& item, FileState from, const Status& cause,
                                    const s3::ObjectMetadata& current, Lane lane) {
  if (JudgePreconditionFailed(item.etag, item.size, current.etag, current.content_length) ==
      PreconditionVerdict::kObjectChanged) {
    return RecordChanged(item, from, current);
  }
  if (unpinned_.insert(item.id).second) {
    S3M_LOG_WARN("s3://{}/{}: the server answered 412 to If-Match \"{}\" although the object's "
                 "ETag is that; it is fetched without the condition from now on and verified "
                 "against the recorded ETag/checksum",
                 item.bucket, item.key, item.etag);
  }
  return FailAttempt(item, from, cause, lane);
}

Status Setbacks::Gone(const WorkItem& item, FileState from, const Status& cause) {
  FileChange change = StateChange(item.id, from, FileState::kError);
  change.error_message =
      fmt::format("gone from S3 before it was downloaded ({}); `s3migrate rescan {}` records it",
                  cause.ToString(), item.bucket);
  ctx_.figures.CountError(cause.kind());
  return ctx_.db.Apply(change).status();
}

Status Setbacks::Requeue(int64_t id, Lane lane) {
  S3M_ASSIGN_OR_RETURN(std::optional<WorkItem> row, ctx_.db.Get(id));
  if (!row || row->state != FileState::kDiscovered || ctx_.queues.Taken(id)) return Status::Ok();
  ctx_.queues.Push(std::move(*row), lane);
  return Status::Ok();
}

Status Setbacks::RecordChanged(const WorkItem& item, FileState from, const s3::ObjectMetadata& current) {
  store::ChangedObject changed;
  changed.id = item.id;
  changed.from = from;
  changed.etag = current.etag;
  changed.size = static_cast<int64_t>(current.content_length);
  changed.version_id = item.bucket_versioned ? current.version_id : item.version_id;
  changed.last_modified = current.last_modified.empty() ? item.last_modified : current.last_modified;
  if (auto t = ParseHttpDate(current.last_modified)) changed.last_modified = FormatIso8601(*t);
  changed.storage_class = current.storage_class.empty() ? "STANDARD" : current.storage_class;
  changed.archived = store::StorageClassNeedsRestore(changed.storage_class);
  S3M_LOG_WARN("s3://{}/{} changed in S3 since it was scanned (ETag \"{}\" -> \"{}\"): it will be "
               "downloaded again, and nothing was deleted",
               item.bucket, item.key, item.etag, current.etag);
  S3M_ASSIGN_OR_RETURN(bool applied, ctx_.db.RecordChanged(changed));
  if (!applied) return Status::Ok();
  return Requeue(item.id, changed.archived ? Lane::kRestore : Lane::kDownload);
}

}  // namespace s3m::engine
