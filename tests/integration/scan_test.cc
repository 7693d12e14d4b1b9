// The scanner against real servers (s3rver, OpenStack Swift's s3api and the
// S3 emulator, through ConfiguredServers()).
// Every check reads the database with plain SQL, the way a user would.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "scan/scanner.h"
#include "scan_support.h"
#include "store/state_store.h"
#include "test_servers.h"

namespace s3m::testing {
namespace {

using ::testing::HasSubstr;

// Thousands of keys, within the time Swift takes to upload and delete them
// on a shared 2-core machine (about 25 objects/s each way under load).
constexpr int kBigBucketKeys = 2000;

// Deletes `keys` with DeleteObjects, 200 per request from 8 threads
// (DestroyBucket's one-by-one deletes take minutes for thousands of keys on
// Swift), then the bucket.
void EmptyAndDeleteBucket(s3::ObjectStore& store, const std::string& bucket,
                          const std::vector<std::string>& keys) {
  std::atomic<size_t> next{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (size_t first; (first = next.fetch_add(200)) < keys.size();) {
        std::vector<s3::DeleteObjectsEntry> entries;
        for (size_t i = first; i < keys.size() && i < first + 200; ++i) entries.push_back({keys[i], "", ""});
        store.DeleteObjects(bucket, entries).status().IgnoreError();
      }
    });
  }
  for (auto& t : threads) t.join();
  DestroyBucket(store, bucket, false);  // whatever is left, one by one
}

// Counts pages and can stop the scan after a number of them.
class CountingObserver : public scan::ScanObserver {
 public:
  explicit CountingObserver(std::atomic<bool>* cancel = nullptr, int cancel_after = -1)
      : cancel_(cancel), cancel_after_(cancel_after) {}
  void OnPage(const std::string&, int64_t, int64_t) override {
    if (++pages == cancel_after_ && cancel_ != nullptr) cancel_->store(true);
  }
  int pages = 0;

 private:
  std::atomic<bool>* cancel_;
  int cancel_after_;
};

// Holds the writer 250 ms per page until the listing has been split (read
// from the database on a connection of its own), so that a split happens
// however slowly the idle listers' probes go: pages wait in the bounded
// queue, and the writer still answers the listers between two pages. With
// `cancel`, stops the scan after `cancel_after` pages once it is split.
class UntilSplitObserver : public CountingObserver {
 public:
  explicit UntilSplitObserver(std::string db, std::atomic<bool>* cancel = nullptr, int cancel_after = -1)
      : db_(std::move(db)), cancel_(cancel), cancel_after_(cancel_after) {}
  void OnPage(const std::string& bucket, int64_t objects, int64_t total) override {
    CountingObserver::OnPage(bucket, objects, total);
    if (!split_) split_ = SqlInt(db_, "SELECT COUNT(*) FROM listing_ranges") >= 2;
    if (!split_) std::this_thread::sleep_for(std::chrono::milliseconds(250));
    if (split_ && cancel_ != nullptr && pages >= cancel_after_) cancel_->store(true);
  }

 private:
  const std::string db_;
  std::atomic<bool>* cancel_;
  const int cancel_after_;
  bool split_ = false;
};

class ScanIntegrationTest : public ::testing::TestWithParam<TestServer> {
 protected:
  void SetUp() override {
    server_ = GetParam();
    client_ = MakeClient(server_);
    db_ = dir_.File("s3_migration_state.db");
  }
  void TearDown() override {
    for (const auto& [bucket, versioned] : buckets_) {
      if (versioned) {
        DestroyBucket(*client_, bucket, true);
      } else {
        EmptyAndDeleteBucket(*client_, bucket, keys_[bucket]);
      }
    }
  }

  struct Filled {
    std::string bucket;
    std::vector<std::string> keys;
  };
  // A bucket of `n` keys like a photo archive's, plus the awkward ones.
  Filled FilledBucket(const std::string& suffix, int n) {
    Filled f;
    f.bucket = NewBucket(suffix);
    for (int i = 0; i < n; ++i) f.keys.push_back(fmt::format("photos/{:03d}/img-{:05d}.jpg", i / 100, i));
    for (const auto& k : AwkwardScanKeys(server_)) f.keys.push_back(k);
    EXPECT_TRUE(PutMany(*client_, f.bucket, f.keys));
    keys_[f.bucket] = f.keys;
    return f;
  }

