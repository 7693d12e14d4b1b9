// The scanner against a scripted in-memory listing, ONLY for what no real
// server does on demand: a listing failing at page 3 (then resumed), a
// server repeating a continuation token, a truncated page without a token,
// and a database that fails mid-scan. Everything else is tested against real
// servers in tests/integration/scan_test.cc.
#include "scan/scanner.h"

#include <filesystem>
#include <map>
#include <mutex>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace s3m::scan {
namespace {

using ::testing::HasSubstr;

// Serves one bucket of `keys` in pages of `page_size`; tokens are "page-N".
// fail_at_page / repeat_at_page script the misbehaviour.
class ScriptedStore final : public s3::ObjectStore {
 public:
  std::vector<std::string> keys;
  size_t page_size = 10;
  int fail_at_page = -1;        // this page (0-based) answers 500 once
  int repeat_at_page = -1;      // from this page on, the next token repeats
  bool omit_token = false;      // truncated pages carry no token
  int pages_served = 0;

  Result<std::vector<s3::BucketSummary>> ListBuckets() override {
    return std::vector<s3::BucketSummary>{{"b", "", ""}};
  }
  Result<std::string> GetBucketRegion(const std::string&) override { return std::string("us-east-1"); }
  Result<std::string> GetBucketVersioning(const std::string&) override {
    return Status::Error(ErrorKind::kUnsupported, "no versioning here");
  }
  Result<s3::ListObjectsV2Page> ListObjectsV2(const s3::ListObjectsV2Request& req) override {
    std::lock_guard lock(mu_);
    int page = 0;
    if (!req.continuation_token.empty()) page = std::stoi(req.continuation_token.substr(5));
    if (page == fail_at_page) {
      fail_at_page = -1;
      return Status::Error(ErrorKind::kTransient, "internal error after retries",
                           ErrorContext::ForObject("ListObjectsV2", req.bucket));
    }
    ++pages_served;
    s3::ListObjectsV2Page out;
    const size_t first = static_cast<size_t>(page) * page_size;
    for (size_t i = first; i < keys.size() && i < first + page_size; ++i) {
      s3::ObjectSummary o;
      o.key = keys[i];
      o.size = i;
      o.etag = "etag" + std::to_string(i);
      o.storage_class = "STANDARD";
      o.last_modified = "2026-01-01T00:00:00.000Z";
      out.objects.push_back(o);
    }
    out.is_truncated = first + page_size < keys.size();
    if (out.is_truncated && !omit_token) {
      const int next = repeat_at_page >= 0 && page >= repeat_at_page ? repeat_at_page : page + 1;
      out.next_continuation_token = "page-" + std::to_string(next);
    }
    return out;
  }

  // --- not used by the scanner ---
  Result<s3::ListObjectVersionsPage> ListObjectVersions(const s3::ListObjectVersionsRequest&) override { return Unused(); }
  Result<s3::ObjectMetadata> HeadObject(const s3::HeadObjectRequest&) override { return Unused(); }
  Result<s3::ObjectMetadata> GetObject(const s3::GetObjectRequest&, const s3::BodySink&) override { return Unused(); }
  Result<s3::DeleteObjectResult> DeleteObject(const s3::DeleteObjectRequest&) override { return Unused(); }
  Result<s3::DeleteObjectsResult> DeleteObjects(const std::string&, const std::vector<s3::DeleteObjectsEntry>&) override { return Unused(); }
  Result<s3::RestoreOutcome> RestoreObject(const s3::RestoreObjectRequest&) override { return Unused(); }
  Result<s3::ObjectTags> GetObjectTagging(const std::string&, const std::string&, const std::string&) override {
    return Unused();
  }
  Status CreateBucket(const std::string&) override { return Unused(); }
  Status DeleteBucket(const std::string&) override { return Unused(); }
  Status PutBucketVersioning(const std::string&, bool) override { return Unused(); }
  Result<s3::PutObjectResult> PutObject(const s3::PutObjectRequest&) override { return Unused(); }
  Result<std::string> CreateMultipartUpload(const s3::CreateMultipartUploadRequest&) override { return Unused(); }
  Result<s3::CompletedPart> UploadPart(const std::string&, const std::string&, const std::string&, int,
                                       std::string_view, const std::string&) override { return Unused(); }
  Result<s3::CompleteMultipartUploadResult> CompleteMultipartUpload(
      const std::string&, const std::string&, const std::string&, const std::vector<s3::CompletedPart>&,
      const std::string&) override { return Unused(); }
  Status AbortMultipartUpload(const std::string&, const std::string&, const std::string&) override { return Unused(); }

