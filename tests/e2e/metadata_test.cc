// Everything S3 knew about each object is kept when S3 is emptied (issue
// 21): content type and the other stored headers, user metadata, tags
// (asked for only when the object has some), checksums, storage class and
// encryption. Checked in the state database, in `getfattr -d` of each copy
// and in the bucket's manifest, on s3emu; and --no-xattrs leaves the files
// bare while the database still has it all.
#include <gtest/gtest.h>

#include <sys/xattr.h>

#include <fstream>
#include <iterator>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "emulator_fixture.h"

namespace s3m::testing {
namespace {

class MetadataTest : public EmulatorMigrateTest {
 protected:
  // The objects: tagged and not, small (one GET) and large (HEAD + ranged
  // GETs: the emulator fixture's download_chunk_size is 1 MiB).
  void PutObjects() {
    CreateBucket("meta");
    // (The tags are URL-encoded in their header; s3emu's HTTP library
    // decodes %XX in every header value before s3emu sees it, so no %26 here.)
    Put("meta", "report.pdf", "a small report", "STANDARD_IA",
        {{"Content-Type", "application/pdf"},
         {"Cache-Control", "max-age=3600"},
         {"Content-Disposition", "attachment; filename=\"report.pdf\""},
         {"x-amz-meta-author", "Zoe Smith"},
         {"x-amz-tagging", "project=alpha&team=r+d&empty="}},
        "CRC32C");
    Put("meta", "big/video.mp4", TestBytes(3 << 20, 7), "",
        {{"Content-Type", "video/mp4"}, {"Content-Encoding", "identity"}, {"x-amz-tagging", "keep=forever"}});
    Put("meta", "plain.txt", "no tags here", "", {{"Content-Type", "text/plain"}});
  }

  std::string Getfattr(const std::string& path) {
    ProcessResult r = RunProcess({"/usr/bin/getfattr", "-d", "-m", "^user\\.s3\\.", "--absolute-names", path}, {});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }

  // True when the destination's filesystem keeps user.* extended attributes.
  bool DestinationKeepsAttributes() {
    const std::string probe = run_->dest() + "/.xattr-probe";
    std::ofstream(probe) << "x";
    const bool kept = ::setxattr(probe.c_str(), "user.s3migrate.probe", "1", 1, 0) == 0;
    std::remove(probe.c_str());
    return kept;
  }