  bool split_ = true;  // idle listers split listings under way (ScanOptions::split_listings)

  std::string NewBucket(const std::string& suffix, bool versioned = false) {
    std::string bucket = CreateTestBucket(*client_, suffix, versioned);
    buckets_[bucket] = versioned;
    return bucket;
  }

  Result<scan::ScanReport> Scan(scan::ScanMode mode, std::vector<std::string> buckets,
                                scan::ScanObserver* observer = nullptr, int max_keys = 1000,
                                const std::atomic<bool>* cancel = nullptr,
                                scan::ScanFilter filter = {}) {
    auto state = store::StateStore::Open(db_, {.mode = store::OpenMode::kWrite, .command = "scan"});
    if (!state.ok()) return state.status();
    scan::ScanOptions options;
    options.mode = mode;
    options.buckets = std::move(buckets);
    options.max_keys = max_keys;
    options.cancelled = cancel;
    options.parallel_buckets = 3;
    options.split_listings = split_;
    options.filter = std::move(filter);
    scan::Scanner scanner(*client_, **state, options);
    return scanner.Run(observer);
  }

  static const scan::BucketScanResult& ResultFor(const scan::ScanReport& report, const std::string& bucket) {
    for (const auto& b : report.buckets) {
      if (b.bucket == bucket) return b;
    }
    static scan::BucketScanResult none;
    ADD_FAILURE() << "no result for " << bucket;
    return none;
  }

  TestServer server_;
  std::unique_ptr<s3::S3Client> client_;
  std::map<std::string, bool> buckets_;
  std::map<std::string, std::vector<std::string>> keys_;  // for the batched cleanup
  ScanTempDir dir_;
  std::string db_;
};

TEST_P(ScanIntegrationTest, SeveralBucketsInParallelEveryKeyOnceRerunAddsNothing) {
  const Filled big = FilledBucket("big", kBigBucketKeys);
  const std::string small = NewBucket("small");
  const std::string empty = NewBucket("empty");
  keys_[small] = {"a.txt", "b/c.txt", "d e.txt"};
  ASSERT_TRUE(PutMany(*client_, small, keys_[small]));

  CountingObserver observer;
  auto report = Scan(scan::ScanMode::kScan, {big.bucket, small, empty}, &observer);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->buckets.size(), 3u);
  for (const auto& b : report->buckets) {
    EXPECT_EQ(b.outcome, scan::BucketOutcome::kComplete) << b.bucket << ": " << b.error.ToString();
    EXPECT_EQ(b.region, server_.region);
  }
  const int64_t total = static_cast<int64_t>(big.keys.size()) + 3;
  EXPECT_EQ(report->objects_listed, total);
  EXPECT_EQ(CountByState(db_), (std::map<std::string, int64_t>{{"discovered", total}}));
  // Every key exactly as S3 has it, URL-encoded ones included.
  EXPECT_EQ(SqlStrings(db_, "SELECT key FROM files WHERE bucket = '" + big.bucket + "'"),
            std::set<std::string>(big.keys.begin(), big.keys.end()));
  EXPECT_EQ(SqlInt(db_, "SELECT COUNT(DISTINCT key) FROM files WHERE bucket = '" + big.bucket + "'"),
            static_cast<int64_t>(big.keys.size()));
  EXPECT_EQ(SqlInt(db_, "SELECT COUNT(*) FROM buckets WHERE scan_state = 'complete' AND "
                        "scan_completed_at IS NOT NULL AND continuation_token = ''"),
            3);
  EXPECT_EQ(SqlInt(db_, "SELECT size FROM files WHERE key = 'd e.txt'"),
            static_cast<int64_t>(std::string("body of d e.txt").size()));
  EXPECT_EQ(SqlInt(db_, "SELECT COUNT(*) FROM files WHERE etag = '' OR storage_class = '' OR "
                        "last_modified = ''"),
            0);

  // scan again: nothing listed, nothing added.
  report = Scan(scan::ScanMode::kScan, {big.bucket, small, empty});
  ASSERT_TRUE(report.ok());
  for (const auto& b : report->buckets) EXPECT_EQ(b.outcome, scan::BucketOutcome::kSkipped);
  EXPECT_EQ(SqlInt(db_, "SELECT COUNT(*) FROM files"), total);

  // rescan: everything listed again, nothing new, nothing changed or gone.
  report = Scan(scan::ScanMode::kRescan, {big.bucket, small, empty});
  ASSERT_TRUE(report.ok());
  const auto& again = ResultFor(*report, big.bucket);
  EXPECT_EQ(again.outcome, scan::BucketOutcome::kComplete);
  EXPECT_EQ(again.counts.inserted, 0);
  EXPECT_EQ(again.counts.changed, 0);
  EXPECT_EQ(again.counts.unchanged, static_cast<int64_t>(big.keys.size()));
  EXPECT_EQ(again.counts.gone_before_download, 0);
  EXPECT_EQ(SqlInt(db_, "SELECT COUNT(*) FROM files"), total);
  EXPECT_EQ(SqlInt(db_, "SELECT MIN(scan_generation) FROM buckets"), 2);
}

