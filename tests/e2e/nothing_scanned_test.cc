// Commands that work on what `scan` recorded (migrate, rescan, reset, retry)
// say so and exit 2 when nothing was scanned, instead of creating an empty
// database and reporting success (issue 21).
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "emulator_fixture.h"

namespace s3m::testing {
namespace {

using NothingScannedTest = EmulatorMigrateTest;

const std::vector<std::vector<std::string>> kCommands = {
    {"migrate"}, {"rescan", "--all"}, {"rescan", "photos"}, {"retry"}, {"reset", "photos", "a.jpg"}};

TEST_F(NothingScannedTest, WithoutADatabaseNothingIsCreatedAndTheCommandSaysScanFirst) {
  for (const auto& args : kCommands) {
    SCOPED_TRACE(args[0]);
    ProcessResult r = run_->Run(args);
    EXPECT_EQ(r.exit_code, 2) << Describe(r);
    EXPECT_NE(r.err.find("nothing scanned yet (no state database here); run `s3migrate scan` first"),
              std::string::npos)
        << r.err;
    EXPECT_NE(access(run_->db().c_str(), F_OK), 0) << "a database was created";
  }
}

TEST_F(NothingScannedTest, ADatabaseWithoutBucketsIsNothingScannedToo) {
  ProcessResult scan = run_->Run({"scan"});  // the emulator has no bucket yet
  ASSERT_EQ(scan.exit_code, 0) << Describe(scan);
  ASSERT_EQ(access(run_->db().c_str(), F_OK), 0);
  for (const auto& args : kCommands) {
    SCOPED_TRACE(args[0]);
    ProcessResult r = run_->Run(args);
    EXPECT_EQ(r.exit_code, 2) << Describe(r);
    EXPECT_NE(r.err.find("nothing scanned yet (the state database records no bucket)"), std::string::npos)
        << r.err;
  }
  // Once a bucket is scanned they work.
  CreateBucket("photos");
  Put("photos", "a.jpg", "jpeg");
  ASSERT_EQ(run_->Run({"scan"}).exit_code, 0);
  ProcessResult migrate = run_->Run({"migrate"});
  EXPECT_EQ(migrate.exit_code, 0) << Describe(migrate);
  ExpectAllRowsIn("deleted");
}

}  // namespace
}  // namespace s3m::testing
