// --max-requests-per-second end to end: a migration on the emulator keeps
// every kind of S3 request within the budget, measured by the emulator's own
// request counters over a 10 s window mid-run (issue 21).
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "emulator_fixture.h"

namespace s3m::testing {
namespace {

using PacingTest = EmulatorMigrateTest;

int64_t AllRequests(const S3emuProcess& emu) {
  const nlohmann::json counters = emu.AdminGet("/counters");  // kept: items() refers into it
  int64_t total = 0;
  for (const auto& entry : counters["requests"].items()) total += entry.value().get<int64_t>();
  return total;
}

TEST_F(PacingTest, TheRequestLimitHoldsWithinTenPercentOverTenSeconds) {
  CreateBucket("paced");
  for (int i = 0; i < 400; ++i) Put("paced", fmt::format("k{:04}", i), fmt::format("body {}", i));
  ASSERT_EQ(run_->Run({"scan"}).exit_code, 0);
  // The window is timed, not assumed: on a loaded machine a 10 s sleep can
  // last longer, and dividing by 10 would then report a rate the run never had.
  int64_t at_start = 0, at_end = 0;
  double window_seconds = 0;
  ProcessResult r = run_->Run({"--max-requests-per-second", "20", "migrate"}, [&](pid_t) {
    std::this_thread::sleep_for(std::chrono::seconds(2));  // past the start-up
    at_start = AllRequests(*emu_);
    const auto from = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(std::chrono::seconds(10));
    at_end = AllRequests(*emu_);
    window_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - from).count();
  });
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  ASSERT_GT(window_seconds, 0);
  const double rate = static_cast<double>(at_end - at_start) / window_seconds;
  const std::string seen = fmt::format("{} requests in {:.2f} s", at_end - at_start, window_seconds);
  EXPECT_GE(rate, 18.0) << seen;
  EXPECT_LE(rate, 22.0) << seen;
  ExpectAllRowsIn("deleted");
}

}  // namespace
}  // namespace s3m::testing