TEST_P(ScanIntegrationTest, InterruptedScanResumesExactlyWhereItStopped) {
  split_ = false;  // pages are counted: one listing, as many pages as the bucket has
  const Filled big = FilledBucket("resume", 600);
  std::atomic<bool> cancel{false};
  CountingObserver first_run(&cancel, 3);
  auto report = Scan(scan::ScanMode::kScan, {big.bucket}, &first_run, 50, &cancel);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->interrupted);
  EXPECT_EQ(report->buckets.at(0).outcome, scan::BucketOutcome::kInterrupted);
  const int64_t committed = SqlInt(db_, "SELECT COUNT(*) FROM files");
  EXPECT_GE(committed, 150);
  EXPECT_LT(committed, static_cast<int64_t>(big.keys.size()));
  EXPECT_EQ(SqlInt(db_, "SELECT COUNT(*) FROM buckets WHERE scan_state = 'complete'"), 0);
  EXPECT_EQ(SqlInt(db_, "SELECT COUNT(*) FROM buckets WHERE scan_state = 'listing' AND "
                        "continuation_token != '' AND listed_objects = " + std::to_string(committed)),
            1);

  cancel = false;
  CountingObserver second_run;
  report = Scan(scan::ScanMode::kScan, {big.bucket}, &second_run, 50, &cancel);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  const auto& b = report->buckets.at(0);
  EXPECT_EQ(b.outcome, scan::BucketOutcome::kComplete) << b.error.ToString();
  EXPECT_TRUE(b.resumed);
  // Only the pages after the committed ones were listed again.
  const int all_pages = static_cast<int>((big.keys.size() + 49) / 50);
  EXPECT_EQ(second_run.pages + first_run.pages, all_pages);
  EXPECT_EQ(b.counts.inserted, static_cast<int64_t>(big.keys.size()) - committed);
  EXPECT_EQ(SqlInt(db_, "SELECT COUNT(*) FROM files"), static_cast<int64_t>(big.keys.size()));
  EXPECT_EQ(SqlInt(db_, "SELECT COUNT(DISTINCT key) FROM files"), static_cast<int64_t>(big.keys.size()));
  EXPECT_EQ(SqlInt(db_, "SELECT listed_objects FROM buckets"), static_cast<int64_t>(big.keys.size()));
}

