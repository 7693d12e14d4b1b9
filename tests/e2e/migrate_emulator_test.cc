// `s3migrate scan` + `migrate` end to end against the emulator: the local tree
// is compared byte for byte with what was uploaded, the bucket is listed
// afterwards, and the database is read with plain SQL.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <map>
#include <thread>

#include "core/checksum.h"
#include "core/hash.h"
#include "e2e_support.h"

namespace s3m::testing {
namespace {

using namespace std::chrono_literals;

class MigrateEmulatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    emu_ = S3emuProcess::Start(emu_dir_.path(), {"--restore-delay", "Expedited=1,Standard=2,Bulk=3",
                                                 "--seconds-per-day", "30", "--no-fsync",
                                                 "--min-part-size", "1048576"});
    ASSERT_NE(emu_, nullptr);
    client_ = emu_->Client(3);
    run_ = std::make_unique<S3migrateRun>(emu_->endpoint(), S3emuProcess::kAccessKey,
                                          S3emuProcess::kSecretKey);
    run_->AddConfig("restore_poll_interval = 1");
    run_->AddConfig("progress_update_interval = 0.5");
    run_->AddConfig("download_chunk_size = \"1MiB\"");
  }

  void CreateBucket(const std::string& bucket) { ASSERT_TRUE(client_->CreateBucket(bucket).ok()); }

  void Put(const std::string& bucket, const std::string& key, const std::string& body,
           const std::string& storage_class = "",
           std::vector<std::pair<std::string, std::string>> headers = {},
           const std::string& checksum = "") {
    s3::PutObjectRequest req;
    req.bucket = bucket;
    req.key = key;
    req.body = body;
    req.storage_class = storage_class;
    req.extra_headers = std::move(headers);
    req.checksum_algorithm = checksum;
    auto r = client_->PutObject(req);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    uploaded_[bucket][key] = body;
  }

  // A multipart upload of `parts` parts of `part_size` bytes (the last one
  // `last` bytes), with an additional checksum when `checksum` is set.
  void PutMultipart(const std::string& bucket, const std::string& key, int parts, size_t part_size,
                    size_t last, const std::string& checksum = "", const std::string& type = "") {
    s3::CreateMultipartUploadRequest create;
    create.bucket = bucket;
    create.key = key;
    create.checksum_algorithm = checksum;
    create.checksum_type = type;
    auto upload = client_->CreateMultipartUpload(create);
    ASSERT_TRUE(upload.ok()) << upload.status().ToString();
    std::string body;
    std::vector<s3::CompletedPart> done;
    for (int i = 1; i <= parts; ++i) {
      const std::string part = TestBytes(i == parts ? last : part_size, 1000 + i + key.size());
      auto p = client_->UploadPart(bucket, key, *upload, i, part, checksum);
      ASSERT_TRUE(p.ok()) << p.status().ToString();
      p->part_number = i;
      done.push_back(*p);
      body += part;
    }
    auto complete = client_->CompleteMultipartUpload(bucket, key, *upload, done, checksum);
    ASSERT_TRUE(complete.ok()) << complete.status().ToString();
    uploaded_[bucket][key] = body;
  }

  std::vector<std::string> RemainingKeys(const std::string& bucket) {
    std::vector<std::string> keys;
    s3::ListObjectsV2Request req;
    req.bucket = bucket;
    for (;;) {
      auto page = client_->ListObjectsV2(req);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok()) break;
      for (const auto& o : page->objects) keys.push_back(o.key);
      if (!page->is_truncated) break;
      req.continuation_token = page->next_continuation_token;
    }
    return keys;
  }

  // Every uploaded object of `bucket` is on disk, inside dest/bucket, with
  // exactly the uploaded bytes.
  void ExpectLocalCopies(const std::string& bucket) {
    for (const auto& [key, body] : uploaded_[bucket]) {
      auto path = run_->LocalPath(bucket, key);
      ASSERT_TRUE(path.has_value()) << key;
      EXPECT_EQ(path->rfind(run_->dest() + "/" + bucket + "/", 0), 0u) << *path;
      EXPECT_EQ(path->find("/../"), std::string::npos) << *path;
      if (!key.empty() && key.back() == '/' && body.empty()) {
        EXPECT_TRUE(PathExists(*path)) << key;
        continue;
      }
      EXPECT_EQ(ReadFileOrDie(*path), body) << "key " << key << " at " << *path;
    }
  }

  TempDir emu_dir_;
  std::unique_ptr<S3emuProcess> emu_;
  std::unique_ptr<s3::S3Client> client_;
  std::unique_ptr<S3migrateRun> run_;
  std::map<std::string, std::map<std::string, std::string>> uploaded_;
};

