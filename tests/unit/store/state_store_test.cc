// The state database on a real SQLite file in a temp dir: schema, upgrades,
// idempotent ingest, rescan reconciliation, lifecycle transitions,
// aggregates, and that every hot query is served by an index.
#include "store/state_store.h"

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store/migration_store.h"
#include "store/schema.h"

namespace s3m::store {
namespace {

// Takes a current database back to schema 9 (before listing ranges).
constexpr const char* kDropSchema10 = "DROP TABLE listing_ranges; ";
// Takes a current database back to schema 8 (before the shared limits).
constexpr const char* kDropSchema9 =
    "DROP TABLE listing_ranges; DROP TABLE shared_limits; ALTER TABLE workers DROP COLUMN restores_pending; "
    "ALTER TABLE buckets DROP COLUMN claimed_by; ";
// Takes a current database back to schema 7 (before workers and claims).
constexpr const char* kDropSchema8 =
    "DROP TABLE listing_ranges; DROP TABLE shared_limits; ALTER TABLE buckets DROP COLUMN claimed_by; DROP INDEX files_by_claim; "
    "ALTER TABLE files DROP COLUMN claimed_by; DROP TABLE workers; ";
// Takes a current database back to schema 6 (before the metadata columns).
constexpr const char* kDropSchema7 =
    "DROP TABLE listing_ranges; DROP TABLE shared_limits; ALTER TABLE buckets DROP COLUMN claimed_by; DROP INDEX files_by_claim; "
    "ALTER TABLE files DROP COLUMN claimed_by; DROP TABLE workers; "
    "ALTER TABLE files DROP COLUMN headers; ALTER TABLE files DROP COLUMN tags; "
    "ALTER TABLE files DROP COLUMN checksums; ";

// A state change through the engine's one write path (MigrationStore::Apply):
// an error counts an attempt and keeps its message.
Result<bool> Move(StateStore& store, int64_t id, FileState from, FileState to,
                  std::optional<std::string> error_message = std::nullopt) {
  MigrationStore engine(store);
  FileChange change;
  change.id = id;
  change.from = from;
  change.to = to;
  change.error_message = std::move(error_message);
  change.count_attempt = to == FileState::kError;
  return engine.Apply(change);
}

using ::testing::HasSubstr;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "s3m-store-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

ListedObject Obj(const std::string& key, uint64_t size, const std::string& etag,
                 const std::string& storage_class = "STANDARD") {
  ListedObject o;
  o.key = key;
  o.size = size;
  o.etag = etag;
  o.storage_class = storage_class;
  o.last_modified = "2026-01-01T00:00:00.000Z";
  return o;
}

// A scalar from plain SQL, the way a user would ask with sqlite3.
int64_t SqlInt(Database& db, const std::string& sql) {
  auto v = db.QueryInt(sql);
  EXPECT_TRUE(v.ok()) << sql << ": " << v.status().ToString();
  return v.ok() ? *v : -1;
}

std::map<std::string, int64_t> CountByState(Database& db) {
  auto s = db.Prepare("SELECT state, COUNT(*) FROM files GROUP BY state;");
  std::map<std::string, int64_t> out;
  if (!s.ok()) return out;
  while (true) {
    auto row = s->Step();
    if (!row.ok() || !*row) break;
    out[s->ColumnText(0)] = s->ColumnInt(1);
  }
  return out;
}

class StateStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.File("s3_migration_state.db");
    clock_ = std::make_unique<FakeClock>(std::chrono::sys_days{std::chrono::year{2026} / 6 / 1});
  }