 private:
  static Status Unused() { return Status::Error(ErrorKind::kUnsupported, "not scripted"); }
  std::mutex mu_;
};

class ScannerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "s3m-scan-XXXXXX").string();
    dir_ = ::mkdtemp(tmpl.data());
    for (int i = 0; i < 45; ++i) objects_.keys.push_back(fmt::format("key-{:03d}", i));
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<store::StateStore> Open() {
    auto s = store::StateStore::Open(dir_ + "/state.db", {.mode = store::OpenMode::kWrite, .command = "scan"});
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return std::move(s).value();
  }

  BucketScanResult ScanOnce(ScanMode mode = ScanMode::kScan) {
    auto state = Open();
    ScanOptions options;
    options.mode = mode;
    // The script ignores start-after: listings are not split (splits are
    // tested on real servers, tests/integration/scan_split_test.cc).
    options.split_listings = false;
    Scanner scanner(objects_, *state, options);
    auto report = scanner.Run();
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_EQ(report->buckets.size(), 1u);
    return report->buckets.at(0);
  }

  int64_t Sql(const std::string& sql) {
    auto state = Open();
    return state->database().QueryInt(sql).value();
  }

  std::string dir_;
  ScriptedStore objects_;
};

TEST_F(ScannerTest, ListingFailingAtPageThreeIsNotCompleteAndResumesExactly) {
  objects_.fail_at_page = 2;
  BucketScanResult first = ScanOnce();
  EXPECT_EQ(first.outcome, BucketOutcome::kFailed);
  EXPECT_EQ(first.error.kind(), ErrorKind::kTransient);
  EXPECT_EQ(first.objects_listed, 20);
  EXPECT_EQ(Sql("SELECT COUNT(*) FROM files"), 20);
  EXPECT_EQ(Sql("SELECT COUNT(*) FROM buckets WHERE scan_state = 'failed' AND scan_completed_at IS NULL "
                "AND continuation_token = 'page-2' AND last_key = 'key-019'"),
            1);

  objects_.pages_served = 0;
  BucketScanResult second = ScanOnce();
  EXPECT_EQ(second.outcome, BucketOutcome::kComplete);
  EXPECT_TRUE(second.resumed);
  EXPECT_EQ(objects_.pages_served, 3);  // pages 2, 3, 4 only
  EXPECT_EQ(second.counts.inserted, 25);
  EXPECT_EQ(Sql("SELECT COUNT(*) FROM files"), 45);
  EXPECT_EQ(Sql("SELECT COUNT(DISTINCT key) FROM files"), 45);
  EXPECT_EQ(Sql("SELECT COUNT(*) FROM buckets WHERE scan_state = 'complete' AND listed_objects = 45"), 1);

  // scan again: already complete, nothing listed.
  objects_.pages_served = 0;
  EXPECT_EQ(ScanOnce().outcome, BucketOutcome::kSkipped);
  EXPECT_EQ(objects_.pages_served, 0);
}

TEST_F(ScannerTest, RepeatedContinuationTokenFailsTheBucketInsteadOfLooping) {
  objects_.repeat_at_page = 1;  // page 1 answers "page-1" again, forever
  BucketScanResult r = ScanOnce();
  EXPECT_EQ(r.outcome, BucketOutcome::kFailed);
  EXPECT_THAT(r.error.message(), HasSubstr("loop forever"));
  EXPECT_EQ(r.error.context().bucket, "b");
  EXPECT_LE(objects_.pages_served, 3);
  EXPECT_EQ(Sql("SELECT COUNT(*) FROM buckets WHERE scan_state = 'complete'"), 0);
  EXPECT_EQ(Sql("SELECT COUNT(*) FROM buckets WHERE scan_state = 'failed' AND last_error LIKE "
                "'%continuation position%'"),
            1);
}

TEST_F(ScannerTest, TruncatedPageWithoutTokenFailsTheBucket) {
  objects_.omit_token = true;
  BucketScanResult r = ScanOnce();
  EXPECT_EQ(r.outcome, BucketOutcome::kFailed);
  EXPECT_THAT(r.error.message(), HasSubstr("no position to continue"));
  EXPECT_EQ(Sql("SELECT COUNT(*) FROM buckets WHERE scan_state = 'complete'"), 0);
}

