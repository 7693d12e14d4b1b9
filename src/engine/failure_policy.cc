#include "engine/failure_policy.h"

namespace s3m::engine {

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