  std::unique_ptr<StateStore> OpenWriter() {
    StoreOptions options;
    options.mode = OpenMode::kWrite;
    options.command = "test";
    options.clock = clock_.get();
    auto store = StateStore::Open(path_, options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  // Lists `objects` as one complete generation of `bucket`.
  PageOutcome ListAll(StateStore& store, const std::string& bucket, std::vector<ListedObject> objects,
                      size_t page_size = 1000) {
    StartListingRequest start;
    start.bucket = bucket;
    start.region = "us-east-1";
    start.listing_api = "ListObjectsV2";
    auto rec = store.StartListing(start);
    EXPECT_TRUE(rec.ok()) << rec.status().ToString();
    PageOutcome total;
    size_t i = 0;
    do {
      ListingPage page;
      page.bucket = bucket;
      for (size_t n = 0; n < page_size && i < objects.size(); ++n, ++i) page.objects.push_back(objects[i]);
      page.last_key = page.objects.empty() ? "" : page.objects.back().key;
      page.last_page = i >= objects.size();
      page.next_token = page.last_page ? "" : "token-" + std::to_string(i);
      auto out = store.ApplyPage(page);
      EXPECT_TRUE(out.ok()) << out.status().ToString();
      if (!out.ok()) break;
      total.inserted += out->inserted;
      total.changed += out->changed;
      total.unchanged += out->unchanged;
      total.reappeared += out->reappeared;
      total.gone_before_download += out->gone_before_download;
      total.gone_after_download += out->gone_after_download;
    } while (i < objects.size());
    return total;
  }

  TempDir dir_;
  std::string path_;
  std::unique_ptr<FakeClock> clock_;
};

TEST_F(StateStoreTest, NewDatabaseHasCurrentSchemaInWalMode) {
  auto store = OpenWriter();
  ASSERT_TRUE(store);
  Database& db = store->database();
  EXPECT_EQ(SqlInt(db, "PRAGMA user_version"), kSchemaVersion);
  auto mode = db.Prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode.ok());
  ASSERT_TRUE(*mode->Step());
  EXPECT_EQ(mode->ColumnText(0), "wal");
  mode->Reset();
  // The public columns of PRODUCT.md §3 are there.
  for (const char* column : {"bucket", "key", "size", "etag", "storage_class", "last_modified",
                             "state", "local_path", "error_message", "created_at", "updated_at",
                             "version_id", "is_latest", "checksum_algorithm", "checksum_type",
                             "attempts", "restore_requested_at", "restore_expiry"}) {
    EXPECT_EQ(SqlInt(db, std::string("SELECT COUNT(*) FROM pragma_table_info('files') WHERE name = '") +
                             column + "'"),
              1)
        << column;
  }
  // The state column refuses strings outside the contract.
  EXPECT_FALSE(db.Exec("INSERT INTO files (bucket, key, state, created_at, updated_at) "
                       "VALUES ('b', 'k', 'done', 'x', 'x')")
                   .ok());
}

TEST_F(StateStoreTest, EarlierToolDatabaseIsUpgradedInPlace) {
  {
    // Version 1: the Python tool's table; it never set user_version.
    auto db = Database::Open(path_, {.read_only = false, .create = true});
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec(R"sql(
      CREATE TABLE files (bucket TEXT, key TEXT, size INTEGER, etag TEXT, storage_class TEXT,
                          last_modified TEXT, state TEXT, local_path TEXT, error_message TEXT,
                          created_at TEXT, updated_at TEXT, PRIMARY KEY (bucket, key));
      CREATE INDEX idx_state ON files (state);
      INSERT INTO files VALUES ('photos', 'a.jpg', 10, '"0cc175b9c0f1b6a831c399e269772661"',
                                'STANDARD', '2025-01-01T00:00:00Z', 'deleted', '/b/photos/a.jpg',
                                NULL, '2025-02-01 10:00:00', '2025-02-02 10:00:00');
      INSERT INTO files VALUES ('photos', 'b.jpg', 20, 'abc', 'GLACIER', '2025-01-01T00:00:00Z',
                                'glacier_restoring', NULL, NULL, NULL, NULL);
      INSERT INTO files VALUES ('logs', 'x.log', 5, 'def', NULL, NULL, 'weird', NULL, NULL,
                                NULL, NULL);
    )sql").ok());
  }
  auto store = OpenWriter();
  ASSERT_TRUE(store);
  Database& db = store->database();
  EXPECT_EQ(SqlInt(db, "PRAGMA user_version"), kSchemaVersion);
  EXPECT_EQ(SqlInt(db, "SELECT COUNT(*) FROM files"), 3);
  EXPECT_EQ(SqlInt(db, "SELECT COUNT(*) FROM files WHERE key = 'a.jpg' AND state = 'deleted' AND "
                       "etag = '0cc175b9c0f1b6a831c399e269772661' AND created_at = '2025-02-01 10:00:00'"),
            1);
  EXPECT_EQ(SqlInt(db, "SELECT archived FROM files WHERE key = 'b.jpg'"), 1);
  // An unknown state becomes an explained error, never a silently wrong one.
  EXPECT_EQ(SqlInt(db, "SELECT COUNT(*) FROM files WHERE key = 'x.log' AND state = 'error' AND "
                       "error_message LIKE 'unknown state ''weird''%' AND storage_class = 'STANDARD'"),
            1);
  // Its buckets are listed again by the next scan (the old tool could have
  // recorded a failed listing as complete).
  EXPECT_EQ(SqlInt(db, "SELECT COUNT(*) FROM buckets WHERE scan_state = 'pending'"), 2);
  auto bucket = store->GetBucket("photos");
  ASSERT_TRUE(bucket.ok() && bucket->has_value());
  EXPECT_EQ((*bucket)->scan_state, "pending");
  // Its recorded paths take part in the uniqueness checks (folded form).
  EXPECT_EQ(SqlInt(db, "SELECT COUNT(*) FROM files WHERE local_path_folded = '/b/photos/a.jpg'"), 1);
}

// Version 4 -> 5: copies verified before keep their rows; the column that
// records what they were verified against is there for new ones.
TEST_F(StateStoreTest, Version4DatabaseGetsTheVerifiedChecksumColumn) {
  {
    auto store = OpenWriter();
    ASSERT_TRUE(store);
    ListAll(*store, "b", {Obj("a", 1, "x")});
    ASSERT_TRUE(store->database()
                    .Exec(std::string("UPDATE files SET state = 'verified', verified_by = 'md5-etag', "
                                      "local_path = '/d/b/a'; ALTER TABLE files DROP COLUMN verified_checksum; ") +
                          kDropSchema7 + "DROP TABLE progress_samples; PRAGMA user_version = 4")
                    .ok());
  }
  auto store = OpenWriter();
  ASSERT_TRUE(store);
  Database& db = store->database();
  EXPECT_EQ(SqlInt(db, "PRAGMA user_version"), kSchemaVersion);
  EXPECT_EQ(SqlInt(db, "SELECT COUNT(*) FROM files WHERE verified_checksum IS NULL AND "
                       "verified_by = 'md5-etag'"), 1);
  auto copies = store->VerifiedCopies(std::nullopt, 0, 10);
  ASSERT_TRUE(copies.ok()) << copies.status().ToString();
  ASSERT_EQ(copies->size(), 1u);
  EXPECT_EQ((*copies)[0].local_path, std::optional<std::string>("/d/b/a"));
  EXPECT_EQ((*copies)[0].verified_checksum, "");
  EXPECT_EQ((*copies)[0].etag, "x");
}

// Version 7 -> 8: the workers table and files.claimed_by appear; the rows
// stay, claimed by nobody.
TEST_F(StateStoreTest, Version7DatabaseGetsWorkersAndClaims) {
  {
    auto store = OpenWriter();
    ASSERT_TRUE(store);
    ListAll(*store, "b", {Obj("a", 1, "x"), Obj("b", 2, "y")});
    ASSERT_TRUE(store->database().Exec(std::string(kDropSchema8) + "PRAGMA user_version = 7").ok());
  }
  auto store = OpenWriter();
  ASSERT_TRUE(store);
  Database& db = store->database();
  EXPECT_EQ(SqlInt(db, "PRAGMA user_version"), kSchemaVersion);
  EXPECT_EQ(SqlInt(db, "SELECT COUNT(*) FROM files WHERE claimed_by IS NULL"), 2);
  EXPECT_EQ(SqlInt(db, "SELECT COUNT(*) FROM workers"), 0);
  EXPECT_EQ(SqlInt(db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'files_by_claim'"), 1);
  // file_totals was made again with its shard column, and recounted.
  EXPECT_EQ(SqlInt(db, "SELECT SUM(files) FROM file_totals"), 2);
  EXPECT_EQ(SqlInt(db, "SELECT SUM(bytes) FROM file_totals"), 3);
  EXPECT_EQ(SqlInt(db, "SELECT COUNT(*) FROM pragma_table_info('file_totals') WHERE name = 'shard'"), 1);
  ASSERT_TRUE(Move(*store, SqlInt(db, "SELECT id FROM files WHERE key = 'a'"), FileState::kDiscovered,
                   FileState::kError, std::string("x"))
                  .ok());
  EXPECT_EQ(SqlInt(db, "SELECT SUM(files) FROM file_totals WHERE state = 'error'"), 1);
  EXPECT_EQ(SqlInt(db, "SELECT SUM(files) FROM file_totals WHERE state = 'discovered'"), 1);
}

// Version 8 -> 9: the shared limits appear; the workers recorded stay.
TEST_F(StateStoreTest, Version8DatabaseGetsTheSharedLimits) {
  {
    auto store = OpenWriter();
    ASSERT_TRUE(store);
    ListAll(*store, "b", {Obj("a", 1, "x")});
    ASSERT_TRUE(store->database()
                    .Exec("INSERT INTO workers (host, pid, started_at, heartbeat_at, lease_seconds) "
                          "VALUES ('h', 1, 't', 't', 60)")
                    .ok());
    ASSERT_TRUE(store->database().Exec(std::string(kDropSchema9) + "PRAGMA user_version = 8").ok());
  }
  auto store = OpenWriter();
  ASSERT_TRUE(store);
  Database& db = store->database();
  EXPECT_EQ(SqlInt(db, "PRAGMA user_version"), kSchemaVersion);
  EXPECT_EQ(SqlInt(db, "SELECT COUNT(*) FROM workers WHERE host = 'h' AND restores_pending = 0"), 1);
  EXPECT_EQ(SqlInt(db, "SELECT COUNT(*) FROM shared_limits"), 0);
  EXPECT_EQ(SqlInt(db, "SELECT COUNT(*) FROM buckets WHERE claimed_by IS NULL"), 1);
  EXPECT_EQ(SqlInt(db, "SELECT SUM(files) FROM file_totals"), 1);
}

// Version 9 -> 10: listing_ranges appears; a listing under way keeps its
// position on the bucket row and resumes from it.
TEST_F(StateStoreTest, Version9DatabaseGetsListingRanges) {
  {
    auto store = OpenWriter();
    ASSERT_TRUE(store);
    StartListingRequest start{.bucket = "b", .region = "r", .versioning = "", .listing_api = "ListObjectsV2",
                              .scan_filter = "", .restart = false};
    ASSERT_TRUE(store->StartListing(start).ok());
    ListingPage page;
    page.bucket = "b";
    page.objects = {Obj("a", 1, "x")};
    page.next_token = "T";
    page.last_key = "a";
    ASSERT_TRUE(store->ApplyPage(page).ok());
    ASSERT_TRUE(store->database().Exec(std::string(kDropSchema10) + "PRAGMA user_version = 9").ok());
  }
  auto store = OpenWriter();
  ASSERT_TRUE(store);
  EXPECT_EQ(SqlInt(store->database(), "PRAGMA user_version"), kSchemaVersion);
  EXPECT_EQ(SqlInt(store->database(), "SELECT COUNT(*) FROM listing_ranges"), 0);
  auto bucket = store->GetBucket("b");
  ASSERT_TRUE(bucket.ok() && *bucket);
  EXPECT_TRUE((*bucket)->resumable());
  EXPECT_FALSE((*bucket)->ranged);
  EXPECT_EQ((*bucket)->continuation_token, "T");
}

// A listing split in two (StateStore::SplitListing): each range records its
// own position; a page running past its range's end records only the keys
// inside; the bucket completes (and finds gone objects) with its last range.
TEST_F(StateStoreTest, ASplitListingRecordsEachRangeAndCompletesWithTheLast) {
  auto store = OpenWriter();
  ASSERT_TRUE(store);
  Database& db = store->database();
  ListAll(*store, "b", {Obj("a", 1, "x"), Obj("gone", 1, "g"), Obj("m", 1, "y")});
  StartListingRequest start{.bucket = "b", .region = "r", .versioning = "", .listing_api = "ListObjectsV2",
                            .scan_filter = "", .restart = true};
  ASSERT_TRUE(store->StartListing(start).ok());
  auto page = [](std::string range_start, std::vector<ListedObject> objects, bool last) {
    ListingPage p;
    p.bucket = "b";
    p.range_start = std::move(range_start);
    p.objects = std::move(objects);
    p.last_key = p.objects.back().key;
    p.next_token = last ? "" : "after-" + p.last_key;
    p.last_page = last;
    return p;
  };
  auto first = store->ApplyPage(page("", {Obj("a", 1, "x"), Obj("b", 1, "x")}, false));
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->range_done);

  // Split the bucket row's listing at "k": below it, not above its position.
  auto ranges = store->RangesBeingListed();
  ASSERT_TRUE(ranges.ok());
  ASSERT_EQ(ranges->size(), 1u);
  EXPECT_FALSE((*ranges)[0].ranged);
  EXPECT_EQ((*ranges)[0].after(), "b");
  auto refused = store->SplitListing((*ranges)[0], "a");
  ASSERT_TRUE(refused.ok());
  EXPECT_FALSE(refused->has_value()) << "a split key its lister passed";
  auto split = store->SplitListing((*ranges)[0], "k");
  ASSERT_TRUE(split.ok());
  ASSERT_TRUE(split->has_value());
  EXPECT_EQ((*split)->start, "k");
  EXPECT_EQ((*split)->end, "");
  EXPECT_EQ(SqlInt(db, "SELECT COUNT(*) FROM listing_ranges WHERE range_start = '' AND range_end = 'k' AND "
                       "continuation_token = 'after-b' AND last_key = 'b'"),
            1);
  auto bucket = store->GetBucket("b");
  ASSERT_TRUE(bucket.ok() && *bucket);
  EXPECT_TRUE((*bucket)->ranged);
  EXPECT_TRUE((*bucket)->resumable());

  // The first range's next page runs past "k": "m" is left to the range above.
  auto past = store->ApplyPage(page("", {Obj("c", 1, "x"), Obj("m", 1, "y"), Obj("n", 1, "z")}, false));
  ASSERT_TRUE(past.ok());
  EXPECT_TRUE(past->range_done);
  EXPECT_FALSE(past->bucket_complete);
  EXPECT_EQ(past->objects, 1);
  EXPECT_EQ(SqlInt(db, "SELECT COUNT(*) FROM files WHERE key = 'n'"), 0);
  // A page its lister sent before hearing so: nothing recorded.
  auto stale = store->ApplyPage(page("", {Obj("o", 1, "x")}, false));
  ASSERT_TRUE(stale.ok());
  EXPECT_TRUE(stale->range_done);
  EXPECT_EQ(stale->objects, 0);

  // The range above lists to the bucket's end: the listing is complete, and
  // "gone" (listed by neither range) is gone.
  auto above = store->ApplyPage(page("k", {Obj("m", 1, "y"), Obj("n", 1, "z")}, true));
  ASSERT_TRUE(above.ok());
  EXPECT_TRUE(above->range_done);
  EXPECT_TRUE(above->bucket_complete);
  EXPECT_EQ(above->gone_before_download, 1);
  EXPECT_EQ(SqlInt(db, "SELECT COUNT(*) FROM files WHERE gone_at IS NOT NULL AND key = 'gone'"), 1);
  EXPECT_EQ(SqlInt(db, "SELECT listed_objects FROM buckets WHERE name = 'b' AND scan_state = 'complete'"), 5);
  EXPECT_EQ(SqlInt(db, "SELECT COUNT(*) FROM listing_ranges"), 0);
  // A late page after completion changes nothing.
  auto late = store->ApplyPage(page("k", {Obj("z", 1, "z")}, true));
  ASSERT_TRUE(late.ok());
  EXPECT_EQ(SqlInt(db, "SELECT COUNT(*) FROM files WHERE key = 'z'"), 0);
}

// Version 6 -> 7: the metadata columns appear, the rows stay and take them.
TEST_F(StateStoreTest, Version6DatabaseGetsTheMetadataColumns) {
  {
    auto store = OpenWriter();
    ASSERT_TRUE(store);
    ListAll(*store, "b", {Obj("a", 1, "x")});
    ASSERT_TRUE(store->database().Exec(std::string(kDropSchema7) + "PRAGMA user_version = 6").ok());
    EXPECT_EQ(SqlInt(store->database(), "SELECT COUNT(*) FROM pragma_table_info('files') WHERE name = 'tags'"), 0);
  }
  auto store = OpenWriter();
  ASSERT_TRUE(store);
  Database& db = store->database();
  EXPECT_EQ(SqlInt(db, "PRAGMA user_version"), kSchemaVersion);
  EXPECT_EQ(SqlInt(db, "SELECT COUNT(*) FROM files"), 1);
  ASSERT_TRUE(db.Exec(R"(UPDATE files SET tags = '{"project":"alpha"}', headers = '{"Cache-Control":"no-cache"}', )"
                      R"(checksums = '{"CRC32C":"yZRlqg=="}')")
                  .ok());
  EXPECT_EQ(SqlInt(db, "SELECT COUNT(*) FROM files WHERE json_extract(tags, '$.project') = 'alpha'"), 1);
}

// Version 5 -> 6: the progress samples' table appears, the rows stay.
TEST_F(StateStoreTest, Version5DatabaseGetsTheProgressSamplesTable) {
  {
    auto store = OpenWriter();
    ASSERT_TRUE(store);
    ListAll(*store, "b", {Obj("a", 1, "x")});
    ASSERT_TRUE(store->database().Exec(std::string(kDropSchema7) + "DROP TABLE progress_samples; PRAGMA user_version = 5").ok());
  }
  auto store = OpenWriter();
  ASSERT_TRUE(store);
  EXPECT_EQ(SqlInt(store->database(), "PRAGMA user_version"), kSchemaVersion);
  EXPECT_EQ(SqlInt(store->database(), "SELECT COUNT(*) FROM files"), 1);
  ProgressSample sample;
  sample.at = "2026-12-05T08:00:00Z";
  sample.run_started_at = "2026-12-05T07:59:00Z";
  sample.by_state[static_cast<size_t>(FileState::kDeleted)] = {3, 300};
  ASSERT_TRUE(store->AddProgressSample(sample).ok());
  EXPECT_EQ(SqlInt(store->database(), "SELECT deleted_files + deleted_bytes FROM progress_samples"), 303);
}

// Samples come back oldest first, thinned evenly, the newest always there.
TEST_F(StateStoreTest, ProgressSamplesAreThinnedToTheRequestedPoints) {
  auto store = OpenWriter();
  ASSERT_TRUE(store);
  for (int i = 0; i < 100; ++i) {
    ProgressSample sample;
    sample.at = fmt::format("2026-12-05T08:{:02}:{:02}Z", i / 60, i % 60);
    sample.run_started_at = "2026-12-05T08:00:00Z";
    sample.bytes_received = i * 1000;
    sample.by_state[static_cast<size_t>(FileState::kError)] = {i, i * 10};
    sample.run_ended = i == 99;
    ASSERT_TRUE(store->AddProgressSample(sample).ok());
  }
  auto all = store->ProgressSamples(1000);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 100u);
  EXPECT_EQ((*all)[42].bytes_received, 42000);
  EXPECT_EQ((*all)[42].by_state[static_cast<size_t>(FileState::kError)].bytes, 420);
  auto thin = store->ProgressSamples(10);
  ASSERT_TRUE(thin.ok());
  ASSERT_EQ(thin->size(), 11u);  // every 10th, and the newest
  EXPECT_EQ(thin->front().bytes_received, 0);
  EXPECT_EQ((*thin)[1].bytes_received, 10000);
  EXPECT_EQ(thin->back().bytes_received, 99000);
  EXPECT_TRUE(thin->back().run_ended);
  EXPECT_FALSE(thin->front().run_ended);
}

// The errors the page lists: newest first, with the total.
TEST_F(StateStoreTest, RecentErrorsNewestFirstWithTheirCount) {
  auto store = OpenWriter();
  ASSERT_TRUE(store);
  ListAll(*store, "b", {Obj("a", 1, "x"), Obj("b", 1, "y"), Obj("c", 1, "z")});
  ASSERT_TRUE(store->database()
                  .Exec("UPDATE files SET state = 'error', error_message = 'denied ' || key, "
                        "updated_at = '2026-12-0' || (CASE key WHEN 'a' THEN 1 ELSE 2 END) || 'T00:00:00Z' "
                        "WHERE key != 'c'")
                  .ok());
  auto errors = store->RecentErrors(1);
  ASSERT_TRUE(errors.ok()) << errors.status().ToString();
  EXPECT_EQ(errors->second, 2);
  ASSERT_EQ(errors->first.size(), 1u);
  EXPECT_EQ(errors->first[0].key, "b");
  EXPECT_EQ(errors->first[0].error_message, std::optional<std::string>("denied b"));
}

// Version 3 (before issue 14) -> 4: each recorded path gets its case-folded
// NFC form, so paths recorded by an older s3migrate are still compared.
TEST_F(StateStoreTest, Version3DatabaseGetsFoldedPaths) {
  {
    auto store = OpenWriter();
    ASSERT_TRUE(store);
    ListAll(*store, "b", {Obj("K\xc3\x84SE", 1, "x"), Obj("other", 1, "y")});
    Database& db = store->database();
    ASSERT_TRUE(db.Exec("DROP INDEX files_by_local_path; ALTER TABLE files DROP COLUMN local_path_folded; "
                        "ALTER TABLE files DROP COLUMN verified_checksum; DROP TABLE progress_samples; "
                        "UPDATE files SET local_path = '/d/b/' || key WHERE key != 'other'; "
                        "PRAGMA user_version = 3" + std::string("; ") + kDropSchema7)
                    .ok());
  }
  auto store = OpenWriter();
  ASSERT_TRUE(store);
  Database& db = store->database();
  EXPECT_EQ(SqlInt(db, "PRAGMA user_version"), kSchemaVersion);
  EXPECT_EQ(SqlInt(db, "SELECT COUNT(*) FROM files WHERE local_path_folded = '/d/b/k\xc3\xa4se'"), 1);
  EXPECT_EQ(SqlInt(db, "SELECT COUNT(*) FROM files WHERE local_path_folded IS NULL"), 1);
  MigrationStore migration(*store);
  auto taken = migration.LocalPathTaken("b", "/d/b/k\xc3\xa4se", 0, NameEquivalence::kCaseFolded);
  ASSERT_TRUE(taken.ok());
  EXPECT_TRUE(*taken);
  taken = migration.LocalPathTaken("b", "/d/b/k\xc3\xa4se", 0, NameEquivalence::kExact);
  ASSERT_TRUE(taken.ok());
  EXPECT_FALSE(*taken);
}

TEST_F(StateStoreTest, NewerSchemaIsRefusedAndLeftUntouched) {
  {
    auto store = OpenWriter();
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->database().Exec("PRAGMA user_version = 99").ok());
  }
  for (OpenMode mode : {OpenMode::kWrite, OpenMode::kRead}) {
    StoreOptions options;
    options.mode = mode;
    auto store = StateStore::Open(path_, options);
    ASSERT_FALSE(store.ok());
    EXPECT_EQ(store.status().kind(), ErrorKind::kFatal);
    EXPECT_THAT(store.status().message(), HasSubstr("schema version 99, newer than this s3migrate"));
    EXPECT_THAT(store.status().ToString(), HasSubstr(path_));
  }
  auto db = Database::Open(path_, {});
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(SqlInt(*db, "PRAGMA user_version"), 99);
}