TEST_F(MigrateEmulatorTest, MovesSmallMultipartAndHostileKeysAndEmptiesTheBucket) {
  CreateBucket("mixed");
  for (int i = 0; i < 300; ++i) {
    Put("mixed", "small/obj-" + std::to_string(i), TestBytes(static_cast<size_t>(i * 37 % 20000), i));
  }
  Put("mixed", "empty", "");
  Put("mixed", "crc/full", TestBytes(70000, 9), "", {}, "CRC64NVME");
  Put("mixed", "sha/obj", TestBytes(3000, 10), "", {}, "SHA256");
  PutMultipart("mixed", "mp/plain", 3, 1 << 20, 300000);
  PutMultipart("mixed", "mp/composite-crc32c", 3, 1 << 20, 1000, "CRC32C", "COMPOSITE");
  PutMultipart("mixed", "mp/full-crc64", 4, 1 << 20, 77777, "CRC64NVME", "FULL_OBJECT");
  // Hostile keys (PRODUCT.md §5.5).
  for (const std::string& key : std::vector<std::string>{"../x", "/abs", "a", "a/b", "dir/", "dot/./x", "x//y",
                                "ctl\x01\x1b[2Jname", "%25literal", std::string(300, 'n')}) {
    Put("mixed", key, key == "dir/" ? "" : "content of " + key);
  }

  ProcessResult scan = run_->Run({"scan"});
  ASSERT_EQ(scan.exit_code, 0) << scan.out << scan.err;
  ProcessResult migrate = run_->Run({"migrate"});
  ASSERT_EQ(migrate.exit_code, 0) << migrate.out << migrate.err;

  EXPECT_EQ(SqlInt(run_->db(), "SELECT COUNT(*) FROM files WHERE state != 'deleted'"), 0)
      << ::testing::PrintToString(Sql(run_->db(), "SELECT key, state, error_message FROM files "
                                                  "WHERE state != 'deleted'"));
  ExpectLocalCopies("mixed");
  EXPECT_TRUE(RemainingKeys("mixed").empty());
  // How each was verified, as recorded.
  EXPECT_EQ(Sql(run_->db(), "SELECT verified_by FROM files WHERE key = 'crc/full'"),
            std::vector<std::string>{"crc64nvme"});
  EXPECT_EQ(Sql(run_->db(), "SELECT verified_by FROM files WHERE key = 'small/obj-5'"),
            std::vector<std::string>{"md5-etag"});
  auto mp = Sql(run_->db(), "SELECT verified_by FROM files WHERE key = 'mp/plain'");
  ASSERT_EQ(mp.size(), 1u);
  EXPECT_EQ(mp[0].rfind("multipart-etag", 0), 0u) << mp[0];
  auto composite = Sql(run_->db(), "SELECT verified_by FROM files WHERE key = 'mp/composite-crc32c'");
  ASSERT_EQ(composite.size(), 1u);
  EXPECT_NE(composite[0].find("crc32c"), std::string::npos) << composite[0];
  // Nothing but our files and directories under dest: no partial files left.
  ProcessResult find = RunProcess({"/usr/bin/find", run_->dest(), "-name", "*%~partial"}, {});
  EXPECT_EQ(find.out, "");
  // A second run has nothing to do.
  ProcessResult again = run_->Run({"migrate"});
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
}

TEST_F(MigrateEmulatorTest, RestoresGlacierAndDeepArchiveThenMigrates) {
  CreateBucket("cold");
  Put("cold", "g1", TestBytes(5000, 1), "GLACIER");
  Put("cold", "g2", TestBytes(6000, 2), "GLACIER");
  Put("cold", "deep", TestBytes(7000, 3), "DEEP_ARCHIVE");
  Put("cold", "hot", TestBytes(8000, 4), "STANDARD");
  Put("cold", "ir", TestBytes(9000, 5), "GLACIER_IR");
  run_->AddConfig("glacier_restore_tier = \"Expedited\"");
  ASSERT_EQ(run_->Run({"scan"}).exit_code, 0);
  ProcessResult migrate = run_->Run({"migrate"});
  ASSERT_EQ(migrate.exit_code, 0) << migrate.out << migrate.err;
  EXPECT_EQ(SqlInt(run_->db(), "SELECT COUNT(*) FROM files WHERE state = 'deleted'"), 5);
  // Deep Archive has no Expedited tier: Standard was asked for.
  EXPECT_EQ(Sql(run_->db(), "SELECT restore_tier FROM files WHERE key = 'deep'"),
            std::vector<std::string>{"Standard"});
  EXPECT_EQ(Sql(run_->db(), "SELECT restore_tier FROM files WHERE key = 'g1'"),
            std::vector<std::string>{"Expedited"});
  EXPECT_EQ(Sql(run_->db(), "SELECT restore_tier FROM files WHERE key = 'hot'"),
            std::vector<std::string>{"NULL"});
  ExpectLocalCopies("cold");
  EXPECT_TRUE(RemainingKeys("cold").empty());
}

}  // namespace
}  // namespace s3m::testing