TEST_P(ScanIntegrationTest, RescanCatchesAddedChangedAndRemovedObjects) {
  const std::string bucket = NewBucket("rescan");
  std::vector<std::string> keys;
  for (int i = 0; i < 30; ++i) keys.push_back(fmt::format("file-{:02d}", i));
  ASSERT_TRUE(PutMany(*client_, bucket, keys));
  auto report = Scan(scan::ScanMode::kScan, {bucket});
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(SqlInt(db_, "SELECT COUNT(*) FROM files"), 30);

  // The engine's progress on a few of them, as it would record it.
  SqlExec(db_, "UPDATE files SET state = 'verified', local_path = '/dest/" + bucket +
                   "/' || key WHERE key IN ('file-00', 'file-01', 'file-02')");
  SqlExec(db_, "UPDATE files SET state = 'error', error_message = 'boom' WHERE key = 'file-03'");

  // Meanwhile in S3: 5 added, 4 changed (2 verified, 2 discovered), 4 removed
  // (2 discovered, 1 verified, 1 in error).
  std::vector<std::string> added;
  for (int i = 30; i < 35; ++i) added.push_back(fmt::format("file-{:02d}", i));
  ASSERT_TRUE(PutMany(*client_, bucket, added));
  std::map<std::string, std::string> new_bodies = {{"file-00", "new content, longer"},
                                                   {"file-01", "new content too"},
                                                   {"file-10", "changed"},
                                                   {"file-11", "changed again"}};
  ASSERT_TRUE(PutMany(*client_, bucket, {"file-00", "file-01", "file-10", "file-11"}, new_bodies));
  for (const char* key : {"file-20", "file-21", "file-02", "file-03"}) {
    ASSERT_TRUE(client_->DeleteObject({.bucket = bucket, .key = key, .version_id = "", .if_match = ""}).ok());
  }

  report = Scan(scan::ScanMode::kRescan, {bucket});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  const auto& r = report->buckets.at(0);
  EXPECT_EQ(r.outcome, scan::BucketOutcome::kComplete) << r.error.ToString();
  EXPECT_EQ(r.counts.inserted, 5);
  EXPECT_EQ(r.counts.changed, 4);
  EXPECT_EQ(r.counts.gone_before_download, 3);
  EXPECT_EQ(r.counts.gone_after_download, 1);

  // SELECT state, COUNT(*) FROM files GROUP BY state;
  EXPECT_EQ(CountByState(db_), (std::map<std::string, int64_t>{
                                   {"discovered", 35 - 3 - 1},  // every row but the gone ones
                                   {"error", 3},
                                   {"verified", 1}}));
  // Changed after verification: downloaded again, the verified copy kept.
  EXPECT_EQ(SqlInt(db_, "SELECT COUNT(*) FROM files WHERE key IN ('file-00', 'file-01') AND "
                        "state = 'discovered' AND previous_local_path = '/dest/" + bucket +
                        "/' || key AND previous_etag IS NOT NULL AND previous_etag != etag"),
            2);
  EXPECT_EQ(SqlInt(db_, "SELECT size FROM files WHERE key = 'file-00'"),
            static_cast<int64_t>(new_bodies["file-00"].size()));
  EXPECT_EQ(SqlInt(db_, "SELECT COUNT(*) FROM files WHERE key IN ('file-10', 'file-11') AND "
                        "state = 'discovered' AND previous_local_path IS NULL"),
            2);
  // Gone before download: 'error', marked and explained.
  EXPECT_EQ(SqlStrings(db_, "SELECT key FROM files WHERE state = 'error' AND gone_at IS NOT NULL"),
            (std::set<std::string>{"file-03", "file-20", "file-21"}));
  EXPECT_EQ(SqlInt(db_, "SELECT COUNT(*) FROM files WHERE state = 'error' AND error_message LIKE "
                        "'gone from S3 before download%'"),
            3);
  // Gone after it was verified: the local copy is what remains.
  EXPECT_EQ(SqlInt(db_, "SELECT COUNT(*) FROM files WHERE key = 'file-02' AND state = 'verified' "
                        "AND gone_at IS NOT NULL"),
            1);
}

TEST_P(ScanIntegrationTest, KeyFiltersRecordOnlyMatchingKeysAndNeverMarkOthersGone) {
  const std::string bucket = NewBucket("filter");
  ASSERT_TRUE(PutMany(*client_, bucket, {"keep/a", "keep/b", "skip/c", "keep/tmp/d"}));
  auto everything = Scan(scan::ScanMode::kScan, {bucket});
  ASSERT_TRUE(everything.ok());
  ASSERT_EQ(SqlInt(db_, "SELECT COUNT(*) FROM files"), 4);
  auto filter = scan::ScanFilter::Create({bucket + "/keep/*"}, {"*/tmp/*"});
  ASSERT_TRUE(filter.ok());
  auto report = Scan(scan::ScanMode::kRescan, {bucket}, nullptr, 1000, nullptr, *filter);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->buckets.at(0).objects_listed, 2);
  EXPECT_FALSE(report->buckets.at(0).gone_detection);
  EXPECT_EQ(SqlInt(db_, "SELECT COUNT(*) FROM files WHERE gone_at IS NOT NULL"), 0);
  EXPECT_EQ(SqlInt(db_, "SELECT COUNT(*) FROM buckets WHERE scan_filter LIKE '%include%keep%'"), 1);
}

