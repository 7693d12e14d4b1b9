#include "engine/manifest.h"

#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine_test_util.h"

namespace s3m::engine {
namespace {

using testing_util::ScratchDir;

store::DeletedCopy Copy(const std::string& bucket, const std::string& key) {
  store::DeletedCopy c;
  c.bucket = bucket;
  c.key = key;
  c.size = 12;
  c.etag = "5a105e8b9d40e1329780d62ea2265d8a";
  c.verified_by = "md5-etag";
  c.verified_checksum = c.etag;
  c.local_path = "/d/" + bucket + "/" + key;
  c.verified_at = "2026-12-05T06:06:43Z";
  c.deleted_at = "2026-12-05T06:06:44Z";
  return c;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(ManifestTest, OneDurableLinePerDeletedCopyInItsBucketsFile) {
  ScratchDir dir;
  ManifestWriter writer(PosixFileSystem::Default(), dir.path());
  ASSERT_TRUE(writer.Append({Copy("photos", "a.jpg"), Copy("docs", "x"), Copy("photos", "b.jpg")}).ok());
  ASSERT_TRUE(writer.Append({Copy("photos", "c.jpg")}).ok());
  const std::string photos = Slurp(ManifestWriter::PathFor(dir.path(), "photos"));
  EXPECT_EQ(photos, ManifestWriter::Line(Copy("photos", "a.jpg")) + "\n" +
                        ManifestWriter::Line(Copy("photos", "b.jpg")) + "\n" +
                        ManifestWriter::Line(Copy("photos", "c.jpg")) + "\n");
  EXPECT_EQ(Slurp(dir.path() + "/.s3migrate/manifests/docs.jsonl"),
            ManifestWriter::Line(Copy("docs", "x")) + "\n");
  auto j = nlohmann::json::parse(ManifestWriter::Line(Copy("photos", "a.jpg")));
  EXPECT_EQ(j["key"], "a.jpg");
  EXPECT_EQ(j["verified_checksum"], "5a105e8b9d40e1329780d62ea2265d8a");
  EXPECT_EQ(j["local_path"], "/d/photos/a.jpg");
  EXPECT_EQ(j["deleted_at"], "2026-12-05T06:06:44Z");
  EXPECT_FALSE(j.contains("key_base64"));
}

TEST(ManifestTest, AKeyThatIsNotUtf8IsAlsoKeptExactly) {
  auto j = nlohmann::json::parse(ManifestWriter::Line(Copy("b", "caf\xe9\n\"x")));
  EXPECT_EQ(j["key_base64"], "Y2Fm6QoieA==");  // base64 of the exact bytes
  EXPECT_EQ(j["key"], "caf\xef\xbf\xbd\n\"x");
  EXPECT_EQ(j["local_path_base64"].get<std::string>().empty(), false);
}

// `verify --manifests` reads back what was written, bytes exact.
// What S3 knew of the object is in its line, as JSON objects (not strings),
// and only what was recorded.
TEST(ManifestTest, ALineCarriesTheObjectsMetadata) {
  store::DeletedCopy c = Copy("b", "k");
  c.storage_class = "STANDARD_IA";
  c.content_type = "text/plain";
  c.tags = R"({"project":"alpha"})";
  c.user_metadata = R"({"camera":"x100"})";
  c.checksums = R"({"CRC32C":"yZRlqg=="})";
  auto j = nlohmann::json::parse(ManifestWriter::Line(c));
  EXPECT_EQ(j["storage_class"], "STANDARD_IA");
  EXPECT_EQ(j["content_type"], "text/plain");
  EXPECT_EQ(j["tags"]["project"], "alpha");
  EXPECT_EQ(j["metadata"]["camera"], "x100");
  EXPECT_EQ(j["checksums"]["CRC32C"], "yZRlqg==");
  EXPECT_FALSE(j.contains("headers"));
  EXPECT_FALSE(j.contains("sse"));
  EXPECT_TRUE(ParseManifestLine(ManifestWriter::Line(c)).ok());
}

TEST(ManifestTest, ALineReadsBackAsTheRecordVerifyChecks) {
  store::DeletedCopy c = Copy("b", "caf\xe9/x");
  c.version_id = "v1";
  c.verified_by = "composite-crc32(8MiB parts)";
  c.verified_checksum = "AAAAAA==-3";
  c.part_size = 8 << 20;
  auto r = ParseManifestLine(ManifestWriter::Line(c));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->bucket, "b");
  EXPECT_EQ(r->key, "caf\xe9/x");
  EXPECT_EQ(r->local_path, std::optional<std::string>("/d/b/caf\xe9/x"));
  EXPECT_EQ(r->version_id, "v1");
  EXPECT_EQ(r->size, 12);
  EXPECT_EQ(r->etag, c.etag);
  EXPECT_EQ(r->verified_by, c.verified_by);
  EXPECT_EQ(r->verified_checksum, c.verified_checksum);
  EXPECT_EQ(r->part_size, 8 << 20);
  for (const char* bad : {"", "[]", "{\"bucket\":\"b\"}", "{\"bucket\":\"b\",\"key\":\"k\",\"size\":\"1\",\"local_path\":\"/p\"}",
                          "{\"bucket\":\"b\",\"key\":\"k\",\"key_base64\":\"!!\",\"size\":1,\"local_path\":\"/p\"}"}) {
    EXPECT_FALSE(ParseManifestLine(bad).ok()) << bad;
  }
}

TEST(ManifestTest, ALineTornByACrashIsCutOffBeforeTheNextAppend) {
  ScratchDir dir;
  const std::string path = ManifestWriter::PathFor(dir.path(), "b");
  {
    ManifestWriter writer(PosixFileSystem::Default(), dir.path());
    ASSERT_TRUE(writer.Append({Copy("b", "1")}).ok());
  }
  {
    std::ofstream torn(path, std::ios::app | std::ios::binary);
    torn << "{\"bucket\":\"b\",\"key\":\"2\",\"si";  // no newline: the crash came mid-line
  }
  ManifestWriter writer(PosixFileSystem::Default(), dir.path());
  ASSERT_TRUE(writer.Append({Copy("b", "3")}).ok());
  EXPECT_EQ(Slurp(path), ManifestWriter::Line(Copy("b", "1")) + "\n" +
                             ManifestWriter::Line(Copy("b", "3")) + "\n");
}

}  // namespace
}  // namespace s3m::engine
