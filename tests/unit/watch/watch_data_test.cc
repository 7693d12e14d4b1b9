#include "watch/watch_data.h"

#include <gtest/gtest.h>

#include "watch/report.h"

namespace s3m::watch {
namespace {

store::ProgressSample At(const std::string& at, const std::string& run, int64_t bytes) {
  store::ProgressSample s;
  s.at = at;
  s.run_started_at = run;
  s.bytes_received = bytes;
  return s;
}

TEST(ChartsTest, ThroughputIsPerRunAndNeverNegative) {
  const std::string run1 = "2026-12-05T08:00:00Z", run2 = "2026-12-05T09:00:00Z";
  std::vector<store::ProgressSample> samples = {
      At("2026-12-05T08:00:10Z", run1, 0), At("2026-12-05T08:00:20Z", run1, 50'000'000),
      At("2026-12-05T09:00:10Z", run2, 1'000'000),  // a new run: its counter restarted
      At("2026-12-05T09:00:20Z", run2, 21'000'000)};
  samples[1].by_state[static_cast<size_t>(store::FileState::kDeleted)] = {4, 4'000'000'000};
  const auto charts = ChartsFromSamples(samples);
  ASSERT_EQ(charts.size(), 3u);
  EXPECT_EQ(charts[0].series[0].values, (std::vector<double>{0, 5, 0, 2}));  // MB/s
  // Only the states that held objects are drawn.
  ASSERT_EQ(charts[1].series.size(), 1u);
  EXPECT_EQ(charts[1].series[0].name, "deleted");
  EXPECT_EQ(charts[1].series[0].values, (std::vector<double>{0, 4, 0, 0}));
  EXPECT_EQ(charts[2].series[0].values[1], 4.0);  // GB
}

TEST(RetryCommandTest, QuotesForTheShellAndSendsGoneObjectsToRescan) {
  store::FileRecord e;
  e.bucket = "b";
  e.key = "it's a $key";
  EXPECT_EQ(RetryCommand(e), "s3migrate reset 'b' 'it'\\''s a $key'");
  e.gone_at = "2026-12-05T08:00:00Z";
  EXPECT_EQ(RetryCommand(e), "s3migrate rescan 'b'");
}

TEST(PageJsonTest, RestoresWithoutATierShowTheConfiguredOne) {
  WatchData d;
  d.restore_tier = "Bulk";
  // Aggregate-initialised: GCC 12 at -O1 with ASan warns (wrongly) that an
  // optional<string> assigned after construction may be uninitialised.
  d.restores = {store::RestoreGroup{"", store::FileState::kDiscovered, {2, 20}, std::nullopt,
                                    std::string("2026-12-06T00:00:00Z"), std::nullopt}};
  const auto json = PageJson(d);
  ASSERT_EQ(json["restores"].size(), 1u);
  EXPECT_EQ(json["restores"][0]["tier"], "Bulk");
  EXPECT_EQ(json["restores"][0]["state"], "restored");
  EXPECT_EQ(json["restores"][0]["earliest_expiry"], "2026-12-06T00:00:00Z");
  EXPECT_TRUE(json["live"].is_null());
}

TEST(ReportTest, EveryStateLeftHasAReason) {
  for (store::FileState state : store::kAllFileStates) {
    for (bool flag : {false, true}) {
      store::LeftTally left{state, flag, flag, {}};
      EXPECT_FALSE(LeftReason(left).empty()) << store::FileStateName(state);
    }
  }
  EXPECT_NE(LeftReason({store::FileState::kVerified, false, true, {}}).find("size only"), std::string::npos);
}

}  // namespace
}  // namespace s3m::watch