TEST_F(StateStoreTest, ForeignDatabaseAndMissingFileAreExplained) {
  {
    auto db = Database::Open(path_, {.read_only = false, .create = true});
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec("CREATE TABLE customers (id INTEGER)").ok());
  }
  auto store = StateStore::Open(path_, {.mode = OpenMode::kWrite});
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.status().message(), HasSubstr("not an s3migrate state database"));

  auto missing = StateStore::Open(dir_.File("nope.db"), {.mode = OpenMode::kRead});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().kind(), ErrorKind::kInvalidArgument);
  EXPECT_THAT(missing.status().message(), HasSubstr("run `s3migrate scan` first"));

  std::FILE* f = std::fopen(dir_.File("garbage.db").c_str(), "w");
  std::fputs("this is not a database at all, just some text that is long enough......", f);
  std::fclose(f);
  auto garbage = StateStore::Open(dir_.File("garbage.db"), {.mode = OpenMode::kRead});
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.status().kind(), ErrorKind::kFatal);
}

TEST_F(StateStoreTest, ListingTwiceAddsNothingTwice) {
  auto store = OpenWriter();
  ASSERT_TRUE(store);
  std::vector<ListedObject> objects;
  for (int i = 0; i < 2500; ++i) objects.push_back(Obj("key/" + std::to_string(10000 + i), i, "e" + std::to_string(i)));
  PageOutcome first = ListAll(*store, "b", objects);
  EXPECT_EQ(first.inserted, 2500);
  PageOutcome second = ListAll(*store, "b", objects, 700);
  EXPECT_EQ(second.inserted, 0);
  EXPECT_EQ(second.unchanged, 2500);
  Database& db = store->database();
  EXPECT_EQ(SqlInt(db, "SELECT COUNT(*) FROM files"), 2500);
  EXPECT_EQ(CountByState(db), (std::map<std::string, int64_t>{{"discovered", 2500}}));
  auto bucket = store->GetBucket("b");
  ASSERT_TRUE(bucket.ok() && bucket->has_value());
  EXPECT_EQ((*bucket)->scan_state, "complete");
  EXPECT_EQ((*bucket)->scan_generation, 2);
  EXPECT_EQ((*bucket)->listed_objects, 2500);
  EXPECT_TRUE((*bucket)->continuation_token.empty());
  // The same page applied twice (a server repeating a page) stays one row each.
  StartListingRequest start{.bucket = "b", .region = "r", .versioning = "", .listing_api = "ListObjectsV2",
                            .scan_filter = "", .restart = false};
  ASSERT_TRUE(store->StartListing(start).ok());
  ListingPage page{.bucket = "b", .objects = {objects[0], objects[1]}, .next_token = "t",
                   .next_version_id_marker = "", .last_key = objects[1].key};
  ASSERT_TRUE(store->ApplyPage(page).ok());
  ASSERT_TRUE(store->ApplyPage(page).ok());
  EXPECT_EQ(SqlInt(db, "SELECT COUNT(*) FROM files"), 2500);
}

