// A PostgreSQL state written by s3migrate itself (issue 20): `scan`,
// `rescan`, `reset` and `retry` with --db postgresql://... on an empty
// database make the schema there and keep the same rows, states and totals
// that the same commands keep in SQLite. Checked side by side: every command
// runs once against a SQLite file and once against PostgreSQL, and the two
// states must agree row for row and in `status --json`.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "emulator_fixture.h"
#include "store/postgres.h"

namespace s3m::testing {
namespace {

// The advisory lock a writing s3migrate holds on a PostgreSQL state
// (store/state_store.cc): part of the contract between processes.
constexpr const char* kWriterLockKey = "8301098386760622955";  // 0x73336d006c6f636b

void SqliteExec(const std::string& db, const std::string& sql) {
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(raw);
  sqlite3_close(raw);
}

class PostgresStateTest : public EmulatorMigrateTest {
 protected:

  // The same command against SQLite and PostgreSQL; both must exit `code`.
  void Both(const std::vector<std::string>& args, int code = 0) {
    ProcessResult sqlite = run_->Run(args);
    EXPECT_EQ(sqlite.exit_code, code) << "sqlite: " << Describe(sqlite);
    std::vector<std::string> on_pg = {"--db", uri_};
    on_pg.insert(on_pg.end(), args.begin(), args.end());
    ProcessResult pg = run_->Run(on_pg);
    EXPECT_EQ(pg.exit_code, code) << "postgres: " << Describe(pg);
    // The same report, but for the time it took: " in 0.0 s (7,043 objects/s)".
    // (No std::regex: GCC 12 warns inside it under the sanitizers' -O1.)
    auto timeless = [](std::string out) {
      const size_t rate = out.find(" objects/s)");
      const size_t in = rate == std::string::npos ? rate : out.rfind(" in ", rate);
      if (in != std::string::npos) out.replace(in, rate + std::string_view(" objects/s)").size() - in, " in T");
      return out;
    };
    EXPECT_EQ(timeless(pg.out), timeless(sqlite.out)) << "the same command printed differently";
  }

  // What the two states hold, as text lines; ids and times left out.
  static constexpr const char* kFilesQuery =
      "SELECT bucket || ' ' || key || ' ' || version_id || ' ' || size || ' ' || etag || ' ' || storage_class "
      "|| ' ' || archived || ' ' || state || ' ' || attempts || ' ' || COALESCE(substr(error_message, 1, 40), '-') || "
      "' ' || "
      "COALESCE(previous_etag, '-') || ' ' || CASE WHEN gone_at IS NULL THEN 'here' ELSE 'gone' END || ' ' || "
      "seen_generation || ' ' || discovered_generation FROM files ORDER BY bucket, key";
  static constexpr const char* kTotalsQuery =
      "SELECT bucket || ' ' || state || ' ' || storage_class || ' ' || archived || ' ' || archived_day || ' ' "
      "|| files || ' ' || bytes FROM file_totals WHERE files <> 0 ORDER BY 1";
  static constexpr const char* kBucketsQuery =
      "SELECT name || ' ' || scan_state || ' ' || scan_generation || ' ' || listed_objects || ' ' || "
      "listed_bytes FROM buckets ORDER BY name";

  std::vector<std::string> PgRows(const std::string& sql) { return testing::PgRows(uri_, sql); }

