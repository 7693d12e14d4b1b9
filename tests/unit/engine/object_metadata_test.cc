// What S3 knew of an object, as the database's JSON and the file's
// extended attributes (engine/object_metadata.h).
#include "engine/object_metadata.h"

#include <gtest/gtest.h>

namespace s3m::engine {
namespace {

s3::ObjectMetadata Sample() {
  s3::ObjectMetadata m;
  m.etag = "7ea9d6b395dc51c08234eeae136553aa";
  m.version_id = "v1";
  m.storage_class = "STANDARD_IA";
  m.content_type = "image/jpeg";
  m.cache_control = "max-age=3600";
  m.content_encoding = "gzip";
  m.user_metadata = {{"camera", "x100"}, {"empty", ""}};
  m.checksums = {{"CRC32C", "yZRlqg=="}};
  m.checksum_type = "FULL_OBJECT";
  m.sse_customer_algorithm = "AES256";
  m.tag_count = 1;
  return m;
}

TEST(ObjectMetadataTest, KeptFromTheHeadersOfAGet) {
  const KeptMetadata kept = KeptFrom(Sample());
  EXPECT_EQ(kept.sse_type, "SSE-C");
  EXPECT_EQ(kept.tag_count, 1);
  EXPECT_TRUE(kept.tags.empty()) << "tags come from GetObjectTagging";
  EXPECT_EQ(JsonObjectOf(kept.headers), R"({"Content-Encoding":"gzip","Cache-Control":"max-age=3600"})");
  EXPECT_EQ(JsonObjectOf(kept.user), R"({"camera":"x100","empty":""})");
  EXPECT_EQ(JsonObjectOf(kept.checksums), R"({"CRC32C":"yZRlqg=="})");
  EXPECT_EQ(JsonObjectOf(NamedValues{}), "") << "nothing is NULL, not {}";
}

TEST(ObjectMetadataTest, InvalidUtf8InAValueIsReplacedNotThrown) {
  EXPECT_EQ(JsonObjectOf(NamedValues{{"k", "a\xff"}}), "{\"k\":\"a\xef\xbf\xbd\"}");
}

TEST(ObjectMetadataTest, ExtendedAttributesNameEverythingUnderUserS3) {
  KeptMetadata kept = KeptFrom(Sample());
  kept.tags = {{"project", "alpha"}, {"note", ""}};
  const NamedValues expected = {
      {"user.s3.etag", "7ea9d6b395dc51c08234eeae136553aa"},
      {"user.s3.version-id", "v1"},
      {"user.s3.storage-class", "STANDARD_IA"},
      {"user.s3.content-type", "image/jpeg"},
      {"user.s3.content-encoding", "gzip"},
      {"user.s3.cache-control", "max-age=3600"},
      {"user.s3.sse", "SSE-C"},
      {"user.s3.checksum.crc32c", "yZRlqg=="},
      {"user.s3.checksum-type", "FULL_OBJECT"},
      {"user.s3.meta.camera", "x100"},
      {"user.s3.meta.empty", ""},
      {"user.s3.tag.project", "alpha"},
      {"user.s3.tag.note", ""},
  };
  EXPECT_EQ(ExtendedAttributes(kept), expected);
}

TEST(ObjectMetadataTest, TheNullVersionOfAnUnversionedBucketIsNoVersion) {
  s3::ObjectMetadata m;
  m.version_id = "null";
  for (const auto& [name, value] : ExtendedAttributes(KeptFrom(m))) EXPECT_NE(name, "user.s3.version-id");
}

}  // namespace
}  // namespace s3m::engine