TEST_F(StateStoreTest, InterruptedListingResumesFromTheCommittedPage) {
  auto store = OpenWriter();
  ASSERT_TRUE(store);
  StartListingRequest start{.bucket = "b", .region = "eu-west-1", .versioning = "",
                            .listing_api = "ListObjectsV2", .scan_filter = "", .restart = false};
  auto rec = store->StartListing(start);
  ASSERT_TRUE(rec.ok());
  EXPECT_FALSE(rec->resumable());
  ListingPage page{.bucket = "b", .objects = {Obj("a", 1, "x"), Obj("b", 2, "y")},
                   .next_token = "TOKEN-2", .next_version_id_marker = "", .last_key = "b"};
  ASSERT_TRUE(store->ApplyPage(page).ok());
  ASSERT_TRUE(store->FailListing("b", "ListObjectsV2: HTTP 500").ok());
  store.reset();  // the process ends

  store = OpenWriter();
  auto failed = store->GetBucket("b");
  ASSERT_TRUE(failed.ok() && failed->has_value());
  EXPECT_EQ((*failed)->scan_state, "failed");
  EXPECT_EQ((*failed)->last_error.value_or(""), "ListObjectsV2: HTTP 500");
  EXPECT_TRUE((*failed)->resumable());
  auto resumed = store->StartListing(start);
  ASSERT_TRUE(resumed.ok());
  EXPECT_EQ(resumed->continuation_token, "TOKEN-2");
  EXPECT_EQ(resumed->last_key, "b");
  EXPECT_EQ(resumed->scan_generation, 1);  // same generation: nothing is "gone" yet
  EXPECT_EQ(resumed->scan_state, "listing");
  ListingPage last{.bucket = "b", .objects = {Obj("c", 3, "z")}, .next_token = "",
                   .next_version_id_marker = "", .last_key = "c", .last_page = true};
  auto out = store->ApplyPage(last);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->gone_before_download, 0);
  auto done = store->GetBucket("b");
  EXPECT_EQ((*done)->scan_state, "complete");
  EXPECT_EQ((*done)->listed_objects, 3);
  // A different filter (or an explicit restart) begins a new generation.
  start.scan_filter = "include b/x*";
  auto fresh = store->StartListing(start);
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(fresh->scan_generation, 2);
  EXPECT_TRUE(fresh->continuation_token.empty());
}

