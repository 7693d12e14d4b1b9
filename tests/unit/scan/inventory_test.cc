#include "scan/inventory.h"

#include <gtest/gtest.h>

namespace s3m::scan {
namespace {

constexpr const char* kManifest = R"({
  "sourceBucket": "photos",
  "destinationBucket": "arn:aws:s3:::inventory",
  "version": "2016-11-30",
  "creationTimestamp": "1733356800000",
  "fileFormat": "CSV",
  "fileSchema": "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag, StorageClass, ChecksumAlgorithm",
  "files": [{"key": "inv/photos/data/a.csv.gz", "size": 2147, "MD5checksum": "F11166069F1990ABEB9C97ACE9CDFABC"},
            {"key": "inv/photos/data/b.csv.gz", "size": 10, "MD5checksum": "00000000000000000000000000000000"}]
})";

TEST(InventoryManifestTest, ReadsWhatAReportSays) {
  auto m = ParseInventoryManifest(kManifest);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->source_bucket, "photos");
  EXPECT_EQ(m->destination_bucket, "inventory");
  EXPECT_EQ(m->columns.size(), 10u);
  EXPECT_EQ(m->columns[1], "Key");
  EXPECT_EQ(m->columns[9], "ChecksumAlgorithm");
  ASSERT_EQ(m->files.size(), 2u);
  EXPECT_EQ(m->files[0].key, "inv/photos/data/a.csv.gz");
  EXPECT_EQ(m->files[0].size, 2147);
  EXPECT_EQ(m->files[0].md5_hex, "f11166069f1990abeb9c97ace9cdfabc");  // compared in lower case
}

TEST(InventoryManifestTest, RefusesWhatItCannotRead) {
  EXPECT_FALSE(ParseInventoryManifest("not json").ok());
  EXPECT_FALSE(ParseInventoryManifest(R"({"fileFormat": "CSV", "files": []})").ok());  // no source
  auto orc = ParseInventoryManifest(R"({"sourceBucket": "b", "fileFormat": "ORC", "files": []})");
  ASSERT_FALSE(orc.ok());
  EXPECT_NE(orc.status().message().find("ORC format"), std::string::npos);
  EXPECT_FALSE(ParseInventoryManifest(R"({"sourceBucket": "b", "fileFormat": "CSV", "fileSchema": "Bucket, Key, Size", "files": [{"key": "k"}]})").ok());
}

TEST(S3UrlTest, BucketAndKey) {
  auto u = ParseS3Url("s3://inv/photos/daily/manifest.json");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->first, "inv");
  EXPECT_EQ(u->second, "photos/daily/manifest.json");
  for (const char* bad : {"inv/manifest.json", "s3://", "s3://inv", "s3://inv/", "s3:///k", "https://inv/k"}) {
    EXPECT_FALSE(ParseS3Url(bad).ok()) << bad;
  }
}

TEST(CsvLineTest, QuotedFieldsCommasAndEscapedQuotes) {
  auto f = SplitCsvLine(R"("photos","a,b","say ""hi""","",plain,"x")" "\r");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(*f, (std::vector<std::string>{"photos", "a,b", "say \"hi\"", "", "plain", "x"}));
  EXPECT_EQ(*SplitCsvLine("a,,b"), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(*SplitCsvLine("a,"), (std::vector<std::string>{"a", ""}));
  EXPECT_FALSE(SplitCsvLine(R"("open)").ok());
  EXPECT_FALSE(SplitCsvLine(R"("a"b)").ok());
}

TEST(InventorySchemaTest, RowsBecomeListedObjects) {
  auto m = ParseInventoryManifest(kManifest);
  ASSERT_TRUE(m.ok());
  auto schema = InventorySchema::From(m->columns);
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  // Keys are URL-encoded, '+' for a space; a '+' itself is %2B.
  auto row = schema->Row(*SplitCsvLine(
      R"("photos","2019/my+photo%281%29%2B%C3%A9.jpg","v1","true","false","16384","2019-05-01T10:00:00.000Z","7ea9d6b395dc51c08234eeae136553aa","GLACIER","CRC64NVME")"));
  ASSERT_TRUE(row.ok()) << row.status().ToString();
  EXPECT_EQ(row->object.key, "2019/my photo(1)+\xc3\xa9.jpg");
  EXPECT_EQ(row->object.version_id, "v1");
  EXPECT_EQ(row->object.size, 16384u);
  EXPECT_EQ(row->object.etag, "7ea9d6b395dc51c08234eeae136553aa");
  EXPECT_EQ(row->object.storage_class, "GLACIER");
  EXPECT_EQ(row->object.last_modified, "2019-05-01T10:00:00.000Z");
  EXPECT_EQ(row->object.checksum_algorithm, "CRC64NVME");
  EXPECT_TRUE(row->is_latest);
  EXPECT_FALSE(row->delete_marker);

  auto marker = schema->Row(*SplitCsvLine(R"("photos","k","v2","true","true","","2019-05-01T10:00:00.000Z","","","")"));
  ASSERT_TRUE(marker.ok()) << marker.status().ToString();
  EXPECT_TRUE(marker->delete_marker);
  auto old = schema->Row(*SplitCsvLine(R"("photos","k","v0","false","false","5","2019-05-01T10:00:00.000Z","e","STANDARD","")"));
  ASSERT_TRUE(old.ok());
  EXPECT_FALSE(old->is_latest);

  EXPECT_FALSE(schema->Row(*SplitCsvLine(R"("photos","k")")).ok());  // too few fields
  EXPECT_FALSE(schema->Row(*SplitCsvLine(R"("photos","k","","true","false","12x","","","","")")).ok());
  EXPECT_FALSE(schema->Row(*SplitCsvLine(R"("photos","bad%zz","","true","false","1","","","","")")).ok());
}

TEST(InventorySchemaTest, CurrentVersionOnlyReportsAndMissingColumns) {
  auto schema = InventorySchema::From({"Bucket", "Key", "Size", "ETag"});
  ASSERT_TRUE(schema.ok());
  auto row = schema->Row({"b", "a%20b", "3", "e"});
  ASSERT_TRUE(row.ok());
  EXPECT_EQ(row->object.key, "a b");
  EXPECT_EQ(row->object.version_id, "");
  EXPECT_EQ(row->object.storage_class, "STANDARD");
  EXPECT_TRUE(row->is_latest);
  auto no_size = InventorySchema::From({"Bucket", "Key", "ETag"});
  ASSERT_FALSE(no_size.ok());
  EXPECT_NE(no_size.status().message().find("no Size column"), std::string::npos);
}

}  // namespace
}  // namespace s3m::scan