TEST_P(ScanIntegrationTest, MissingBucketFailsOnlyThatBucket) {
  const std::string bucket = NewBucket("present");
  ASSERT_TRUE(PutMany(*client_, bucket, {"x"}));
  const std::string missing = UniqueBucketName("never-created");
  auto report = Scan(scan::ScanMode::kScan, {bucket, missing});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(ResultFor(*report, bucket).outcome, scan::BucketOutcome::kComplete);
  const auto& failed = ResultFor(*report, missing);
  EXPECT_EQ(failed.outcome, scan::BucketOutcome::kFailed);
  EXPECT_EQ(failed.error.kind(), ErrorKind::kNotFound) << failed.error.ToString();
  EXPECT_EQ(report->failed(), 1);
  EXPECT_EQ(SqlInt(db_, "SELECT COUNT(*) FROM files"), 1);
}

// s3rver 3.7.1 pages wrongly over keys with newlines (PRODUCT.md §9): the
// listing must end — complete with every key, or failed and not marked
// scanned — never loop, never claim completeness it does not have.
TEST_P(ScanIntegrationTest, NewlineKeysNeverLoopNorLie) {
  const std::string bucket = NewBucket("newlines");
  std::vector<std::string> keys;
  for (int i = 1; i <= 6; ++i) {
    keys.push_back(fmt::format("a\nkey{}", i));
    keys.push_back(fmt::format("akey{}", i));
  }
  ASSERT_TRUE(PutMany(*client_, bucket, keys));
  auto report = Scan(scan::ScanMode::kScan, {bucket}, nullptr, 3);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  const auto& b = report->buckets.at(0);
  if (b.outcome == scan::BucketOutcome::kComplete) {
    EXPECT_EQ(SqlStrings(db_, "SELECT key FROM files"), std::set<std::string>(keys.begin(), keys.end()));
  } else {
    EXPECT_EQ(b.outcome, scan::BucketOutcome::kFailed);
    EXPECT_THAT(b.error.message(), HasSubstr("loop forever"));
    EXPECT_EQ(SqlInt(db_, "SELECT COUNT(*) FROM buckets WHERE scan_state = 'failed' AND "
                          "scan_completed_at IS NULL"),
              1);
  }
  if (server_.url_encodes_listings) {
    EXPECT_EQ(b.outcome, scan::BucketOutcome::kComplete) << b.error.ToString();
  } else {
    // What s3rver 3.7.1 does today; if it ever lists these right, the branch
    // above checks every key.
    EXPECT_EQ(b.outcome, scan::BucketOutcome::kFailed) << "s3rver now pages newline keys correctly";
  }
}

TEST_P(ScanIntegrationTest, ArchivedStorageClassesAreRecordedAsNeedingRestore) {
  const std::string bucket = NewBucket("archived");
  s3::PutObjectRequest put;
  put.bucket = bucket;
  put.key = "cold";
  put.body = "frozen";
  put.storage_class = "GLACIER";
  auto r = client_->PutObject(put);
  if (!server_.keeps_storage_classes && !r.ok()) return;  // refused: nothing to scan
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto report = Scan(scan::ScanMode::kScan, {bucket});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  if (server_.keeps_storage_classes) {
    EXPECT_EQ(SqlInt(db_, "SELECT COUNT(*) FROM files WHERE key = 'cold' AND storage_class = 'GLACIER' "
                          "AND archived = 1 AND state IN ('discovered', 'glacier_restoring')"),
              1);
  } else {
    // Listed as STANDARD, so recorded as a plain object: nothing to restore.
    EXPECT_EQ(SqlInt(db_, "SELECT COUNT(*) FROM files WHERE key = 'cold' AND storage_class = 'STANDARD' "
                          "AND archived = 0"),
              1);
  }
}