TEST_F(StateStoreTest, RescanCatchesChangedRemovedAddedAndReturningObjects) {
  auto store = OpenWriter();
  ASSERT_TRUE(store);
  ListAll(*store, "b",
          {Obj("changed-before-download", 1, "e1"), Obj("changed-after-verify", 2, "e2"),
           Obj("gone-before-download", 3, "e3"), Obj("gone-after-verify", 4, "e4"),
           Obj("deleted-and-back", 5, "e5"), Obj("same", 6, "e6"), Obj("to-glacier", 7, "e7")});
  Database& db = store->database();
  // The engine's progress, simulated through the public transitions.
  auto advance = [&](const std::string& key, std::vector<FileState> path, const char* local) {
    auto f = store->GetFile("b", key);
    ASSERT_TRUE(f.ok() && f->has_value());
    FileState at = FileState::kDiscovered;
    for (FileState next : path) {
      auto moved = Move(*store, (*f)->id, at, next);
      ASSERT_TRUE(moved.ok() && *moved) << key;
      at = next;
    }
    ASSERT_TRUE(db.Exec("UPDATE files SET local_path = '" + std::string(local) + "' WHERE key = '" + key + "'").ok());
  };
  const std::vector<FileState> to_verified = {FileState::kDownloading, FileState::kDownloaded, FileState::kVerified};
  std::vector<FileState> to_deleted = to_verified;
  to_deleted.push_back(FileState::kDeleted);
  advance("changed-after-verify", to_verified, "/dest/b/changed-after-verify");
  advance("gone-after-verify", to_verified, "/dest/b/gone-after-verify");
  advance("deleted-and-back", to_deleted, "/dest/b/deleted-and-back");

  clock_->Advance(std::chrono::hours(24));
  PageOutcome out = ListAll(*store, "b",
                            {Obj("added", 8, "e8"), Obj("changed-after-verify", 22, "e2-new"),
                             Obj("changed-before-download", 1, "e1-new"), Obj("deleted-and-back", 5, "e5"),
                             Obj("same", 6, "e6"), Obj("to-glacier", 7, "e7", "GLACIER")});
  EXPECT_EQ(out.inserted, 1);
  EXPECT_EQ(out.changed, 2);
  EXPECT_EQ(out.reappeared, 1);
  EXPECT_EQ(out.unchanged, 2);
  EXPECT_EQ(out.gone_before_download, 1);
  EXPECT_EQ(out.gone_after_download, 1);

  // As a user would check it.
  EXPECT_EQ(CountByState(db), (std::map<std::string, int64_t>{
                                  {"discovered", 6}, {"error", 1}, {"verified", 1}}));
  EXPECT_EQ(SqlInt(db, "SELECT COUNT(*) FROM files WHERE key = 'gone-before-download' AND "
                       "state = 'error' AND gone_at = '2026-06-02T00:00:00Z' AND "
                       "error_message LIKE 'gone from S3 before download%'"),
            1);
  EXPECT_EQ(SqlInt(db, "SELECT COUNT(*) FROM files WHERE key = 'gone-after-verify' AND "
                       "state = 'verified' AND gone_at IS NOT NULL"),
            1);
  // Changed after verification: back to discovered, the verified copy kept as previous.
  EXPECT_EQ(SqlInt(db, "SELECT COUNT(*) FROM files WHERE key = 'changed-after-verify' AND "
                       "state = 'discovered' AND etag = 'e2-new' AND size = 22 AND "
                       "previous_etag = 'e2' AND previous_size = 2 AND "
                       "previous_local_path = '/dest/b/changed-after-verify' AND verified_at IS NULL"),
            1);
  // Changed before download: no previous copy to keep.
  EXPECT_EQ(SqlInt(db, "SELECT COUNT(*) FROM files WHERE key = 'changed-before-download' AND "
                       "state = 'discovered' AND etag = 'e1-new' AND previous_local_path IS NULL"),
            1);
  // Deleted by us, uploaded again: a new object to migrate; the old copy is the only one.
  EXPECT_EQ(SqlInt(db, "SELECT COUNT(*) FROM files WHERE key = 'deleted-and-back' AND "
                       "state = 'discovered' AND previous_local_path = '/dest/b/deleted-and-back' "
                       "AND deleted_at IS NULL"),
            1);
  EXPECT_EQ(SqlInt(db, "SELECT archived FROM files WHERE key = 'to-glacier'"), 1);
  EXPECT_EQ(SqlInt(db, "SELECT COUNT(*) FROM files WHERE storage_class = 'GLACIER'"), 1);

  // The gone object comes back unchanged: its 'error' is lifted.
  out = ListAll(*store, "b",
                {Obj("added", 8, "e8"), Obj("changed-after-verify", 22, "e2-new"),
                 Obj("changed-before-download", 1, "e1-new"), Obj("deleted-and-back", 5, "e5"),
                 Obj("gone-before-download", 3, "e3"), Obj("gone-after-verify", 4, "e4"),
                 Obj("same", 6, "e6"), Obj("to-glacier", 7, "e7", "GLACIER")});
  EXPECT_EQ(out.reappeared, 2);
  EXPECT_EQ(SqlInt(db, "SELECT COUNT(*) FROM files WHERE gone_at IS NOT NULL"), 0);
  EXPECT_EQ(SqlInt(db, "SELECT COUNT(*) FROM files WHERE key = 'gone-before-download' AND "
                       "state = 'discovered' AND error_message IS NULL"),
            1);
}

