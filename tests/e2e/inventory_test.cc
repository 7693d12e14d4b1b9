// `scan --inventory` end to end: an S3 Inventory report (manifest.json,
// manifest.checksum, a gzip'd CSV data file, as S3 writes them) built from a
// real listing of a bucket on the emulator and stored in another bucket;
// scanning from it records the same rows as listing would, and the objects
// then migrate. A data file that does not match its manifest records nothing.
#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/hash.h"
#include "emulator_fixture.h"
#include "s3/uri.h"

namespace s3m::testing {
namespace {

class InventoryScanTest : public EmulatorMigrateTest {
 protected:
  // The bucket's current objects as inventory CSV lines (keys URL-encoded,
  // '+' for a space, as S3 Inventory writes them).
  std::string InventoryCsv(const std::string& bucket) {
    s3::ListObjectsV2Request request;
    request.bucket = bucket;
    auto page = client_->ListObjectsV2(request);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    std::string csv;
    for (const auto& o : page->objects) {
      std::string key = s3::UriEncode(o.key, /*encode_slash=*/false);
      for (size_t at; (at = key.find("%20")) != std::string::npos;) key.replace(at, 3, "+");
      csv += fmt::format("\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\"\n", bucket, key, o.size,
                         o.last_modified, o.etag, o.storage_class);
    }
    return csv;
  }

  static std::string Gzip(const std::string& data) {
    z_stream z{};
    EXPECT_EQ(deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    std::string out(deflateBound(&z, data.size()) + 64, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uInt>(data.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
  }

  // Stores a report of `source` in bucket "inv"; `data` replaces the data
  // file's bytes after the manifest took their checksum (a damaged file).
  std::string PutReport(const std::string& source, const std::string& damaged_data = "") {
    const std::string prefix = "reports/" + source + "/daily/2026-12-05T00-00Z/";
    const std::string data = Gzip(InventoryCsv(source));
    const std::string data_key = "reports/" + source + "/daily/data/part-0.csv.gz";
    nlohmann::json manifest = {
        {"sourceBucket", source},
        {"destinationBucket", "arn:aws:s3:::inv"},
        {"version", "2016-11-30"},
        {"creationTimestamp", "1764892800000"},
        {"fileFormat", "CSV"},
        {"fileSchema", "Bucket, Key, Size, LastModifiedDate, ETag, StorageClass"},
        {"files", {{{"key", data_key}, {"size", data.size()}, {"MD5checksum", HexEncode(Md5(data))}}}}};
    const std::string text = manifest.dump();
    Put("inv", data_key, damaged_data.empty() ? data : damaged_data);
    Put("inv", prefix + "manifest.json", text);
    Put("inv", prefix + "manifest.checksum", HexEncode(Md5(text)) + "\n");
    return "s3://inv/" + prefix + "manifest.json";
  }
};

TEST_F(InventoryScanTest, RecordsWhatAListingRecordsAndTheObjectsMigrate) {
  CreateBucket("src");
  CreateBucket("inv");
  Put("src", "a.txt", "alpha");
  Put("src", "dir/my photo (1)+\xc3\xa9.jpg", std::string(70000, 'p'));
  Put("src", "100%.bin", "percent");
  Put("src", "cold/old.log", "archived bytes", "GLACIER");
  const std::string manifest = PutReport("src");

  ProcessResult scan = run_->Run({"scan", "--inventory", manifest});
  ASSERT_EQ(scan.exit_code, 0) << Describe(scan);
  EXPECT_NE(scan.out.find("src: from its inventory report"), std::string::npos) << scan.out;
  EXPECT_EQ(Sql(run_->db(), "SELECT listing_api || ' ' || scan_state FROM buckets WHERE name = 'src'"),
            std::vector<std::string>{"S3Inventory complete"});
  EXPECT_EQ(Sql(run_->db(), "SELECT key || '|' || size || '|' || etag || '|' || storage_class || '|' || archived "
                            "FROM files ORDER BY key"),
            (std::vector<std::string>{"100%.bin|7|" + Etag("src", "100%.bin") + "|STANDARD|0",
                                      "a.txt|5|" + Etag("src", "a.txt") + "|STANDARD|0",
                                      "cold/old.log|14|" + Etag("src", "cold/old.log") + "|GLACIER|1",
                                      "dir/my photo (1)+\xc3\xa9.jpg|70000|" +
                                          Etag("src", "dir/my photo (1)+\xc3\xa9.jpg") + "|STANDARD|0"}));

  ProcessResult migrate = run_->Run({"migrate"});
  ASSERT_EQ(migrate.exit_code, 0) << Describe(migrate);
  ExpectAllRowsIn("deleted");
  EXPECT_TRUE(RemainingKeys("src").empty());
  ExpectLocalCopies("src");
}

TEST_F(InventoryScanTest, ADamagedDataFileRecordsNothingAndFailsTheBucket) {
  CreateBucket("src");
  CreateBucket("inv");
  Put("src", "a.txt", "alpha");
  const std::string manifest = PutReport("src", Gzip("\"src\",\"evil\",\"1\",\"\",\"e\",\"STANDARD\"\n"));
  ProcessResult scan = run_->Run({"scan", "--inventory", manifest});
  EXPECT_EQ(scan.exit_code, 1) << Describe(scan);
  EXPECT_NE(scan.out.find("damaged or replaced; nothing of it was recorded"), std::string::npos) << scan.out;
  EXPECT_EQ(SqlInt(run_->db(), "SELECT COUNT(*) FROM files"), 0);
  EXPECT_EQ(Sql(run_->db(), "SELECT scan_state FROM buckets WHERE name = 'src'"),
            std::vector<std::string>{"failed"});

  ProcessResult missing = run_->Run({"scan", "--inventory", "s3://inv/no/such/manifest.json"});
  EXPECT_EQ(missing.exit_code, 1) << Describe(missing);
  EXPECT_NE(missing.out.find("s3://inv/no/such/manifest.json: cannot read this inventory report: GetObject"),
            std::string::npos)
      << missing.out;
  ProcessResult bad_url = run_->Run({"scan", "--inventory", "inv/manifest.json"});
  EXPECT_EQ(bad_url.exit_code, 1) << Describe(bad_url);
  EXPECT_NE(bad_url.out.find("not an s3://bucket/key address"), std::string::npos) << bad_url.out;
}

}  // namespace
}  // namespace s3m::testing
