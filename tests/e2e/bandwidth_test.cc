// --bwlimit end to end on s3emu (issue 21): a limit holds over the run, a
// timetable switches mid-run, and a changed config file (or SIGHUP) takes
// effect without a restart. Bytes over time come from the progress samples
// migrate stores every second (bytes_received, at): asserted as bounds on
// bytes per window, never on exact timings.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "core/time_format.h"
#include "emulator_fixture.h"

namespace s3m::testing {
namespace {

constexpr double kMiB = 1 << 20;

class BandwidthTest : public EmulatorMigrateTest {
 protected:
  void SetUp() override {
    EmulatorMigrateTest::SetUp();
    run_->AddConfig("progress_sample_interval = 1");
    CreateBucket("paced");
    // 20 MiB: ten objects of 2 MiB (each fetched in 1 MiB ranges).
    for (int i = 0; i < 10; ++i) Put("paced", fmt::format("part-{}", i), TestBytes(2 << 20, 100 + i));
    ASSERT_EQ(run_->Run({"scan"}).exit_code, 0);
  }

  struct Sample {
    double at = 0;  // seconds since the first sample
    double bytes = 0;
  };
  // The run's progress samples, oldest first.
  std::vector<Sample> Samples() {
    std::vector<Sample> out;
    for (const std::string& row : Sql(run_->db(), "SELECT at || ' ' || bytes_received FROM progress_samples "
                                                  "ORDER BY id")) {
      const size_t space = row.find(' ');
      auto at = ParseIso8601(row.substr(0, space));
      EXPECT_TRUE(at.has_value()) << row;
      if (!at) continue;
      const double seconds = std::chrono::duration<double>(at->time_since_epoch()).count();
      out.push_back({seconds, std::stod(row.substr(space + 1))});
    }
    for (Sample& s : out) s.at -= out.empty() ? 0 : out.front().at;
    return out;
  }

  // HH:MM:SS, local time, `offset` from now.
  static std::string LocalClock(std::chrono::seconds offset) {
    const time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() + offset);
    struct tm local {};
    localtime_r(&t, &local);
    return fmt::format("{:02}:{:02}:{:02}", local.tm_hour, local.tm_min, local.tm_sec);
  }

  // Rewrites the config's bwlimit line (keeping or moving its mtime).
  void SetConfiguredLimit(const std::string& value, bool keep_mtime) {
    const std::string path = run_->dir() + "/s3migrate.toml";
    struct stat before {};
    ASSERT_EQ(::stat(path.c_str(), &before), 0);
    std::ifstream in(path);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const size_t line = text.find("bwlimit = ");
    ASSERT_NE(line, std::string::npos);
    text.replace(line, text.find('\n', line) - line, "bwlimit = \"" + value + "\"");
    std::ofstream(path, std::ios::trunc) << text;
    if (keep_mtime) {
      const struct timespec times[2] = {before.st_atim, before.st_mtim};
      ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
    }
  }
};

TEST_F(BandwidthTest, TwentyMebibytesAtTwoPerSecondTakeAtLeastNineSeconds) {
  const auto start = std::chrono::steady_clock::now();
  ProcessResult r = run_->Run({"--bwlimit", "2M", "migrate"});
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  ExpectAllRowsIn("deleted");
  ExpectLocalCopies("paced");
  EXPECT_GE(elapsed, 9.0);
  // Over every window of 3 s or more: at most 2 MiB/s, give or take the
  // burst and the samples' one-second resolution.
  const std::vector<Sample> samples = Samples();
  ASSERT_GE(samples.size(), 8u);
  for (size_t i = 0; i < samples.size(); ++i) {
    for (size_t j = i + 1; j < samples.size(); ++j) {
      const double window = samples[j].at - samples[i].at;
      if (window < 3) continue;
      EXPECT_LE(samples[j].bytes - samples[i].bytes, 2 * kMiB * (window + 1.2))
          << "between the samples at " << samples[i].at << " s and " << samples[j].at << " s";
    }
  }
}

TEST_F(BandwidthTest, ATimetableSwitchTakesEffectMidRun) {
  // 512 KiB/s from half a minute ago, no limit from 6 s on: at 512 KiB/s
  // the 20 MiB would take 40 s.
  const std::string timetable = LocalClock(std::chrono::seconds(-30)) + ",512K " +
                                LocalClock(std::chrono::seconds(6)) + ",off";
  const auto start = std::chrono::steady_clock::now();
  ProcessResult r = run_->Run({"--bwlimit", timetable, "migrate"});
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  ExpectAllRowsIn("deleted");
  const std::vector<Sample> samples = Samples();
  ASSERT_GE(samples.size(), 3u);
  for (const Sample& s : samples) {
    if (s.at <= 4) {
      EXPECT_LE(s.bytes, 512 * 1024 * (s.at + 2.2)) << "at " << s.at << " s, before the switch";
    }
  }
  EXPECT_LT(elapsed, 25.0) << "the switch to off must have let the rest through";
  EXPECT_GE(elapsed, 5.0) << "the first part was limited";
}

TEST_F(BandwidthTest, SighupAndAChangedConfigFileChangeTheLimitWithoutARestart) {
  run_->AddConfig("bwlimit = \"256K\"");
  const auto start = std::chrono::steady_clock::now();
  ProcessResult r = run_->Run({"--log-level", "info", "migrate"}, [&](pid_t pid) {
    std::this_thread::sleep_for(std::chrono::seconds(2));
    // Same mtime: only the signal can make the run look at the file.
    SetConfiguredLimit("512K", /*keep_mtime=*/true);
    ::kill(pid, SIGHUP);
    std::this_thread::sleep_for(std::chrono::seconds(3));
    SetConfiguredLimit("off", /*keep_mtime=*/false);
  });
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  ExpectAllRowsIn("deleted");
  EXPECT_NE(r.err.find("settings reloaded (SIGHUP): bwlimit now 512K"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("settings reloaded (the config file changed): bwlimit now off"), std::string::npos) << r.err;
  EXPECT_LT(elapsed, 25.0) << "at 256 KiB/s the run would take 80 s";
}

}  // namespace
}  // namespace s3m::testing