TEST_F(StateStoreTest, ListingWithoutGoneDetectionMarksNothingGone) {
  auto store = OpenWriter();
  ListAll(*store, "b", {Obj("a", 1, "x"), Obj("b", 1, "y")});
  StartListingRequest start{.bucket = "b", .region = "r", .versioning = "", .listing_api = "ListObjectsV2",
                            .scan_filter = "include b/a", .restart = false};
  ASSERT_TRUE(store->StartListing(start).ok());
  ListingPage page{.bucket = "b", .objects = {Obj("a", 1, "x")}, .next_token = "", .next_version_id_marker = "",
                   .last_key = "a", .last_page = true, .detect_gone = false};
  auto out = store->ApplyPage(page);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->gone_before_download, 0);
  EXPECT_EQ(SqlInt(store->database(), "SELECT COUNT(*) FROM files WHERE state = 'discovered'"), 2);
}

TEST_F(StateStoreTest, ArchivedObjectsStartInTheRightState) {
  auto store = OpenWriter();
  ListedObject restoring = Obj("restoring", 1, "a", "GLACIER");
  restoring.restore_in_progress = true;
  ListedObject restored = Obj("restored", 1, "b", "DEEP_ARCHIVE");
  restored.restore_expiry = "2026-06-05T00:00:00.000Z";
  ListAll(*store, "b", {restoring, restored, Obj("it", 1, "c", "INTELLIGENT_TIERING"),
                        Obj("ir", 1, "d", "GLACIER_IR")});
  Database& db = store->database();
  EXPECT_EQ(SqlInt(db, "SELECT COUNT(*) FROM files WHERE key = 'restoring' AND state = 'glacier_restoring'"), 1);
  EXPECT_EQ(SqlInt(db, "SELECT COUNT(*) FROM files WHERE key = 'restored' AND state = 'discovered' AND "
                       "restore_expiry = '2026-06-05T00:00:00.000Z' AND archived = 1"),
            1);
  EXPECT_EQ(SqlInt(db, "SELECT SUM(archived) FROM files WHERE key IN ('it', 'ir')"), 0);
}

TEST_F(StateStoreTest, TransitionsFollowTheLifecycleAndAreCompareAndSet) {
  auto store = OpenWriter();
  ListAll(*store, "b", {Obj("k", 1, "x")});
  auto f = store->GetFile("b", "k");
  ASSERT_TRUE(f.ok() && f->has_value());
  const int64_t id = (*f)->id;
  auto moved = Move(*store, id, FileState::kDiscovered, FileState::kDownloading);
  ASSERT_TRUE(moved.ok());
  EXPECT_TRUE(*moved);
  // A second worker holding a stale view loses the race.
  moved = Move(*store, id, FileState::kDiscovered, FileState::kDownloading);
  ASSERT_TRUE(moved.ok());
  EXPECT_FALSE(*moved);
  moved = Move(*store, id, FileState::kDownloading, FileState::kError, "GetObject: HTTP 500");
  ASSERT_TRUE(moved.ok() && *moved);
  f = store->GetFile("b", "k");
  EXPECT_EQ((*f)->state, FileState::kError);
  EXPECT_EQ((*f)->attempts, 1);
  EXPECT_EQ((*f)->error_message.value_or(""), "GetObject: HTTP 500");
  // No shortcut from error to verified.
  auto skip = Move(*store, id, FileState::kError, FileState::kVerified);
  ASSERT_FALSE(skip.ok());
  EXPECT_FALSE(IsAllowedTransition(FileState::kDiscovered, FileState::kDeleted));
  EXPECT_FALSE(IsAllowedTransition(FileState::kDeleted, FileState::kDiscovered));
  EXPECT_TRUE(IsAllowedTransition(FileState::kGlacierRestoring, FileState::kGlacierRestoreRequested));
  for (FileState s : kAllFileStates) EXPECT_EQ(ParseFileState(FileStateName(s)), s);
}

