// End to end: the s3migrate binary (S3M_BINARY) against real servers —
// scan, rescan, status (text, --by-bucket, --json), reset, retry — checking
// exit codes, output and the database; and the second-writer refusal.
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "scan_support.h"
#include "store/state_store.h"
#include "store/writer_lock.h"
#include "test_servers.h"

namespace s3m::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class ScanCliTest : public ::testing::TestWithParam<TestServer> {
 protected:
  void SetUp() override {
    server_ = GetParam();
    client_ = MakeClient(server_);
    db_ = dir_.File("state.db");
  }
  void TearDown() override {
    for (const auto& bucket : buckets_) DestroyBucket(*client_, bucket, false);
  }
  std::string NewBucket(const std::string& suffix, const std::vector<std::string>& keys) {
    std::string bucket = CreateTestBucket(*client_, suffix);
    buckets_.push_back(bucket);
    EXPECT_TRUE(PutMany(*client_, bucket, keys));
    return bucket;
  }
  CliResult Run(std::vector<std::string> args, const std::string& access_key = "") {
    args.insert(args.begin(), {"--db", db_});
    return RunS3migrate(server_, dir_.path(), args, access_key);
  }

  TestServer server_;
  std::unique_ptr<s3::S3Client> client_;
  std::vector<std::string> buckets_;
  ScanTempDir dir_;
  std::string db_;
};

TEST_P(ScanCliTest, ScanStatusResetRetryEndToEnd) {
  std::vector<std::string> keys;
  for (int i = 0; i < 20; ++i) keys.push_back("dir/file " + std::to_string(i));
  const std::string bucket = NewBucket("cli", keys);

  CliResult scan = Run({"scan", bucket});
  ASSERT_EQ(scan.exit_code, 0) << scan.out << scan.err;
  EXPECT_THAT(scan.out, HasSubstr("scan: 1 bucket, 20 objects listed"));
  EXPECT_THAT(scan.out, HasSubstr(bucket));
  EXPECT_THAT(scan.out, HasSubstr("complete"));
  EXPECT_EQ(CountByState(db_), (std::map<std::string, int64_t>{{"discovered", 20}}));

  CliResult again = Run({"scan", bucket});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("already scanned"));
  EXPECT_THAT(again.out, HasSubstr("rescan"));

  CliResult status = Run({"status"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_THAT(status.out, HasSubstr("MIGRATION STATUS"));
  EXPECT_THAT(status.out, ::testing::ContainsRegex("Files: +20\n"));
  EXPECT_THAT(status.out, ::testing::ContainsRegex("Discovered +20 files"));
  EXPECT_THAT(status.out, HasSubstr("Restores in flight"));
  EXPECT_THAT(status.out, HasSubstr("Estimated cost to finish"));

  CliResult by_bucket = Run({"status", "--by-bucket"});
  ASSERT_EQ(by_bucket.exit_code, 0);
  EXPECT_THAT(by_bucket.out, HasSubstr("By bucket:"));
  EXPECT_THAT(by_bucket.out, HasSubstr(bucket + "  [" + server_.region));

  CliResult json_run = Run({"status", "--json", "--by-bucket"});
  ASSERT_EQ(json_run.exit_code, 0) << json_run.err;
  const auto json = nlohmann::json::parse(json_run.out, nullptr, false);
  ASSERT_FALSE(json.is_discarded()) << json_run.out;
  EXPECT_EQ(json["totals"]["files"], 20);
  EXPECT_EQ(json["states"]["discovered"]["files"], 20);
  EXPECT_EQ(json["states"]["error"]["files"], 0);
  EXPECT_EQ(json["buckets"][0]["name"], bucket);
  EXPECT_EQ(json["buckets"][0]["scan_state"], "complete");
  EXPECT_EQ(json["buckets"][0]["states"]["discovered"]["files"], 20);
  EXPECT_EQ(json["cost_estimate"]["currency"], "USD");
  EXPECT_GT(json["cost_estimate"]["prices"]["transfer_out_per_gb"].get<double>(), 0);

  // retry with nothing in error: said plainly, exit 0.
  CliResult none = Run({"retry"});
  EXPECT_EQ(none.exit_code, 0);
  EXPECT_THAT(none.out, HasSubstr("no objects in 'error'"));

  SqlExec(db_, "UPDATE files SET state = 'error', attempts = 3, error_message = 'GetObject: HTTP 500' "
               "WHERE key IN ('dir/file 1', 'dir/file 2', 'dir/file 3')");
  status = Run({"status"});
  EXPECT_THAT(status.out, ::testing::ContainsRegex("Error +3 files"));
  CliResult retry = Run({"retry", "--bucket", bucket});
  ASSERT_EQ(retry.exit_code, 0) << retry.err;
  EXPECT_THAT(retry.out, HasSubstr("3 objects in 'error' in s3://" + bucket + " put back to 'discovered'"));
  EXPECT_EQ(SqlInt(db_, "SELECT COUNT(*) FROM files WHERE state = 'discovered' AND attempts = 0"), 20);

  CliResult unknown_bucket = Run({"retry", "--bucket", "no-such-bucket-here"});
  EXPECT_EQ(unknown_bucket.exit_code, 2);
  EXPECT_THAT(unknown_bucket.err, HasSubstr("no such bucket in the state database"));

  SqlExec(db_, "UPDATE files SET state = 'error', error_message = 'boom' WHERE key = 'dir/file 7'");
  CliResult reset = Run({"reset", bucket, "dir/file 7"});
  ASSERT_EQ(reset.exit_code, 0) << reset.err;
  EXPECT_THAT(reset.out, HasSubstr("s3://" + bucket + "/dir/file 7: error -> discovered"));
  EXPECT_EQ(SqlInt(db_, "SELECT COUNT(*) FROM files WHERE key = 'dir/file 7' AND state = 'discovered' "
                        "AND error_message IS NULL"),
            1);

  CliResult missing = Run({"reset", bucket, "dir/no such file"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("no such object in the state database"));
  EXPECT_THAT(missing.err, HasSubstr("s3://" + bucket + "/dir/no such file"));

  // rescan after a removal: reported, and visible to the user's SQL.
  ASSERT_TRUE(client_->DeleteObject({.bucket = bucket, .key = "dir/file 9", .version_id = "", .if_match = ""}).ok());
  CliResult rescan = Run({"rescan", bucket});
  ASSERT_EQ(rescan.exit_code, 0) << rescan.err;
  EXPECT_THAT(rescan.out, HasSubstr("1 object gone from S3 before download"));
  EXPECT_EQ(SqlStrings(db_, "SELECT key FROM files WHERE state = 'error'"),
            (std::set<std::string>{"dir/file 9"}));
  status = Run({"status"});
  EXPECT_THAT(status.out, HasSubstr("Gone before download"));
  retry = Run({"retry"});
  EXPECT_THAT(retry.out, HasSubstr("1 object gone from S3 stays in 'error'"));

  CliResult rescan_usage = Run({"rescan"});
  EXPECT_EQ(rescan_usage.exit_code, 2);
  EXPECT_THAT(rescan_usage.err, HasSubstr("--all"));
}

TEST_P(ScanCliTest, SecondWriterIsRefusedWhileStatusKeepsWorking) {
  const std::string bucket = NewBucket("lock", {"a", "b"});
  ASSERT_EQ(Run({"scan", bucket}).exit_code, 0);
  {
    // This process plays a running `migrate`.
    auto lock = store::WriterLock::Acquire(db_, "migrate");
    ASSERT_TRUE(lock.ok()) << lock.status().ToString();
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
             {"scan", bucket}, {"rescan", bucket}, {"retry"}, {"reset", bucket, "a"}}) {
      CliResult refused = Run(args);
      EXPECT_EQ(refused.exit_code, 3) << args[0] << ": " << refused.out << refused.err;
      EXPECT_THAT(refused.err, HasSubstr("in use by s3migrate pid " + std::to_string(::getpid())));
      EXPECT_THAT(refused.err, HasSubstr("`migrate`"));
      EXPECT_THAT(refused.err, HasSubstr("`s3migrate status` works meanwhile"));
    }
    CliResult status = Run({"status", "--json"});
    EXPECT_EQ(status.exit_code, 0) << status.err;
    EXPECT_THAT(status.out, HasSubstr("\"discovered\""));
  }
  EXPECT_EQ(Run({"retry"}).exit_code, 0);  // free again once the holder is gone
}

