// AddTally: how a report gets its run's counters, and how `migrate` adds to
// its summary the runs that lost a PostgreSQL state before the one that
// finished (cli/migrate_command.cc).
#include <gtest/gtest.h>

#include <chrono>

#include "engine/core/report.h"
#include "engine/progress.h"

namespace s3m::engine {
namespace {

using std::chrono::seconds;
using Wall = std::chrono::system_clock::time_point;

RunTally Tally(Wall started, int64_t downloaded, int64_t deleted, std::map<std::string, int64_t> by) {
  RunTally t;
  t.started_at = started;
  t.downloaded = {downloaded, downloaded * 100};
  t.deleted = {deleted, deleted * 100};
  t.would_delete = {1, 7};
  t.bytes_received = downloaded * 100 + 5;
  t.restores_requested = 2;
  t.verified_by = std::move(by);
  return t;
}

TEST(AddTallyTest, CountersSummedMethodsMergedInNameOrderStartTheEarliest) {
  const Wall t0 = Wall{} + seconds(1'000'000);
  MigrationReport report;
  AddTally(Tally(t0 + seconds(60), 30, 28, {{"md5-etag", 20}, {"crc64nvme", 10}}), report);
  EXPECT_EQ(report.started_at, t0 + seconds(60));  // a report's own run sets its start
  AddTally(Tally(t0, 12, 12, {{"size-only", 2}, {"md5-etag", 10}}), report);
  EXPECT_EQ(report.started_at, t0);
  AddTally(Tally(t0 + seconds(30), 0, 0, {}), report);
  EXPECT_EQ(report.started_at, t0);  // a later start leaves it
  EXPECT_EQ(report.downloaded.files, 42);
  EXPECT_EQ(report.downloaded.bytes, 4200);
  EXPECT_EQ(report.deleted.files, 40);
  EXPECT_EQ(report.deleted.bytes, 4000);
  EXPECT_EQ(report.would_delete.files, 3);
  EXPECT_EQ(report.would_delete.bytes, 21);
  EXPECT_EQ(report.bytes_received, 4215);
  EXPECT_EQ(report.restores_requested, 6);
  const std::vector<std::pair<std::string, int64_t>> methods = {
      {"crc64nvme", 10}, {"md5-etag", 30}, {"size-only", 2}};
  EXPECT_EQ(report.verified_by, methods);
}

TEST(AddTallyTest, TallyOfTakesARunsFigures) {
  RunFigures f;
  f.downloaded = {3, 300};
  f.deleted = {2, 200};
  f.would_delete = {0, 0};
  f.restores_requested = 4;
  f.verified_by = {{"sha256", 3}};
  f.errors_this_run = 9;  // not a counter of the summary
  const Wall start = Wall{} + seconds(5);
  const RunTally t = TallyOf(f, start, 321);
  EXPECT_EQ(t.started_at, start);
  EXPECT_EQ(t.downloaded.files, 3);
  EXPECT_EQ(t.deleted.bytes, 200);
  EXPECT_EQ(t.bytes_received, 321);
  EXPECT_EQ(t.restores_requested, 4);
  EXPECT_EQ(t.verified_by, (std::map<std::string, int64_t>{{"sha256", 3}}));
}

}  // namespace
}  // namespace s3m::engine