TEST_F(StateStoreTest, ResetAndRetry) {
  auto store = OpenWriter();
  ListAll(*store, "b", {Obj("failed", 1, "x"), Obj("gone", 1, "y"), Obj("done", 1, "z")});
  ListAll(*store, "c", {Obj("failed-too", 1, "x")});
  Database& db = store->database();
  ASSERT_TRUE(db.Exec("UPDATE files SET state = 'error', attempts = 5, error_message = 'boom' "
                      "WHERE key IN ('failed', 'failed-too')")
                  .ok());
  ListAll(*store, "b", {Obj("failed", 1, "x"), Obj("done", 1, "z")});  // 'gone' disappears
  ASSERT_TRUE(db.Exec("UPDATE files SET state = 'deleted' WHERE key = 'done'").ok());

  auto retried = store->RetryErrors(std::string("b"));
  ASSERT_TRUE(retried.ok());
  EXPECT_EQ(retried->retried, 1);
  EXPECT_EQ(retried->gone_left, 1);
  EXPECT_EQ(SqlInt(db, "SELECT COUNT(*) FROM files WHERE key = 'failed-too' AND state = 'error'"), 1);
  retried = store->RetryErrors(std::nullopt);
  ASSERT_TRUE(retried.ok());
  EXPECT_EQ(retried->retried, 1);
  retried = store->RetryErrors(std::nullopt);
  EXPECT_EQ(retried->retried, 0);
  auto unknown = store->RetryErrors(std::string("no-such-bucket"));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().kind(), ErrorKind::kInvalidArgument);

  auto reset = store->ResetObject("b", "gone");
  ASSERT_TRUE(reset.ok());
  EXPECT_EQ(*reset, FileState::kError);
  EXPECT_EQ(SqlInt(db, "SELECT COUNT(*) FROM files WHERE key = 'gone' AND state = 'discovered' AND "
                       "gone_at IS NULL AND attempts = 0 AND error_message IS NULL"),
            1);
  auto deleted = store->ResetObject("b", "done");
  ASSERT_FALSE(deleted.ok());
  EXPECT_EQ(deleted.status().kind(), ErrorKind::kInvalidArgument);
  EXPECT_THAT(deleted.status().message(), HasSubstr("already migrated"));
  auto missing = store->ResetObject("b", "nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().context().key, "nope");
}

// Issue 14: an object whose verified copy is on disk but whose row is in
// `error` (its delete failed) or was put back by reset keeps that copy as
// the previous one when a rescan finds a new version; the new version's
// partial ranges from before are forgotten.
TEST_F(StateStoreTest, RescanKeepsAVerifiedCopyInAnyStateAndForgetsOldRanges) {
  auto store = OpenWriter();
  ListAll(*store, "b", {Obj("failed-delete", 10, "v1"), Obj("was-reset", 10, "v1"),
                        Obj("partial", 100, "v1")});
  Database& db = store->database();
  ASSERT_TRUE(db.Exec("UPDATE files SET state = 'error', local_path = '/d/b/failed-delete', "
                      "verified_at = '2026-01-01T00:00:00Z', verified_by = 'md5-etag' "
                      "WHERE key = 'failed-delete'; "
                      "UPDATE files SET state = 'verified', local_path = '/d/b/was-reset', "
                      "verified_at = '2026-01-01T00:00:00Z', verified_by = 'md5-etag' "
                      "WHERE key = 'was-reset'; "
                      "UPDATE files SET state = 'downloading', local_path = '/d/b/partial' "
                      "WHERE key = 'partial'")
                  .ok());
  ASSERT_TRUE(store->ResetObject("b", "was-reset").ok());
  const int64_t partial_id = SqlInt(db, "SELECT id FROM files WHERE key = 'partial'");
  ASSERT_TRUE(db.Exec("INSERT INTO download_chunks VALUES (" + std::to_string(partial_id) +
                      ", 0, 50)")
                  .ok());
  ListAll(*store, "b", {Obj("failed-delete", 11, "v2"), Obj("was-reset", 11, "v2"),
                        Obj("partial", 100, "v2")});
  EXPECT_EQ(SqlInt(db, "SELECT COUNT(*) FROM files WHERE key = 'failed-delete' AND "
                       "previous_local_path = '/d/b/failed-delete' AND previous_etag = 'v1' AND "
                       "state = 'discovered'"),
            1);
  EXPECT_EQ(SqlInt(db, "SELECT COUNT(*) FROM files WHERE key = 'was-reset' AND "
                       "previous_local_path = '/d/b/was-reset' AND previous_etag = 'v1'"),
            1);
  EXPECT_EQ(SqlInt(db, "SELECT COUNT(*) FROM files WHERE key = 'partial' AND "
                       "previous_local_path IS NULL"),
            1);
  EXPECT_EQ(SqlInt(db, "SELECT COUNT(*) FROM download_chunks"), 0);
}

TEST_F(StateStoreTest, SummaryComesFromAggregates) {
  auto store = OpenWriter();
  // now = 2026-06-01. One GLACIER object 30 days old (60 days left), one
  // DEEP_ARCHIVE object 200 days old (past its 180).
  ListedObject young = Obj("young", 1ull << 30, "a", "GLACIER");
  young.last_modified = "2026-05-02T00:00:00.000Z";
  ListedObject old = Obj("old", 2ull << 30, "b", "DEEP_ARCHIVE");
  old.last_modified = "2025-11-13T00:00:00.000Z";
  ListAll(*store, "b", {young, old, Obj("s1", 10, "c"), Obj("s2", 20ull << 20, "d")});
  ListAll(*store, "c", {Obj("x", 5, "e")});
  ASSERT_TRUE(store->database().Exec("UPDATE files SET state = 'error' WHERE key = 'x'").ok());

  SummaryOptions options;
  options.by_bucket = true;
  options.chunk_size = 8 << 20;
  options.now = clock_->Now();
  auto s = store->Summarize(options);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  std::map<std::pair<FileState, std::string>, StateClassTally> groups;
  for (const auto& g : s->groups) groups[{g.state, g.storage_class}] = g;
  const auto group = [&](FileState state, const char* storage_class) {
    return groups[std::make_pair(state, std::string(storage_class))];
  };
  EXPECT_EQ(group(FileState::kDiscovered, "STANDARD").tally.files, 2);
  EXPECT_EQ(group(FileState::kDiscovered, "STANDARD").tally.bytes, 10 + (20 << 20));
  EXPECT_EQ(group(FileState::kDiscovered, "STANDARD").get_requests, 1 + 3);  // 20 MiB = 3 chunks
  EXPECT_EQ(group(FileState::kDiscovered, "GLACIER").tally.bytes, 1ll << 30);
  EXPECT_EQ(group(FileState::kError, "STANDARD").tally.files, 1);
  ASSERT_EQ(s->early_deletion.size(), 2u);
  EXPECT_EQ(s->early_deletion[0].storage_class, "GLACIER");
  EXPECT_EQ(s->early_deletion[0].young_files, 1);
  EXPECT_NEAR(s->early_deletion[0].remaining_byte_days, 60.0 * (1ll << 30), 1e6);
  EXPECT_EQ(s->early_deletion[1].young_files, 0);
  EXPECT_EQ(s->buckets.size(), 2u);
  int64_t bucket_c_errors = 0;
  for (const auto& g : s->bucket_groups) {
    if (g.bucket == "c" && g.state == FileState::kError) bucket_c_errors = g.tally.files;
  }
  EXPECT_EQ(bucket_c_errors, 1);
}