// One bucket, three listers: the two with no bucket of their own split the
// listing under way and list the keys above each split; every key is
// recorded once, and a rescan split the same way finds nothing new or gone.
TEST_P(ScanIntegrationTest, OneBucketIsListedInKeyRangesByEveryLister) {
  const Filled big = FilledBucket("split", 600);
  const auto n = static_cast<int64_t>(big.keys.size());
  UntilSplitObserver slow(db_);
  auto report = Scan(scan::ScanMode::kScan, {big.bucket}, &slow, 10);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  const auto& b = report->buckets.at(0);
  EXPECT_EQ(b.outcome, scan::BucketOutcome::kComplete) << b.error.ToString();
  EXPECT_GE(b.ranges, 2);
  EXPECT_EQ(b.objects_listed, n);
  EXPECT_EQ(b.counts.inserted, n);
  EXPECT_EQ(SqlStrings(db_, "SELECT key FROM files"), std::set<std::string>(big.keys.begin(), big.keys.end()));
  EXPECT_EQ(SqlInt(db_, "SELECT COUNT(*) FROM files"), n);
  EXPECT_EQ(SqlInt(db_, "SELECT COUNT(*) FROM buckets WHERE scan_state = 'complete' AND listed_objects = " +
                        std::to_string(n)),
            1);
  EXPECT_EQ(SqlInt(db_, "SELECT COUNT(*) FROM listing_ranges"), 0);

  UntilSplitObserver slow_again(db_);
  report = Scan(scan::ScanMode::kRescan, {big.bucket}, &slow_again, 10);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  const auto& again = report->buckets.at(0);
  EXPECT_EQ(again.outcome, scan::BucketOutcome::kComplete) << again.error.ToString();
  EXPECT_EQ(again.objects_listed, n);
  EXPECT_EQ(again.counts.unchanged, n);
  EXPECT_EQ(again.counts.inserted + again.counts.changed + again.counts.gone_before_download, 0);
  EXPECT_EQ(SqlInt(db_, "SELECT COUNT(*) FROM files WHERE gone_at IS NOT NULL"), 0);
}

// A scan stopped while its listing is split resumes every range from its
// own position: each key once, none taken for gone.
TEST_P(ScanIntegrationTest, AnInterruptedSplitListingResumesEveryRange) {
  const Filled big = FilledBucket("splitresume", 600);
  const auto n = static_cast<int64_t>(big.keys.size());
  std::atomic<bool> cancel{false};
  UntilSplitObserver first_run(db_, &cancel, 20);
  auto report = Scan(scan::ScanMode::kScan, {big.bucket}, &first_run, 10, &cancel);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->buckets.at(0).outcome, scan::BucketOutcome::kInterrupted);
  const int64_t committed = SqlInt(db_, "SELECT COUNT(*) FROM files");
  EXPECT_LT(committed, n);
  EXPECT_GE(SqlInt(db_, "SELECT COUNT(*) FROM listing_ranges"), 2);
  EXPECT_GE(SqlInt(db_, "SELECT COUNT(*) FROM listing_ranges WHERE done = 0"), 1);
  EXPECT_EQ(SqlInt(db_, "SELECT listed_objects FROM buckets"), committed);

  cancel = false;
  report = Scan(scan::ScanMode::kScan, {big.bucket}, nullptr, 10, &cancel);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  const auto& b = report->buckets.at(0);
  EXPECT_EQ(b.outcome, scan::BucketOutcome::kComplete) << b.error.ToString();
  EXPECT_TRUE(b.resumed);
  EXPECT_EQ(b.counts.inserted, n - committed);
  EXPECT_EQ(b.counts.gone_before_download, 0);
  EXPECT_EQ(SqlStrings(db_, "SELECT key FROM files"), std::set<std::string>(big.keys.begin(), big.keys.end()));
  EXPECT_EQ(SqlInt(db_, "SELECT COUNT(*) FROM files"), n);
  EXPECT_EQ(SqlInt(db_, "SELECT listed_objects FROM buckets"), n);
  EXPECT_EQ(SqlInt(db_, "SELECT COUNT(*) FROM listing_ranges"), 0);
}