TEST_P(ScanCliTest, ErrorsHaveTheDocumentedExitCodes) {
  // No database yet: a usage error naming the file and the next step.
  CliResult no_db = Run({"status"});
  EXPECT_EQ(no_db.exit_code, 2);
  EXPECT_THAT(no_db.err, HasSubstr(db_));
  EXPECT_THAT(no_db.err, HasSubstr("run `s3migrate scan` first"));

  // A bucket that does not exist: that bucket fails, the run ends with 1.
  const std::string present = NewBucket("ok", {"x"});
  const std::string missing = UniqueBucketName("absent");
  CliResult partial = Run({"scan", present, missing});
  EXPECT_EQ(partial.exit_code, 1) << partial.out << partial.err;
  EXPECT_THAT(partial.out, HasSubstr("listing failed, not marked scanned"));
  EXPECT_THAT(partial.out, HasSubstr(missing));
  EXPECT_THAT(partial.out, HasSubstr("HTTP 404"));
  EXPECT_THAT(partial.out, HasSubstr("no such bucket, or not visible to these credentials"));

  // Credentials rejected: fatal, exit 3. (`scan` would skip the complete
  // bucket without a request; `rescan` must ask the server.)
  CliResult denied = Run({"rescan", present}, "NOT-A-KEY");
  EXPECT_EQ(denied.exit_code, 3) << denied.out << denied.err;

  // A database from a newer s3migrate: refused, untouched, exit 3.
  SqlExec(db_, "PRAGMA user_version = 42");
  CliResult newer = Run({"status"});
  EXPECT_EQ(newer.exit_code, 3);
  EXPECT_THAT(newer.err, HasSubstr("schema version 42, newer than this s3migrate"));
  EXPECT_EQ(Run({"scan", present}).exit_code, 3);
  EXPECT_EQ(SqlInt(db_, "PRAGMA user_version"), 42);

  // Bad patterns are usage errors.
  CliResult bad = Run({"--include", "/nobucket", "scan"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("has no bucket part"));
}

INSTANTIATE_TEST_SUITE_P(RealServers, ScanCliTest, ::testing::ValuesIn(ConfiguredServers()),
                         ScanServerName);

}  // namespace
}  // namespace s3m::testing