// Every query the engine and `status` run must be served by an index: a
// plan line "SCAN files" without an index would read the whole table.
TEST_F(StateStoreTest, HotQueriesUseIndexes) {
  auto store = OpenWriter();
  Database& db = store->database();
  auto plan = [&](const std::string& sql) {
    auto s = db.Prepare("EXPLAIN QUERY PLAN " + sql);
    EXPECT_TRUE(s.ok()) << sql;
    std::string out;
    while (s.ok()) {
      auto row = s->Step();
      if (!row.ok() || !*row) break;
      out += s->ColumnText(3) + "\n";
    }
    return out;
  };
  // Each query and what its plan must say.
  const std::vector<std::pair<std::string, std::string>> queries = {
      // engine: next batch of readable objects, of archived ones, restores in flight
      {"SELECT id FROM files WHERE state = 'discovered' AND id > 0 AND archived = 0 ORDER BY id LIMIT 100",
       "SEARCH files USING COVERING INDEX files_by_state (state=? AND archived=? AND rowid>?)"},
      {"SELECT id FROM files WHERE state = 'discovered' AND id > 0 AND archived = 1 ORDER BY id LIMIT 100",
       "SEARCH files USING COVERING INDEX files_by_state (state=? AND archived=? AND rowid>?)"},
      {"SELECT id FROM files WHERE state IN ('glacier_restore_requested', 'glacier_restoring')",
       "SEARCH files USING COVERING INDEX files_by_state (state=?)"},
      // scan: the per-row lookup
      {"SELECT id FROM files WHERE bucket = 'b' AND key = 'k' AND is_latest = 1",
       "SEARCH files USING INDEX sqlite_autoindex_files_1 (bucket=? AND key=?)"},
      // status (besides file_totals, a table of a few rows per bucket)
      {"SELECT COUNT(*) FROM files WHERE gone_at IS NOT NULL AND state = 'error'",
       "SEARCH files USING INDEX files_by_state (state=?)"},
      {"SELECT COUNT(*) FROM files WHERE previous_local_path IS NOT NULL",
       "SCAN files USING INDEX files_with_previous_copy"},
      {"SELECT COUNT(*) FROM files WHERE state IN ('discovered', 'error') AND archived = 1 AND "
       "storage_class = 'GLACIER'",
       "SEARCH files USING INDEX files_by_state (state=? AND archived=?)"},
      // retry
      {"UPDATE files SET state = 'discovered' WHERE state = 'error' AND gone_at IS NULL AND bucket = 'b'",
       "SEARCH files USING INDEX"},
      // engine: is a local path taken (MigrationStore::LocalPathTaken)
      {"SELECT local_path FROM files WHERE local_path_folded = '/d/b/k' AND id != 1",
       "SEARCH files USING INDEX files_by_local_path (local_path_folded=?)"},
      {"SELECT previous_local_path FROM files WHERE bucket = 'b' AND previous_local_path IS NOT NULL",
       "SEARCH files USING INDEX files_with_previous_copy (bucket=?)"},
  };
  for (const auto& [q, expected] : queries) {
    const std::string p = plan(q);
    EXPECT_THAT(p, HasSubstr(expected)) << q << "\n" << p;
    EXPECT_THAT(p, ::testing::Not(HasSubstr("TEMP B-TREE FOR ORDER BY"))) << q << "\n" << p;
  }
}

// file_totals always equals the aggregate over files, whatever wrote the
// rows: the scanner's inserts, transitions, rescans, or a user's raw SQL.
TEST_F(StateStoreTest, RunningTotalsMatchTheFilesTable) {
  auto store = OpenWriter();
  std::vector<ListedObject> objects;
  for (int i = 0; i < 300; ++i) {
    objects.push_back(Obj("k" + std::to_string(i), i * 10, "e", i % 3 == 0 ? "GLACIER" : "STANDARD"));
  }
  ListAll(*store, "b", objects);
  ListAll(*store, "c", {Obj("x", 1, "e")});
  objects[5].etag = "changed";
  objects[5].size = 999;
  objects[6].storage_class = "DEEP_ARCHIVE";
  objects.pop_back();
  ListAll(*store, "b", objects);
  auto f = store->GetFile("b", "k1");
  ASSERT_TRUE(Move(*store, (*f)->id, FileState::kDiscovered, FileState::kDownloading).ok());
  Database& db = store->database();
  ASSERT_TRUE(db.Exec("UPDATE files SET state = 'error' WHERE key LIKE 'k2%'").ok());
  ASSERT_TRUE(db.Exec("UPDATE files SET last_modified = '2025-01-01T00:00:00Z' WHERE key = 'k3'").ok());
  ASSERT_TRUE(db.Exec("DELETE FROM files WHERE key = 'k4'").ok());
  EXPECT_EQ(SqlInt(db, "SELECT COUNT(*) FROM ("
                       "  SELECT bucket, state, storage_class, archived, SUM(files) AS n, SUM(bytes) AS b "
                       "  FROM file_totals GROUP BY 1, 2, 3, 4 HAVING n != 0"
                       "  EXCEPT "
                       "  SELECT bucket, state, storage_class, archived, COUNT(*), SUM(size) "
                       "  FROM files GROUP BY 1, 2, 3, 4)"),
            0);
  EXPECT_EQ(SqlInt(db, "SELECT SUM(files) FROM file_totals"), SqlInt(db, "SELECT COUNT(*) FROM files"));
  EXPECT_EQ(SqlInt(db, "SELECT SUM(files) FROM file_totals WHERE archived_day = '2025-01-01'"), 1);

  // A first listing whose server repeats keys inside one insert batch.
  std::vector<ListedObject> repeated;
  for (int i = 0; i < 130; ++i) repeated.push_back(Obj("r" + std::to_string(100 + i), 1, "e", "GLACIER"));
  repeated[10] = repeated[9];
  repeated[70] = repeated[9];
  PageOutcome out = ListAll(*store, "fresh", repeated);
  EXPECT_EQ(out.inserted, 128);
  EXPECT_EQ(SqlInt(db, "SELECT COUNT(*) FROM files WHERE bucket = 'fresh'"), 128);
  EXPECT_EQ(SqlInt(db, "SELECT SUM(files) FROM file_totals WHERE bucket = 'fresh'"), 128);
  EXPECT_EQ(SqlInt(db, "SELECT SUM(files) FROM file_totals"), SqlInt(db, "SELECT COUNT(*) FROM files"));
}

// A second writer — another process — is refused at once, naming the holder;
// readers are not blocked.
TEST_F(StateStoreTest, SecondWriterProcessIsRefusedNamingTheHolder) {
  auto writer = OpenWriter();
  ASSERT_TRUE(writer);
  ListAll(*writer, "b", {Obj("k", 1, "x")});
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // In the child: try to become a writer, then read.
    auto second = StateStore::Open(path_, {.mode = OpenMode::kWrite, .command = "migrate"});
    if (second.ok()) ::_exit(10);
    if (second.status().kind() != ErrorKind::kConflict) ::_exit(11);
    const std::string expected = "pid " + std::to_string(::getppid()) + ", `test`";
    if (second.status().message().find(expected) == std::string::npos) ::_exit(12);
    auto reader = StateStore::Open(path_, {.mode = OpenMode::kRead});
    if (!reader.ok()) ::_exit(13);
    auto summary = (*reader)->Summarize({});
    if (!summary.ok() || summary->groups.size() != 1) ::_exit(14);
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "10: not refused, 11: wrong kind, 12: holder not named, "
                                       "13/14: reader blocked";
  // Once the writer is gone the lock is free again.
  writer.reset();
  EXPECT_TRUE(OpenWriter() != nullptr);
}

}  // namespace
}  // namespace s3m::store