TEST_F(ScannerTest, DatabaseFailureStopsTheRunWithoutHanging) {
  auto state = Open();
  // A trigger makes the 15th insert fail, as a full disk would.
  ASSERT_TRUE(state->database()
                  .Exec("CREATE TRIGGER boom BEFORE INSERT ON files WHEN NEW.key = 'key-014' "
                        "BEGIN SELECT RAISE(ABORT, 'disk I/O error (simulated)'); END")
                  .ok());
  objects_.keys.resize(200);
  for (int i = 45; i < 200; ++i) objects_.keys[i] = fmt::format("key-{:03d}", i);
  ScanOptions options;
  options.split_listings = false;
  Scanner scanner(objects_, *state, options);
  auto report = scanner.Run();
  ASSERT_FALSE(report.ok());
  EXPECT_THAT(report.status().message(), HasSubstr("simulated"));
  // The failed page was rolled back whole; the page before it is kept.
  EXPECT_EQ(state->database().QueryInt("SELECT COUNT(*) FROM files").value(), 10);
}

TEST(NextVersionIdMarkerTest, NullForAVersionWithAnIdIsTheLastVersionsId) {
  s3::ListObjectVersionsPage page;
  page.is_truncated = true;
  page.versions.resize(2);
  page.versions[0].key = "b";
  page.versions[0].version_id = "1796506526.88610";
  page.versions[1].key = "c";
  page.versions[1].version_id = "1796506530.31398";
  page.next_key_marker = "c";
  page.next_version_id_marker = "null";  // Swift 2.30
  EXPECT_EQ(NextVersionIdMarker(page), "1796506530.31398");
  page.next_version_id_marker = "1796506530.31398";  // AWS, s3emu
  EXPECT_EQ(NextVersionIdMarker(page), "1796506530.31398");
  // A real "null" version (written while versioning was off) stays.
  page.versions[1].version_id = "null";
  page.next_version_id_marker = "null";
  EXPECT_EQ(NextVersionIdMarker(page), "null");
  // A marker for another key than the last listed is the server's.
  page.versions[1].version_id = "v9";
  page.next_key_marker = "d";
  EXPECT_EQ(NextVersionIdMarker(page), "null");
}

TEST(ListingWentBackTest, OrderOfEitherKindIsAccepted) {
  EXPECT_FALSE(ListingWentBack("", "a", false));
  EXPECT_FALSE(ListingWentBack("a", "b", false));
  EXPECT_TRUE(ListingWentBack("b", "a", false));
  EXPECT_TRUE(ListingWentBack("b", "b", false));   // a key listed twice
  EXPECT_FALSE(ListingWentBack("b", "b", true));   // versions of one key span pages
  EXPECT_TRUE(ListingWentBack("a\nkey3", "a\nkey1", false));  // s3rver's newline keys
  // U+FFFD vs U+1F600: UTF-8 byte order puts the emoji after, UTF-16 before.
  const std::string replacement = "\xef\xbf\xbd";
  const std::string emoji = "\xf0\x9f\x98\x80";
  EXPECT_FALSE(ListingWentBack(replacement, emoji, false));  // S3's order
  EXPECT_FALSE(ListingWentBack(emoji, replacement, false));  // s3rver's order
}

TEST(ListedConversionTest, RestoreStatusAndChecksumsAreKept) {
  s3::ObjectSummary s;
  s.key = "k";
  s.etag = "abc";
  s.size = 5;
  s.storage_class = "";
  s.checksum_algorithms = {"CRC64NVME"};
  s.checksum_type = "FULL_OBJECT";
  s.restore_status = s3::RestoreStatus{false, "2026-12-01T00:00:00.000Z", std::nullopt};
  store::ListedObject o = ListedFromSummary(s);
  EXPECT_EQ(o.storage_class, "STANDARD");
  EXPECT_EQ(o.checksum_algorithm, "CRC64NVME");
  EXPECT_EQ(o.checksum_type, "FULL_OBJECT");
  EXPECT_EQ(o.restore_expiry, "2026-12-01T00:00:00.000Z");
  s3::ObjectVersion v;
  v.key = "k";
  v.version_id = "v1";
  v.storage_class = "GLACIER";
  v.restore_status = s3::RestoreStatus{true, "", std::nullopt};
  store::ListedObject ov = ListedFromVersion(v);
  EXPECT_EQ(ov.version_id, "v1");
  EXPECT_TRUE(ov.restore_in_progress);
  EXPECT_TRUE(ov.restore_expiry.empty());
}

}  // namespace
}  // namespace s3m::scan
