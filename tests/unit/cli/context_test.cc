// The documented exit codes (PRODUCT.md §1) of a command that failed as a whole.
#include "cli/context.h"

#include <gtest/gtest.h>

#include "cli/app.h"

namespace s3m::cli {
namespace {

struct ExitCase {
  ErrorKind kind;
  int exit_code;
};

TEST(ExitCodeForTest, MapsEveryErrorKind) {
  const ExitCase cases[] = {
      {ErrorKind::kInvalidArgument, kExitUsage},
      {ErrorKind::kCancelled, kExitInterrupted},
      {ErrorKind::kTransient, kExitFatal},
      {ErrorKind::kThrottled, kExitFatal},
      {ErrorKind::kNotFound, kExitFatal},
      {ErrorKind::kAuth, kExitFatal},
      {ErrorKind::kAccessDenied, kExitFatal},
      {ErrorKind::kNeedsRestore, kExitFatal},
      {ErrorKind::kConflict, kExitFatal},
      {ErrorKind::kPreconditionFailed, kExitFatal},
      {ErrorKind::kUnsupported, kExitFatal},
      {ErrorKind::kStateLost, kExitFatal},
      {ErrorKind::kFatal, kExitFatal},
  };
  for (const ExitCase& c : cases) {
    EXPECT_EQ(ExitCodeFor(Status::Error(c.kind, "failed")), c.exit_code) << ErrorKindName(c.kind);
  }
  EXPECT_EQ(ExitCodeFor(Status::Ok()), kExitOk);
}

}  // namespace
}  // namespace s3m::cli
