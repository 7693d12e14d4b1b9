#include "engine/failure_policy.h"

#include <gtest/gtest.h>

namespace s3m::engine {
namespace {

Status Err(ErrorKind kind) { return Status::Error(kind, "x"); }

TEST(FailurePolicyTest, PerObjectFailuresStayPerObject) {
  struct Case {
    ErrorKind kind;
    int64_t attempts;
    FailureAction expected;
  };
  for (const Case& c : {
           Case{ErrorKind::kTransient, 1, FailureAction::kRetryLater},
           Case{ErrorKind::kThrottled, 4, FailureAction::kRetryLater},
           Case{ErrorKind::kTransient, 5, FailureAction::kFailObject},
           Case{ErrorKind::kFatal, 5, FailureAction::kFailObject},
           Case{ErrorKind::kPreconditionFailed, 2, FailureAction::kRetryLater},
           // One unreadable object fails alone, at once, and the run goes on.
           Case{ErrorKind::kAccessDenied, 1, FailureAction::kFailObject},
           // Rejected credentials stop the run.
           Case{ErrorKind::kAuth, 1, FailureAction::kStopRun},
       }) {
    FailurePolicy policy(5);
    EXPECT_EQ(policy.OnFailure(Err(c.kind), c.attempts), c.expected)
        << ErrorKindName(c.kind) << " attempt " << c.attempts;
  }
}

TEST(FailurePolicyTest, ManyDenialsInARowStopTheRun) {
  FailurePolicy policy(5);
  for (int i = 1; i < FailurePolicy::kDeniedStreakToStop; ++i) {
    ASSERT_EQ(policy.OnFailure(Err(ErrorKind::kAccessDenied), 1), FailureAction::kFailObject) << i;
  }
  EXPECT_EQ(policy.OnFailure(Err(ErrorKind::kAccessDenied), 1), FailureAction::kStopRun);
}

TEST(FailurePolicyTest, ASuccessEndsTheStreak) {
  FailurePolicy policy(5);
  for (int round = 0; round < 3; ++round) {
    for (int i = 1; i < FailurePolicy::kDeniedStreakToStop; ++i) {
      ASSERT_EQ(policy.OnFailure(Err(ErrorKind::kAccessDenied), 1), FailureAction::kFailObject);
    }
    // Other failures neither end nor extend it.
    EXPECT_EQ(policy.OnFailure(Err(ErrorKind::kTransient), 1), FailureAction::kRetryLater);
    EXPECT_EQ(policy.denied_in_a_row(), FailurePolicy::kDeniedStreakToStop - 1);
    policy.OnSuccess();
    EXPECT_EQ(policy.denied_in_a_row(), 0);
  }
}

TEST(FailurePolicyTest, PreconditionFailedCannotSpin) {
  struct Case {
    std::string recorded_etag;
    int64_t recorded_size;
    std::string current_etag;
    uint64_t current_size;
    PreconditionVerdict expected;
  };
  for (const Case& c : {
           Case{"abc-3", 100, "abc-3", 100, PreconditionVerdict::kEndpointIgnoresCondition},
           Case{"abc-3", 100, "def-3", 100, PreconditionVerdict::kObjectChanged},
           Case{"abc", 100, "abc", 101, PreconditionVerdict::kObjectChanged},
           Case{"abc", 100, "", 100, PreconditionVerdict::kObjectChanged},
       }) {
    EXPECT_EQ(JudgePreconditionFailed(c.recorded_etag, c.recorded_size, c.current_etag, c.current_size),
              c.expected)
        << c.recorded_etag << " " << c.current_etag;
  }
}

}  // namespace
}  // namespace s3m::engine
