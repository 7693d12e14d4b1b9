#include "emulator_fixture.h"

#include <algorithm>
#include <thread>

namespace s3m::testing {

void EmulatorMigrateTest::StartEmulator(const std::vector<std::string>& extra_flags) {
  emu_.reset();  // stops the previous one
  std::vector<std::string> flags = {"--seconds-per-day", "30", "--no-fsync", "--min-part-size",
                                    "1048576"};
  // The test's own --restore-delay, if it gives one, replaces the default.
  if (std::find(extra_flags.begin(), extra_flags.end(), "--restore-delay") == extra_flags.end()) {
    flags.insert(flags.end(), {"--restore-delay", "Expedited=1,Standard=2,Bulk=3"});
  }
  flags.insert(flags.end(), extra_flags.begin(), extra_flags.end());
  emu_flags_ = flags;
  emu_ = S3emuProcess::Start(emu_dir_.path(), flags);
  ASSERT_NE(emu_, nullptr);
  client_ = emu_->Client(3);
  run_ = std::make_unique<S3migrateRun>(emu_->endpoint(), S3emuProcess::kAccessKey,
                                        S3emuProcess::kSecretKey);
  run_->AddConfig("restore_poll_interval = 1");
  run_->AddConfig("progress_update_interval = 0.5");
  run_->AddConfig("download_chunk_size = \"1MiB\"");
}

void EmulatorMigrateTest::CrashAndRestartEmulator(std::chrono::milliseconds down) {
  const int port = emu_->port();
  emu_->Kill();
  std::this_thread::sleep_for(down);
  emu_ = S3emuProcess::Start(emu_dir_.path(), emu_flags_, port);
  ASSERT_NE(emu_, nullptr) << "s3emu did not come back on port " << port;
  client_ = emu_->Client(3);
}

void EmulatorMigrateTest::CreateBucket(const std::string& bucket) {
  Status created = client_->CreateBucket(bucket);
  ASSERT_TRUE(created.ok()) << created.ToString();
}

void EmulatorMigrateTest::Put(const std::string& bucket, const std::string& key,
                              const std::string& body, const std::string& storage_class,
                              std::vector<std::pair<std::string, std::string>> headers,
                              const std::string& checksum) {
  s3::PutObjectRequest req;
  req.bucket = bucket;
  req.key = key;
  req.body = body;
  req.storage_class = storage_class;
  req.extra_headers = std::move(headers);
  req.checksum_algorithm = checksum;
  uploaded_[bucket][key] = body;
  etags_[bucket][key] = PutTestObject(*client_, req).etag;
}

void EmulatorMigrateTest::PutMultipart(const std::string& bucket, const std::string& key, int parts,
                                       size_t part_size, size_t last, const std::string& checksum,
                                       const std::string& type) {
  uploaded_[bucket][key] =
      PutTestMultipart(*client_, bucket, key, parts, part_size, last, checksum, type, &etags_[bucket][key]);
}

ProcessResult EmulatorMigrateTest::ScanAndMigrate(const std::vector<std::string>& args) {
  ProcessResult scan = run_->Run({"scan"});
  EXPECT_EQ(scan.exit_code, 0) << Describe(scan);
  std::vector<std::string> migrate = {"migrate"};
  migrate.insert(migrate.end(), args.begin(), args.end());
  return run_->Run(migrate);
}

std::string EmulatorMigrateTest::Describe(const ProcessResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\nstdout:\n" + r.out + "\nstderr:\n" + r.err;
}

std::map<std::string, std::string> EmulatorMigrateTest::RemainingEtags(const std::string& bucket) {
  std::map<std::string, std::string> out;
  s3::ListObjectsV2Request req;
  req.bucket = bucket;
  for (;;) {
    auto page = client_->ListObjectsV2(req);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    if (!page.ok()) break;
    for (const auto& o : page->objects) out[o.key] = o.etag;
    if (!page->is_truncated) break;
    req.continuation_token = page->next_continuation_token;
  }
  return out;
}

std::vector<std::string> EmulatorMigrateTest::RemainingKeys(const std::string& bucket) {
  std::vector<std::string> keys;
  for (const auto& [key, etag] : RemainingEtags(bucket)) keys.push_back(key);
  return keys;
}

void EmulatorMigrateTest::ExpectLocalCopy(const std::string& bucket, const std::string& key) {
  ExpectLocalFile(*run_, bucket, key, uploaded_[bucket][key]);
}

void EmulatorMigrateTest::ExpectLocalCopies(const std::string& bucket) {
  for (const auto& [key, body] : uploaded_[bucket]) ExpectLocalCopy(bucket, key);
}

void EmulatorMigrateTest::ExpectAllRowsIn(const std::string& state) {
  EXPECT_EQ(SqlInt(run_->db(), "SELECT COUNT(*) FROM files WHERE state != '" + state + "'"), 0)
      << ::testing::PrintToString(
             Sql(run_->db(), "SELECT key, state, error_message FROM files WHERE state != '" +
                                 state + "'"));
}

void EmulatorMigrateTest::ExpectBucketUntouched(const std::string& bucket) {
  EXPECT_EQ(RemainingEtags(bucket), etags_[bucket]);
}

void EmulatorMigrateTest::ExpectConsistentAfterInterruption(const std::string& bucket,
                                                            bool published_unrecorded) {
  const auto remaining = RemainingEtags(bucket);
  for (const auto& [key, body] : uploaded_[bucket]) {
    const auto rows = Sql(run_->db(), "SELECT state FROM files WHERE bucket = " + SqlQuote(bucket) +
                                          " AND key = " + SqlQuote(key));
    ASSERT_EQ(rows.size(), 1u) << key;
    const std::string& state = rows[0];
    const bool in_s3 = remaining.count(key) > 0;
    SCOPED_TRACE("key " + key + " state " + state + (in_s3 ? " (in S3)" : " (gone from S3)"));
    if (state == "deleted") {
      EXPECT_FALSE(in_s3);
    }
    if (!in_s3) {
      // A kill -9 may land between S3's answer and the commit of `deleted`:
      // then the row still says `verified`, which the next run settles.
      EXPECT_TRUE(state == "deleted" || state == "verified");
    }
    auto path = run_->LocalPath(bucket, key);
    if (state == "deleted" || state == "verified") {
      ExpectLocalCopy(bucket, key);
    } else if (path && published_unrecorded && PathExists(*path)) {
      ExpectLocalCopy(bucket, key);
    } else if (path) {
      EXPECT_FALSE(PathExists(*path)) << "a file under the final name of an unverified object";
    }
  }
}

void EmulatorMigrateTest::AddFault(const nlohmann::json& rule) {
  auto reply = emu_->AdminPost("/faults", rule);
  ASSERT_TRUE(reply.contains("ids")) << reply.dump();
}

int64_t EmulatorMigrateTest::RequestCount(const std::string& operation) {
  auto counters = emu_->AdminGet("/counters");
  return counters["requests"].value(operation, int64_t{0});
}

int64_t EmulatorMigrateTest::InjectedCount(const std::string& kind) {
  auto counters = emu_->AdminGet("/counters");
  return counters["injected"].value(kind, int64_t{0});
}

}  // namespace s3m::testing