  void ExpectSameState(const std::string& when) {
    for (const char* query : {kFilesQuery, kTotalsQuery, kBucketsQuery}) {
      EXPECT_EQ(PgRows(query), Sql(run_->db(), query)) << when << ": " << query;
    }
    auto status = [&](std::vector<std::string> args) {
      ProcessResult r = run_->Run(args);
      EXPECT_EQ(r.exit_code, 0) << Describe(r);
      nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
      j.erase("database");
      j.erase("generated_at");
      // The early-deletion estimate depends on the time of the call (its age
      // is julianday() arithmetic on SQLite, an interval on PostgreSQL).
      j["cost_estimate"].erase("early_deletion");
      j["cost_estimate"].erase("total");  // includes it
      // Each command runs twice, a moment apart: its times may differ.
      for (auto& b : j["buckets"]) {
        b.erase("scan_started_at");
        b.erase("scan_completed_at");
      }
      return j;
    };
    const nlohmann::json on_pg = status({"--db", uri_, "status", "--json", "--by-bucket"});
    const nlohmann::json on_sqlite = status({"status", "--json", "--by-bucket"});
    EXPECT_EQ(on_pg, on_sqlite) << when << ": " << nlohmann::json::diff(on_sqlite, on_pg).dump();
  }

  std::string uri_;
};

TEST_F(PostgresStateTest, ScanRescanResetAndRetryKeepTheSameStateAsSqlite) {
  CreateBucket("photos");
  CreateBucket("logs");
  for (int i = 0; i < 30; ++i) Put("photos", fmt::format("2026/img-{:03}.jpg", i), std::string(100 + i, 'p'));
  Put("photos", "cold/raw.tif", "archived bytes", "GLACIER");
  Put("logs", "a.log", "alpha");
  Put("logs", "b.log", "bravo");
  uri_ = FreshPostgresDatabase();

  Both({"scan"});
  ExpectSameState("after the first scan");
  // The schema s3migrate made: its version, and the constraints SQLite has.
  EXPECT_EQ(PgRows("SELECT value FROM s3migrate_meta WHERE name = 'schema_version'"),
            Sql(run_->db(), "PRAGMA user_version"));
  auto pg = store::PgConnection::Connect(uri_);
  ASSERT_TRUE(pg.ok());
  EXPECT_FALSE(pg->Exec("UPDATE files SET state = 'gone' WHERE key = 'a.log'").ok());

  // Changes in S3, seen by a rescan: one changed, one deleted, one new.
  Put("logs", "a.log", "alpha, longer now");
  s3::DeleteObjectRequest del;
  del.bucket = "logs";
  del.key = "b.log";
  ASSERT_TRUE(client_->DeleteObject(del).ok());
  Put("logs", "c.log", "charlie");
  Both({"rescan", "--all"});
  ExpectSameState("after the rescan");

  // reset and retry move rows the same way.
  SqliteExec(run_->db(), "UPDATE files SET state = 'error', error_message = 'denied', attempts = 3 "
                        "WHERE key LIKE '2026/img-00%'");
  ASSERT_TRUE(pg->Exec("UPDATE files SET state = 'error', error_message = 'denied', attempts = 3 "
                       "WHERE key LIKE '2026/img-00%'")
                  .ok());
  Both({"reset", "photos", "2026/img-001.jpg"});
  ExpectSameState("after reset");
  Both({"retry", "--bucket", "photos"});
  ExpectSameState("after retry");
  Both({"reset", "photos", "no-such-key"}, 2);
}

// migrate on a PostgreSQL state: the whole lifecycle (small and ranged
// downloads, a Glacier restore, an object we may not read, deletes in
// batches) ends as it ends on SQLite, and the totals stay true.
TEST_F(PostgresStateTest, MigrateRunsOnAPostgresStateToTheEnd) {
  CreateBucket("photos");
  for (int i = 0; i < 12; ++i) Put("photos", fmt::format("img-{:02}.jpg", i), TestBytes(1000 + i, i));
  PutMultipart("photos", "video.mp4", 3, 1 << 20, 12345, "CRC32C", "COMPOSITE");
  Put("photos", "cold/raw.tif", "restored bytes", "GLACIER");
  Put("photos", "secret.txt", "not for us");
  AddFault({{"kind", "access_denied"}, {"operations", {"GetObject", "HeadObject"}}, {"keys", {"secret.txt"}}});
  uri_ = FreshPostgresDatabase();
  ASSERT_EQ(run_->Run({"--db", uri_, "scan"}).exit_code, 0);
  ProcessResult migrate = run_->Run({"--db", uri_, "migrate"});
  EXPECT_EQ(migrate.exit_code, 1) << Describe(migrate);  // secret.txt in error, the rest done

  EXPECT_EQ(RemainingKeys("photos"), std::vector<std::string>{"secret.txt"});
  const std::vector<std::string> rows =
      PgRows("SELECT key || ' ' || state || ' ' || COALESCE(local_path, '-') FROM files ORDER BY key");
  ASSERT_EQ(rows.size(), 15u);
  for (const std::string& row : rows) {
    const std::string key = row.substr(0, row.find(' '));
    const std::string state = row.substr(key.size() + 1, row.find(' ', key.size() + 1) - key.size() - 1);
    const std::string path = row.substr(row.rfind(' ') + 1);
    if (key == "secret.txt") {
      EXPECT_EQ(state, "error") << row;
      continue;
    }
    EXPECT_EQ(state, "deleted") << row;
    EXPECT_EQ(ReadFileOrDie(path), uploaded_["photos"][key]) << row;
  }
  EXPECT_EQ(PgRows("SELECT error_message FROM files WHERE key = 'secret.txt'").at(0).find("AccessDenied") !=
                std::string::npos,
            true);
  EXPECT_EQ(PgRows("SELECT verified_by FROM files WHERE key = 'video.mp4'"),
            std::vector<std::string>{"composite-crc32c(1MiB parts)"});
  EXPECT_EQ(PgRows("SELECT COUNT(*) FROM download_chunks"), std::vector<std::string>{"0"});
  // The totals the triggers kept equal a recount.
  // (Summed: a group has a row per shard, the scan's and the worker's.)
  EXPECT_EQ(PgRows("SELECT state || ' ' || SUM(files) || ' ' || SUM(bytes) FROM file_totals "
                   "GROUP BY state HAVING SUM(files) <> 0 ORDER BY state"),
            PgRows("SELECT state || ' ' || COUNT(*) || ' ' || SUM(size) FROM files GROUP BY state ORDER BY state"));
  EXPECT_FALSE(PgRows("SELECT id FROM progress_samples").empty());
  ProcessResult again = run_->Run({"--db", uri_, "migrate"});
  EXPECT_EQ(again.exit_code, 1) << Describe(again);
  ProcessResult verify = run_->Run({"--db", uri_, "verify"});
  EXPECT_EQ(verify.exit_code, 0) << Describe(verify);
  EXPECT_NE(verify.out.find("checked 14 local copies"), std::string::npos) << verify.out;
}

// A PostgreSQL state of schema 7 (before workers) is upgraded in place by
// the next writer: workers, claims, file_totals in shards (recounted).
TEST_F(PostgresStateTest, AVersion7StateIsUpgradedByTheNextWriter) {
  CreateBucket("bkt");
  Put("bkt", "a", "alpha");
  Put("bkt", "b", "bravo!");
  uri_ = FreshPostgresDatabase();
  ASSERT_EQ(run_->Run({"--db", uri_, "scan"}).exit_code, 0);
  auto pg = store::PgConnection::Connect(uri_);
  ASSERT_TRUE(pg.ok());
  ASSERT_TRUE(pg->Exec("DROP TABLE listing_ranges; DROP TABLE shared_limits; ALTER TABLE buckets DROP COLUMN claimed_by; "
                       "DROP TABLE workers; "
                       "DROP INDEX files_by_claim; "
                       "ALTER TABLE files DROP COLUMN claimed_by; "
                       "UPDATE file_totals SET files = 0, bytes = 0; "
                       "UPDATE s3migrate_meta SET value = '7' WHERE name = 'schema_version'")
                  .ok());
  ProcessResult migrate = run_->Run({"--db", uri_, "migrate"});
  EXPECT_EQ(migrate.exit_code, 0) << Describe(migrate);
  EXPECT_EQ(PgRows("SELECT value FROM s3migrate_meta WHERE name = 'schema_version'"), std::vector<std::string>{"10"});
  EXPECT_EQ(PgRows("SELECT state || ' ' || SUM(files) || ' ' || SUM(bytes) FROM file_totals GROUP BY state "
                   "HAVING SUM(files) <> 0"),
            std::vector<std::string>{"deleted 2 11"});
  EXPECT_EQ(PgRows("SELECT COUNT(*) FROM workers WHERE stopped_at IS NOT NULL"), std::vector<std::string>{"1"});
}

// Schema 8 (workers, before the shared limits) -> 9: shared_limits and
// workers.restores_pending, the workers recorded so far kept.
TEST_F(PostgresStateTest, AVersion8StateGetsTheSharedLimits) {
  CreateBucket("bkt");
  Put("bkt", "a", "alpha");
  Put("bkt", "g", "glacier bytes", "GLACIER");
  uri_ = FreshPostgresDatabase();
  ASSERT_EQ(run_->Run({"--db", uri_, "scan"}).exit_code, 0);
  ASSERT_EQ(run_->Run({"--db", uri_, "migrate", "--dry-run"}).exit_code, 0);
  auto pg = store::PgConnection::Connect(uri_);
  ASSERT_TRUE(pg.ok());
  ASSERT_TRUE(pg->Exec("DROP TABLE listing_ranges; DROP TABLE shared_limits; "
                       "ALTER TABLE workers DROP COLUMN restores_pending; "
                       "ALTER TABLE buckets DROP COLUMN claimed_by; "
                       "UPDATE s3migrate_meta SET value = '8' WHERE name = 'schema_version'")
                  .ok());
  ProcessResult migrate = run_->Run({"--db", uri_, "migrate"});
  EXPECT_EQ(migrate.exit_code, 0) << Describe(migrate);
  EXPECT_EQ(PgRows("SELECT value FROM s3migrate_meta WHERE name = 'schema_version'"), std::vector<std::string>{"10"});
  EXPECT_EQ(PgRows("SELECT COUNT(*) || ' ' || SUM(restores_pending) FROM workers WHERE stopped_at IS NOT NULL"),
            std::vector<std::string>{"2 0"});
  // The restore took its slot through the shared row.
  EXPECT_EQ(PgRows("SELECT name FROM shared_limits WHERE last_slot_us > 0"),
            std::vector<std::string>{"restore_requests"});
  EXPECT_EQ(PgRows("SELECT state || ' ' || SUM(files) FROM file_totals GROUP BY state HAVING SUM(files) <> 0"),
            std::vector<std::string>{"deleted 2"});
}

TEST_F(PostgresStateTest, ASecondWriterIsRefusedNamingTheFirst) {
  CreateBucket("bkt");
  Put("bkt", "k", "v");
  uri_ = FreshPostgresDatabase();
  auto holder = store::PgConnection::Connect(uri_);
  ASSERT_TRUE(holder.ok());
  ASSERT_TRUE(holder->Exec("SET application_name TO 's3migrate migrate (pid 4242 on host-a)'").ok());
  ASSERT_TRUE(holder->Exec(fmt::format("SELECT pg_advisory_lock({})", kWriterLockKey)).ok());
  ProcessResult second = run_->Run({"--db", uri_, "scan"});
  EXPECT_EQ(second.exit_code, 3) << Describe(second);
  EXPECT_NE(second.err.find("in use by s3migrate migrate (pid 4242 on host-a)"), std::string::npos) << second.err;
  EXPECT_TRUE(PgRows("SELECT table_name FROM information_schema.tables WHERE table_name = 'files'").empty())
      << "nothing is made while another writer holds the lock";

  ASSERT_TRUE(holder->Exec(fmt::format("SELECT pg_advisory_unlock({})", kWriterLockKey)).ok());
  ProcessResult after = run_->Run({"--db", uri_, "scan"});
  EXPECT_EQ(after.exit_code, 0) << Describe(after);
  EXPECT_EQ(PgRows("SELECT key FROM files"), std::vector<std::string>{"k"});
  // status takes no lock: it reads while a writer holds it.
  ASSERT_TRUE(holder->Exec(fmt::format("SELECT pg_advisory_lock({})", kWriterLockKey)).ok());
  EXPECT_EQ(run_->Run({"--db", uri_, "status"}).exit_code, 0);
  ASSERT_TRUE(holder->Exec(fmt::format("SELECT pg_advisory_unlock({})", kWriterLockKey)).ok());

  // A migrate worker shares the lock with other workers, never with scan.
  ASSERT_TRUE(holder->Exec("SET application_name TO 's3migrate migrate (pid 4343 on host-b)'").ok());
  ASSERT_TRUE(holder->Exec(fmt::format("SELECT pg_advisory_lock_shared({})", kWriterLockKey)).ok());
  ProcessResult rescan = run_->Run({"--db", uri_, "rescan", "--all"});
  EXPECT_EQ(rescan.exit_code, 3) << Describe(rescan);
  EXPECT_NE(rescan.err.find("in use by s3migrate migrate (pid 4343 on host-b)"), std::string::npos) << rescan.err;
  ProcessResult worker = run_->Run({"--db", uri_, "migrate"});
  EXPECT_EQ(worker.exit_code, 0) << Describe(worker);
  EXPECT_TRUE(RemainingKeys("bkt").empty());
}

TEST_F(PostgresStateTest, ADatabaseWithOtherTablesOfTheSameNamesIsLeftAlone) {
  CreateBucket("bkt");
  Put("bkt", "k", "v");
  uri_ = FreshPostgresDatabase();
  auto pg = store::PgConnection::Connect(uri_);
  ASSERT_TRUE(pg.ok());
  ASSERT_TRUE(pg->Exec("CREATE TABLE files (id INTEGER, what TEXT); INSERT INTO files VALUES (1, 'theirs')").ok());
  ProcessResult scan = run_->Run({"--db", uri_, "scan"});
  EXPECT_EQ(scan.exit_code, 2) << Describe(scan);
  EXPECT_NE(scan.err.find("tables named like s3migrate's (files)"), std::string::npos) << scan.err;
  EXPECT_EQ(PgRows("SELECT what FROM files"), std::vector<std::string>{"theirs"});

  ProcessResult empty_status = run_->Run({"--db", FreshPostgresDatabase(), "status"});
  EXPECT_EQ(empty_status.exit_code, 2) << Describe(empty_status);
  EXPECT_NE(empty_status.err.find("holds no s3migrate state yet"), std::string::npos) << empty_status.err;
}

// A session notices a silent server (a host powered off, a network cut: no
// reset ever comes) within seconds: keepalives and a TCP user timeout are on
// unless the URI says otherwise, and the URI's own values win.
TEST_F(PostgresStateTest, SessionsProbeASilentServerUnlessTheUriSaysOtherwise) {
  const std::string uri = FreshPostgresDatabase();
  auto plain = store::PgConnection::Connect(uri);
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(plain->Option("keepalives"), "1");
  EXPECT_EQ(plain->Option("keepalives_idle"), "10");
  EXPECT_EQ(plain->Option("keepalives_interval"), "5");
  EXPECT_EQ(plain->Option("keepalives_count"), "4");
  EXPECT_EQ(plain->Option("tcp_user_timeout"), "30000");
  EXPECT_EQ(plain->Option("connect_timeout"), "10");
  auto own = store::PgConnection::Connect(uri + "?keepalives_idle=7&connect_timeout=3&tcp_user_timeout=0");
  ASSERT_TRUE(own.ok()) << own.status().ToString();
  EXPECT_EQ(own->Option("keepalives_idle"), "7");
  EXPECT_EQ(own->Option("connect_timeout"), "3");
  EXPECT_EQ(own->Option("tcp_user_timeout"), "0");
  EXPECT_EQ(own->Option("keepalives_count"), "4");
}

}  // namespace
}  // namespace s3m::testing
