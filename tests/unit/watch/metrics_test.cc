#include "watch/metrics.h"

#include <gtest/gtest.h>

namespace s3m::watch {
namespace {

WatchData Sample() {
  WatchData d;
  d.status = {{"schema_version", 6},
              {"states", {{"deleted", {{"files", 7}, {"bytes", 700}}}, {"error", {{"files", 1}, {"bytes", 10}}}}},
              {"buckets", {{{"name", "a"}, {"scan_state", "complete"}}, {{"name", "b"}, {"scan_state", "failed"}}}},
              {"glacier", {{"need_restore_by_class", {{"GLACIER", {{"files", 2}, {"bytes", 20}}}}}}},
              {"cost_estimate", {{"total", 1.5}}}};
  store::RestoreGroup g;
  g.tier = "";
  g.state = store::FileState::kGlacierRestoring;
  g.tally = {3, 30};
  d.restores.push_back(g);
  d.restore_tier = "Bulk";
  d.free_bytes = 12345;
  return d;
}

TEST(MetricsTest, DatabaseFiguresWithHelpAndType) {
  const std::string text = MetricsText(Sample());
  EXPECT_NE(text.find("# HELP s3migrate_objects Objects recorded in the state database, by state.\n"
                      "# TYPE s3migrate_objects gauge\n"
                      "s3migrate_objects{state=\"deleted\"} 7\n"
                      "s3migrate_objects{state=\"error\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("s3migrate_objects_size_bytes{state=\"deleted\"} 700\n"), std::string::npos);
  EXPECT_NE(text.find("s3migrate_buckets{scan_state=\"failed\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("s3migrate_buckets{scan_state=\"listing\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("s3migrate_restores_needed{storage_class=\"GLACIER\"} 2\n"), std::string::npos);
  // A restore without a recorded tier counts under the configured one.
  EXPECT_NE(text.find("s3migrate_restores{tier=\"Bulk\",state=\"glacier_restoring\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("s3migrate_destination_free_bytes 12345\n"), std::string::npos);
  EXPECT_NE(text.find("s3migrate_cost_to_finish_usd 1.5\n"), std::string::npos);
  // Without a run in this process there are no run counters.
  EXPECT_EQ(text.find("s3migrate_received_bytes_total"), std::string::npos);
}

TEST(MetricsTest, RunCountersInsideAMigrate) {
  WatchData d = Sample();
  LiveFigures live;
  live.snapshot.bytes_received = 4096;
  live.snapshot.active_transfers = 3;
  live.snapshot.retries_by_kind = {{"Throttled", 2}};
  live.snapshot.errors_by_kind = {{"AccessDenied", 1}};
  live.snapshot.queues.deletes_pending = 9;
  live.snapshot.request_limit = 20;
  live.snapshot.bandwidth_limit = 1 << 20;
  live.snapshot.bandwidth_schedule = "1M";
  live.bytes_per_second = 2048.5;
  d.live = live;
  const std::string text = MetricsText(d);
  EXPECT_NE(text.find("# TYPE s3migrate_received_bytes_total counter\ns3migrate_received_bytes_total 4096\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("s3migrate_throughput_bytes_per_second 2048.5\n"), std::string::npos);
  EXPECT_NE(text.find("s3migrate_transfers_in_flight 3\n"), std::string::npos);
  EXPECT_NE(text.find("s3migrate_retries_total{kind=\"Throttled\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("s3migrate_errors_total{kind=\"AccessDenied\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("s3migrate_queued_objects{queue=\"delete\"} 9\n"), std::string::npos);
  EXPECT_NE(text.find("s3migrate_request_limit_per_second 20\n"), std::string::npos);
  EXPECT_NE(text.find("s3migrate_bandwidth_limit_bytes_per_second 1048576\n"), std::string::npos) << text;
}

TEST(MetricsTest, LabelValuesAreEscaped) {
  EXPECT_EQ(EscapeLabelValue("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
}

}  // namespace
}  // namespace s3m::watch
