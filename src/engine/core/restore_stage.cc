#include "engine/core/restore_stage.h"

#include <algorithm>

#include "core/logging.h"
#include "core/time_format.h"

namespace s3m::engine {

using store::FileChange;
using store::FileState;
using store::WorkItem;
using store::WorkQueue;

namespace {

std::string Now(Clock& clock) { return FormatIso8601(clock.Now(), Iso8601Precision::kSeconds); }
}  // namespace

int64_t RestoreStage::Capacity() const {
  return RestoreCapacity(ctx_.opt.max_restores_in_flight,
                         static_cast<int64_t>(pending_requests_) + others_pending_, in_flight_, ready_);
}

void RestoreStage::Count(const store::StateTotals& totals) {
  in_flight_ = totals.by_state[static_cast<size_t>(FileState::kGlacierRestoreRequested)].files +
               totals.by_state[static_cast<size_t>(FileState::kGlacierRestoring)].files -
               totals.restored_ready;
  ready_ = totals.restored_ready;
}

void RestoreStage::Request(WorkItem item, std::vector<RestoreJob>& out) {
  // Requests are spaced by the rate limit: each takes the next slot.
  const double interval_ns = 1e9 / std::max(1.0, ctx_.opt.restore_requests_per_second);
  next_token_ = std::max(next_token_, ctx_.now()) +
                std::chrono::nanoseconds(static_cast<int64_t>(interval_ns));
  ctx_.queues.MarkBusy(item.id);
  ++pending_requests_;
  ++taken_;
  out.push_back(RestoreJob{std::move(item), next_token_,
                           RestoreSettings{ctx_.opt.restore_days, ctx_.opt.restore_tier}});
}

Status RestoreStage::TakeRequests(std::vector<RestoreJob>& out) {
  const bool asking = !ctx_.opt.dry_run && (ctx_.queues.HasReady(Lane::kRestore) || !walked_);
  // Workers sharing a state share the limits: the shared row is locked
  // before the totals are read, so that they count every restore another
  // worker recorded, and its requests still unanswered come with it.
  store::RestoreShare share;
  if (asking) {
    S3M_ASSIGN_OR_RETURN(share, ctx_.db.LockRestoreShare());
  }
  // The limit counts rows as this step left them so far (restored copies
  // just handed to the pool no longer hold a place).
  S3M_ASSIGN_OR_RETURN(store::StateTotals totals, ctx_.db.Totals());
  Count(totals);
  if (asking) {
    others_pending_ = share.others_pending;
    if (share.shared && share.last_slot_in.count() > 0) {
      next_token_ = std::max(next_token_, ctx_.now() + share.last_slot_in);
    }
    taken_ = 0;
    S3M_RETURN_IF_ERROR(TakeUpToCapacity(out));
  }
  if (pending_requests_ == pending_shared_ && taken_ == 0) return Status::Ok();
  // What this worker holds, for the others (a no-op when nothing is shared).
  std::optional<std::chrono::microseconds> last_slot;
  if (taken_ > 0) last_slot = std::chrono::duration_cast<std::chrono::microseconds>(next_token_ - ctx_.now());
  S3M_RETURN_IF_ERROR(ctx_.db.ShareRestores(static_cast<int64_t>(pending_requests_), last_slot));
  pending_shared_ = pending_requests_;
  taken_ = 0;
  return Status::Ok();
}

Status RestoreStage::TakeUpToCapacity(std::vector<RestoreJob>& out) {
  while (Capacity() > 0 && ctx_.queues.HasReady(Lane::kRestore)) {
    Request(ctx_.queues.PopReady(Lane::kRestore), out);
  }
  while (Capacity() > 0 && !walked_) {
    const int limit = static_cast<int>(std::min<int64_t>(kPageRows, Capacity()));
    S3M_ASSIGN_OR_RETURN(auto page, ctx_.db.Next(WorkQueue::kNeedsRestore, cursor_, limit));
    if (page.empty()) walked_ = true;
    for (WorkItem& item : page) {
      cursor_ = item.id;
      if (ctx_.queues.Taken(item.id)) continue;
      Request(std::move(item), out);
      if (Capacity() <= 0) break;
    }
  }
  return Status::Ok();
}

Status RestoreStage::TakePolls(std::vector<RestoreCheck>& out) {
  const Mono now = ctx_.now();
  if (polls_outstanding_ > 0 || now < next_poll_) return Status::Ok();
  // Every restore in flight is checked once per interval, with parallel
  // HEADs (cheap: at most max_glacier_restores of them). Restored copies
  // found here go to the front of the download lane.
  for (WorkQueue queue : {WorkQueue::kRestoreRequested, WorkQueue::kRestoring}) {
    int64_t cursor = 0;
    for (;;) {
      S3M_ASSIGN_OR_RETURN(auto page, ctx_.db.Next(queue, cursor, kPageRows));
      for (WorkItem& item : page) {
        cursor = item.id;
        if (ctx_.queues.Taken(item.id)) continue;
        if (item.restore_expiry) {
          ctx_.queues.Push(std::move(item), Lane::kDownload, /*front=*/true);
          continue;
        }
        ctx_.queues.MarkBusy(item.id);
        ++polls_outstanding_;
        const bool pin = setbacks_.Pinned(item.id);
        out.push_back(RestoreCheck{std::move(item), pin});
      }
      if (page.size() < static_cast<size_t>(kPageRows)) break;
    }
  }
  next_poll_ = now + ctx_.opt.restore_poll_interval;
  return Status::Ok();
}

Status RestoreStage::OnAnswer(const RestoreAnswered& answer) {
  ctx_.queues.Release(answer.item.id);
  if (answer.was_request) {
    --pending_requests_;
  } else if (polls_outstanding_ > 0) {
    --polls_outstanding_;
  }
  if (answer.outcome.status.kind() == ErrorKind::kCancelled) return Status::Ok();
  if (!answer.outcome.note.empty()) {
    S3M_LOG_INFO("s3://{}/{}: {}", answer.item.bucket, answer.item.key, answer.outcome.note);
  }
  return answer.was_request ? OnRequestAnswer(answer.item, answer.outcome)
                            : OnCheckAnswer(answer.item, answer.outcome);
}

// A RestoreObject's answer. Requests start from `discovered`.
Status RestoreStage::OnRequestAnswer(const WorkItem& item, const RestoreOutcome& out) {
  const FileState from = FileState::kDiscovered;
  switch (out.result) {
    case RestoreResult::kRequested:
    case RestoreResult::kInProgress: {
      ++ctx_.figures.restores_requested;
      FileChange change = StateChange(item.id, from, out.result == RestoreResult::kRequested ? FileState::kGlacierRestoreRequested
                                                          : FileState::kGlacierRestoring);
      change.restore_requested_at = out.result == RestoreResult::kRequested
                                        ? Now(ctx_.clock)
                                        : item.restore_requested_at.value_or(Now(ctx_.clock));
      change.restore_tier = out.tier;
      return ctx_.db.Apply(change).status();
    }
    case RestoreResult::kNotRestored:
    case RestoreResult::kFailed:
      return setbacks_.FailAttempt(item, from, out.status, Lane::kRestore);
    default:
      return Settled(item, from, out);
  }
}

// A status check's answer, for a row in glacier_restore_requested/restoring.
Status RestoreStage::OnCheckAnswer(const WorkItem& item, const RestoreOutcome& out) {
  const FileState from = item.state;
  switch (out.result) {
    case RestoreResult::kRequested:
    case RestoreResult::kInProgress: {
      FileChange change = StateChange(item.id, from, FileState::kGlacierRestoring);
      return ctx_.db.Apply(change).status();
    }
    case RestoreResult::kNotRestored:
      return NotRestored(item);
    case RestoreResult::kFailed:
      // Denied or rejected: the object's (or the run's) failure. Anything
      // else: the check is simply repeated at the next poll.
      if (out.status.kind() == ErrorKind::kAccessDenied || out.status.kind() == ErrorKind::kAuth) {
        return setbacks_.FailAttempt(item, from, out.status, Lane::kRestore);
      }
      return Status::Ok();
    default:
      return Settled(item, from, out);
  }
}

// Answers that mean the same after a request or a check: restored, readable
// without a restore, changed, gone.
Status RestoreStage::Settled(const WorkItem& item, FileState from, const RestoreOutcome& out) {
  switch (out.result) {
    case RestoreResult::kRestored:
      return Restored(item, from, out);
    case RestoreResult::kReadable: {
      FileChange change = StateChange(item.id, from, FileState::kDiscovered);
      change.archived = false;
      S3M_RETURN_IF_ERROR(ctx_.db.Apply(change).status());
      return setbacks_.Requeue(item.id, Lane::kDownload);
    }
    case RestoreResult::kChanged:
      if (out.current) {
        return setbacks_.PreconditionFailed(item, from, out.status, *out.current, Lane::kRestore);
      }
      return setbacks_.FailAttempt(item, from, out.status, Lane::kRestore);
    case RestoreResult::kGone:
      return setbacks_.Gone(item, from, out.status);
    default:
      return setbacks_.FailAttempt(item, from, out.status, Lane::kRestore);
  }
}

Status RestoreStage::Restored(const WorkItem& item, FileState from, const RestoreOutcome& out) {
  FileChange change = StateChange(item.id, from, FileState::kGlacierRestoring);
  // No expiry (Intelligent-Tiering: back in a frequent tier for good):
  // readable until further notice.
  change.restore_expiry = out.expiry ? FormatIso8601(*out.expiry) : "9999-12-31T00:00:00Z";
  S3M_ASSIGN_OR_RETURN(bool applied, ctx_.db.Apply(change));
  if (!applied) return Status::Ok();
  WorkItem ready = item;
  ready.state = FileState::kGlacierRestoring;
  ready.restore_expiry = change.restore_expiry;
  ctx_.queues.Push(std::move(ready), Lane::kDownload, /*front=*/true);  // before it expires
  return Status::Ok();
}

// Nothing under way: never asked, or the restored copy expired. A request
// younger than the grace period may not show yet.
Status RestoreStage::NotRestored(const WorkItem& item) {
  if (item.restore_requested_at) {
    if (auto at = ParseIso8601(*item.restore_requested_at);
        at && ctx_.clock.Now() - *at < kRestoreGrace) {
      return Status::Ok();
    }
  }
  FileChange change = StateChange(item.id, item.state, FileState::kDiscovered);
  change.restore_expiry = "";
  S3M_LOG_INFO("s3://{}/{}: no restore under way (expired or lost): asking again", item.bucket,
               item.key);
  S3M_RETURN_IF_ERROR(ctx_.db.Apply(change).status());
  return setbacks_.Requeue(item.id, Lane::kRestore);
}

bool RestoreStage::Idle() const {
  return pending_requests_ == 0 && polls_outstanding_ == 0 && !ctx_.queues.HasReady(Lane::kRestore) &&
         (ctx_.opt.dry_run || (walked_ && in_flight_ == 0 && ready_ == 0));
}

std::optional<RestoreStage::Mono> RestoreStage::next_poll() const {
  if (in_flight_ <= 0) return std::nullopt;
  return next_poll_;
}

}  // namespace s3m::engine