// Objects removed since the last scan are found gone by a split rescan:
// exactly those, whichever range they fell in.
TEST_P(ScanIntegrationTest, ASplitRescanMarksOnlyRemovedObjectsGone) {
  const Filled big = FilledBucket("splitgone", 400);
  ASSERT_TRUE(Scan(scan::ScanMode::kScan, {big.bucket}, nullptr, 10).ok());
  std::vector<s3::DeleteObjectsEntry> removed;
  for (size_t i = 7; i < 400; i += 50) removed.push_back({big.keys[i], "", ""});
  ASSERT_TRUE(client_->DeleteObjects(big.bucket, removed).ok());
  UntilSplitObserver slow(db_);
  auto report = Scan(scan::ScanMode::kRescan, {big.bucket}, &slow, 10);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  const auto& b = report->buckets.at(0);
  EXPECT_EQ(b.outcome, scan::BucketOutcome::kComplete) << b.error.ToString();
  EXPECT_GE(b.ranges, 2);
  EXPECT_EQ(b.counts.gone_before_download, static_cast<int64_t>(removed.size()));
  std::set<std::string> gone;
  for (const auto& e : removed) gone.insert(e.key);
  EXPECT_EQ(SqlStrings(db_, "SELECT key FROM files WHERE gone_at IS NOT NULL"), gone);
}

class VersionedScanIntegrationTest : public ScanIntegrationTest {
 protected:

  // 60 keys of two versions each; every sixth deleted (a delete marker on
  // top): 50 current objects, 70 noncurrent versions, 10 delete markers.
  std::string FilledVersionedBucket(const std::string& suffix) {
    const std::string bucket = NewBucket(suffix, /*versioned=*/true);
    std::vector<std::string> keys;
    std::map<std::string, std::string> second;
    for (int i = 0; i < 60; ++i) {
      keys.push_back(fmt::format("k-{:03d}", i));
      second[keys.back()] = "second version of " + keys.back();
    }
    EXPECT_TRUE(PutMany(*client_, bucket, keys));
    EXPECT_TRUE(PutMany(*client_, bucket, keys, second));
    for (int i = 0; i < 60; i += 6) {
      EXPECT_TRUE(client_->DeleteObject({.bucket = bucket, .key = keys[i], .version_id = "", .if_match = ""}).ok());
    }
    return bucket;
  }

  void ExpectEveryVersionCountedOnce(const scan::BucketScanResult& b) {
    EXPECT_EQ(b.outcome, scan::BucketOutcome::kComplete) << b.error.ToString();
    EXPECT_EQ(SqlInt(db_, "SELECT COUNT(*) FROM files"), 50);
    EXPECT_EQ(SqlInt(db_, "SELECT COUNT(*) FROM buckets WHERE noncurrent_versions = 70 AND delete_markers = 10 "
                          "AND listed_objects = 50"),
              1);
    EXPECT_EQ(b.noncurrent_versions, 70);
    EXPECT_EQ(b.delete_markers, 10);
  }
};

// Version listings in pages of 3: each page goes on after the last version
// listed. (Swift 2.30 answers NextVersionIdMarker "null" for a version that
// has an id; going on from "null" it lists nothing more, and the bucket was
// taken as listed after the first page.)
TEST_P(VersionedScanIntegrationTest, PagedVersionListingSeesEveryVersion) {
  split_ = false;
  const std::string bucket = FilledVersionedBucket("pagedversions");
  auto report = Scan(scan::ScanMode::kScan, {bucket}, nullptr, 3);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ExpectEveryVersionCountedOnce(report->buckets.at(0));
}

// A versioned bucket's listing split in ranges: noncurrent versions and
// delete markers are counted once each, on whichever side of a split.
TEST_P(VersionedScanIntegrationTest, SplitVersionListingCountsEveryVersionOnce) {
  const std::string bucket = FilledVersionedBucket("splitversions");
  UntilSplitObserver slow(db_);
  auto report = Scan(scan::ScanMode::kScan, {bucket}, &slow, 3);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  const auto& b = report->buckets.at(0);
  EXPECT_GE(b.ranges, 2);
  ExpectEveryVersionCountedOnce(b);
}

INSTANTIATE_TEST_SUITE_P(RealServers, ScanIntegrationTest, ::testing::ValuesIn(ConfiguredServers()),
                         ScanServerName);
INSTANTIATE_TEST_SUITE_P(RealServers, VersionedScanIntegrationTest,
                         ::testing::ValuesIn(ScanVersioningServers()), ScanServerName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(VersionedScanIntegrationTest);

}  // namespace
}  // namespace s3m::testing