  int64_t Requests(const std::string& operation) {
    const nlohmann::json counters = emu_->AdminGet("/counters");
    return counters["requests"].value(operation, int64_t{0});
  }
};

TEST_F(MetadataTest, TagsUserMetadataAndHeadersAreInTheDatabaseOnTheFilesAndInTheManifest) {
  std::filesystem::create_directories(run_->dest());
  if (!DestinationKeepsAttributes()) GTEST_SKIP() << run_->dest() << " keeps no user.* extended attributes";
  PutObjects();
  ProcessResult r = ScanAndMigrate();
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  ExpectAllRowsIn("deleted");
  ExpectLocalCopies("meta");
  EXPECT_EQ(Requests("GetObjectTagging"), 2) << "asked only for the two tagged objects";

  // The database, queryable with sqlite3's JSON functions.
  EXPECT_EQ(Sql(run_->db(), "SELECT key || ' ' || content_type || ' ' || json_extract(tags, '$.project') || ' ' || "
                            "json_extract(tags, '$.team') || ' ' || json_extract(user_metadata, '$.author') || ' ' || "
                            "json_extract(headers, '$.Cache-Control') || ' ' || storage_class || ' ' || "
                            "(json_extract(checksums, '$.CRC32C') IS NOT NULL) FROM files WHERE key = 'report.pdf'"),
            std::vector<std::string>{"report.pdf application/pdf alpha r d Zoe Smith max-age=3600 STANDARD_IA 1"});
  EXPECT_EQ(Sql(run_->db(), "SELECT tags || ' ' || headers FROM files WHERE key = 'big/video.mp4'"),
            std::vector<std::string>{R"({"keep":"forever"} {"Content-Encoding":"identity"})"});
  EXPECT_EQ(Sql(run_->db(), "SELECT COALESCE(tags, 'none') FROM files WHERE key = 'plain.txt'"),
            std::vector<std::string>{"none"});

  // The files, as getfattr shows them (values it can print as text are quoted).
  const std::string report = Getfattr(run_->dest() + "/meta/report.pdf");
  for (const std::string& line :
       {std::string("user.s3.content-type=\"application/pdf\""), std::string("user.s3.cache-control=\"max-age=3600\""),
        std::string("user.s3.storage-class=\"STANDARD_IA\""), std::string("user.s3.tag.project=\"alpha\""),
        std::string("user.s3.tag.team=\"r d\""), std::string("user.s3.tag.empty"),
        std::string("user.s3.meta.author="), std::string("user.s3.checksum.crc32c=")}) {
    EXPECT_NE(report.find(line), std::string::npos) << line << " not in\n" << report;
  }
  const std::string video = Getfattr(run_->dest() + "/meta/big/video.mp4");
  EXPECT_NE(video.find("user.s3.content-type=\"video/mp4\""), std::string::npos) << video;
  EXPECT_NE(video.find("user.s3.tag.keep=\"forever\""), std::string::npos) << video;
  EXPECT_NE(video.find("user.s3.content-encoding=\"identity\""), std::string::npos) << video;
  EXPECT_EQ(Getfattr(run_->dest() + "/meta/plain.txt").find("user.s3.tag."), std::string::npos);

  // The manifest: the proof that outlives S3 and the database.
  std::ifstream in(run_->dest() + "/.s3migrate/manifests/meta.jsonl");
  int lines = 0;
  for (std::string line; std::getline(in, line);) {
    const nlohmann::json j = nlohmann::json::parse(line);
    ++lines;
    if (j["key"] == "report.pdf") {
      EXPECT_EQ(j["tags"]["team"], "r d");
      EXPECT_EQ(j["metadata"]["author"], "Zoe Smith");
      EXPECT_EQ(j["content_type"], "application/pdf");
      EXPECT_EQ(j["headers"]["Content-Disposition"], "attachment; filename=\"report.pdf\"");
    }
  }
  EXPECT_EQ(lines, 3);
}

// Tags that cannot be read (credentials without s3:GetObjectTagging) fail
// that object alone: it stays in S3 with its tags, in error naming the
// cause; the others move.
TEST_F(MetadataTest, AnObjectWhoseTagsCannotBeReadStaysInS3) {
  PutObjects();
  ASSERT_EQ(run_->Run({"scan"}).exit_code, 0);
  AddFault({{"kind", "access_denied"}, {"operations", {"GetObjectTagging"}}, {"keys", {"report.pdf"}}});
  ProcessResult r = run_->Run({"migrate"});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_EQ(RemainingKeys("meta"), std::vector<std::string>{"report.pdf"});
  const auto errors = Sql(run_->db(), "SELECT key || ' ' || error_message FROM files WHERE state = 'error'");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("report.pdf"), std::string::npos);
  EXPECT_NE(errors[0].find("GetObjectTagging"), std::string::npos) << errors[0];
  EXPECT_NE(errors[0].find("AccessDenied"), std::string::npos) << errors[0];
  EXPECT_FALSE(std::filesystem::exists(run_->dest() + "/meta/report.pdf")) << "no copy without its tags";
  EXPECT_EQ(SqlInt(run_->db(), "SELECT COUNT(*) FROM files WHERE state = 'deleted'"), 2);
}

TEST_F(MetadataTest, NoXattrsLeavesTheFilesBareAndTheDatabaseComplete) {
  PutObjects();
  ASSERT_EQ(run_->Run({"scan"}).exit_code, 0);
  ProcessResult r = run_->Run({"--no-xattrs", "migrate"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  ExpectAllRowsIn("deleted");
  for (const char* key : {"report.pdf", "big/video.mp4", "plain.txt"}) {
    const std::string path = run_->dest() + "/meta/" + key;
    EXPECT_EQ(::listxattr(path.c_str(), nullptr, 0), 0) << path;
  }
  EXPECT_EQ(Sql(run_->db(), "SELECT json_extract(tags, '$.project') FROM files WHERE key = 'report.pdf'"),
            std::vector<std::string>{"alpha"});
}

}  // namespace
}  // namespace s3m::testing
