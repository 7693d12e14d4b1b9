// `s3migrate verify` and the manifest end to end: a real migration on the
// emulator empties the bucket and writes the bucket's manifest, then the local
// copies are checked again from the state database alone, before and after
// one is changed and one is deleted.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "emulator_fixture.h"

namespace s3m::testing {
namespace {

using VerifyCommandTest = EmulatorMigrateTest;

std::string LocalPath(S3migrateRun& run, const std::string& key) {
  auto rows = Sql(run.db(), "SELECT local_path FROM files WHERE key = '" + key + "'");
  return rows.size() == 1 ? rows[0] : std::string();
}

TEST_F(VerifyCommandTest, FindsAChangedAndAMissingCopyAfterTheBucketIsEmpty) {
  CreateBucket("proof");
  PutMultipart("proof", "multipart", 3, 1 << 20, 4321);
  PutMultipart("proof", "composite-crc32", 3, 1 << 20, 5000, "CRC32", "COMPOSITE");
  PutMultipart("proof", "full-crc64nvme", 2, 1 << 20, 65536, "CRC64NVME", "FULL_OBJECT");
  PutMultipart("proof", "composite-sha256", 2, 1 << 20, 777, "SHA256", "COMPOSITE");
  Put("proof", "small.txt", "hello, proof");
  Put("proof", "dir/large-single", TestBytes(3 * (1 << 20) + 17, 77));
  ProcessResult migrate = ScanAndMigrate();
  ASSERT_EQ(migrate.exit_code, 0) << Describe(migrate);
  ExpectAllRowsIn("deleted");
  ASSERT_TRUE(RemainingKeys("proof").empty());
  // What each copy was verified against is recorded with it, in the
  // database and in the bucket's manifest: one line per deleted object.
  EXPECT_EQ(SqlInt(run_->db(), "SELECT COUNT(*) FROM files WHERE verified_checksum IS NULL"), 0);
  std::ifstream manifest(run_->dest() + "/.s3migrate/manifests/proof.jsonl");
  ASSERT_TRUE(manifest.good());
  std::set<std::string> listed;
  for (std::string line; std::getline(manifest, line);) {
    const nlohmann::json j = nlohmann::json::parse(line);
    const std::string key = j["key"];
    listed.insert(key);
    EXPECT_EQ(j["verified_checksum"].get<std::string>(),
              Sql(run_->db(), "SELECT verified_checksum FROM files WHERE key = '" + key + "'").at(0));
    EXPECT_EQ(j["local_path"].get<std::string>(), LocalPath(*run_, key));
    EXPECT_FALSE(j["deleted_at"].get<std::string>().empty());
  }
  EXPECT_EQ(listed, (std::set<std::string>{"multipart", "composite-crc32", "full-crc64nvme",
                                           "composite-sha256", "small.txt", "dir/large-single"}));

  ProcessResult clean = run_->Run({"verify"});
  EXPECT_EQ(clean.exit_code, 0) << Describe(clean);
  EXPECT_NE(clean.out.find("checked 6 local copies"), std::string::npos) << clean.out;
  EXPECT_NE(clean.out.find("6 match"), std::string::npos) << clean.out;

  // One byte flipped inside the second part of a composite-CRC32 copy, and
  // a full-object-CRC64NVME copy deleted.
  const std::string flipped = LocalPath(*run_, "composite-crc32");
  {
    std::fstream f(flipped, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg((1 << 20) + 5);
    const char c = static_cast<char>(f.get());
    f.seekp((1 << 20) + 5);
    f.put(static_cast<char>(c ^ 0x01));
  }
  const std::string removed = LocalPath(*run_, "full-crc64nvme");
  ASSERT_TRUE(std::filesystem::remove(removed));

  ProcessResult bad = run_->Run({"verify", "proof"});
  EXPECT_EQ(bad.exit_code, 1) << Describe(bad);
  EXPECT_NE(bad.out.find("changed s3://proof/composite-crc32 (" + flipped + "): composite-crc32"),
            std::string::npos)
      << bad.out;
  EXPECT_NE(bad.out.find("missing s3://proof/full-crc64nvme (" + removed + ")"), std::string::npos)
      << bad.out;
  EXPECT_NE(bad.out.find("4 match"), std::string::npos) << bad.out;
  EXPECT_NE(bad.out.find("1 changed, 1 missing"), std::string::npos) << bad.out;

  ProcessResult unknown = run_->Run({"verify", "no-such-bucket"});
  EXPECT_EQ(unknown.exit_code, 2) << Describe(unknown);
  EXPECT_NE(unknown.err.find("no-such-bucket"), std::string::npos) << unknown.err;

  // Without the state database, the manifests alone find the same two; a
  // torn last line (a crash while appending) is skipped with a note, a
  // damaged line in the middle is a problem.
  ASSERT_TRUE(std::filesystem::remove(run_->db()));
  ProcessResult from_manifests = run_->Run({"verify", "--manifests"});
  EXPECT_EQ(from_manifests.exit_code, 1) << Describe(from_manifests);
  EXPECT_NE(from_manifests.out.find("changed s3://proof/composite-crc32 (" + flipped + ")"), std::string::npos)
      << from_manifests.out;
  EXPECT_NE(from_manifests.out.find("missing s3://proof/full-crc64nvme"), std::string::npos);
  EXPECT_NE(from_manifests.out.find("checked 6 local copies"), std::string::npos);
  EXPECT_NE(from_manifests.out.find("4 match"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(run_->db()));  // nothing created
  const std::string manifest_path = run_->dest() + "/.s3migrate/manifests/proof.jsonl";
  {
    std::ofstream torn(manifest_path, std::ios::app | std::ios::binary);
    torn << "{\"bucket\":\"proof\",\"key\":\"half";  // no newline
  }
  ProcessResult torn = run_->Run({"verify", "--manifests", "proof"});
  EXPECT_EQ(torn.exit_code, 1) << Describe(torn);
  EXPECT_NE(torn.out.find("proof.jsonl:7: a torn last line"), std::string::npos) << torn.out;
  EXPECT_NE(torn.out.find("checked 6 local copies"), std::string::npos) << torn.out;
  {
    std::ofstream junk(run_->dest() + "/.s3migrate/manifests/junk.jsonl", std::ios::binary);
    junk << "not json\n";
  }
  ProcessResult damaged = run_->Run({"verify", "--manifests"});
  EXPECT_EQ(damaged.exit_code, 1) << Describe(damaged);
  EXPECT_NE(damaged.out.find("unreadable " + run_->dest() + "/.s3migrate/manifests/junk.jsonl:1: not a manifest line"),
            std::string::npos)
      << damaged.out;
  ProcessResult none = run_->Run({"verify", "--manifests", "other"});
  EXPECT_EQ(none.exit_code, 2) << Describe(none);
  EXPECT_NE(none.err.find("s3://other: no manifest"), std::string::npos) << none.err;
}

}  // namespace
}  // namespace s3m::testing
