#include "engine/failure_policy.h"

namespace s3m::engine {

PreconditionVerdict JudgePreconditionFailed(const std::string& recorded_etag, int64_t recorded_size,
                                            const std::string& current_etag, uint64_t current_size) {
  const bool same = !current_etag.empty() && current_etag == recorded_etag &&
                    recorded_size >= 0 && static_cast<uint64_t>(recorded_size) == current_size;
  return same ? PreconditionVerdict::kEndpointIgnoresCondition : PreconditionVerdict::kObjectChanged;
}

FailureAction FailurePolicy::OnFailure(const Status& cause, int64_t attempts) {
  switch (cause.kind()) {
    case ErrorKind::kAuth:
      return FailureAction::kStopRun;
    case ErrorKind::kAccessDenied:
      return ++denied_in_a_row_ >= kDeniedStreakToStop ? FailureAction::kStopRun
                                                       : FailureAction::kFailObject;
    default:
      return attempts >= max_attempts_ ? FailureAction::kFailObject : FailureAction::kRetryLater;
  }
}

}  // namespace s3m::engine
