// `state export` / `state import` end to end: a real migration on the
// emulator (objects deleted, one in error, an archived one waiting), its state
// exported to a real PostgreSQL (started by scripts/with-test-servers.sh),
// read there with SQL, and imported back into a new SQLite file that holds
// exactly the same rows and gives the same `status --json`.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "emulator_fixture.h"
#include "store/postgres.h"

namespace s3m::testing {
namespace {

class StateTransferTest : public EmulatorMigrateTest {
 protected:
  // Where two JSON documents differ ("" if nowhere), numbers with a fraction
  // counting as equal within 1 part in 10^5.
  static std::string JsonDifference(const nlohmann::json& a, const nlohmann::json& b, const std::string& at = "$") {
    if (a.is_number_float() || b.is_number_float()) {
      if (!a.is_number() || !b.is_number()) return fmt::format("{}: {} vs {}", at, a.dump(), b.dump());
      const double x = a.get<double>(), y = b.get<double>();
      return std::fabs(x - y) <= 1e-5 * std::max(std::fabs(x), std::fabs(y)) ? ""
                                                                               : fmt::format("{}: {} vs {}", at, x, y);
    }
    if (a.is_object() && b.is_object()) {
      for (const auto& [k, v] : a.items()) {
        if (!b.contains(k)) return fmt::format("{}.{}: only in the first", at, k);
        if (std::string d = JsonDifference(v, b.at(k), at + "." + k); !d.empty()) return d;
      }
      for (const auto& [k, v] : b.items()) {
        if (!a.contains(k)) return fmt::format("{}.{}: only in the second", at, k);
      }
      return "";
    }
    if (a.is_array() && b.is_array() && a.size() == b.size()) {
      for (size_t i = 0; i < a.size(); ++i) {
        if (std::string d = JsonDifference(a[i], b[i], fmt::format("{}[{}]", at, i)); !d.empty()) return d;
      }
      return "";
    }
    return a == b ? "" : fmt::format("{}: {} vs {}", at, a.dump(), b.dump());
  }
  static std::vector<std::string> Rows(const std::string& db, const std::string& table) {
    // file_totals keeps groups that emptied (0 files); a recount has none.
    return Sql(db, fmt::format("SELECT * FROM {} {} ORDER BY 1, 2, 3", table,
                               table == std::string("file_totals") ? "WHERE files != 0" : ""));
  }
  static void Write(const std::string& db, const std::string& sql) {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(raw);
    sqlite3_close(raw);
  }
};

TEST_F(StateTransferTest, ExportedToPostgresAndImportedBackTheSameRows) {
  CreateBucket("transfer");
  Put("transfer", "a.txt", "alpha");
  Put("transfer", "dir/two words.bin", std::string(300000, 'x'));
  Put("transfer", "denied.txt", "no");
  Put("transfer", "cold.log", "archived", "DEEP_ARCHIVE");
  AddFault({{"kind", "access_denied"}, {"operations", {"GetObject", "HeadObject"}}, {"keys", {"denied.txt"}}});
  ProcessResult migrate = ScanAndMigrate({"--dry-run"});  // restores not requested: cold.log waits
  ASSERT_EQ(migrate.exit_code, 1) << Describe(migrate);  // denied.txt in error

  const std::string uri = FreshPostgresDatabase();
  ProcessResult out = run_->Run({"state", "export", "--to", uri});
  ASSERT_EQ(out.exit_code, 0) << Describe(out);
  EXPECT_NE(out.out.find("4 files"), std::string::npos) << out.out;

  // The same table, columns and states, read with SQL on PostgreSQL.
  auto pg = store::PgConnection::Connect(uri);
  ASSERT_TRUE(pg.ok()) << pg.status().ToString();
  auto states = pg->Query("SELECT key, state, storage_class, attempts FROM files ORDER BY key");
  ASSERT_TRUE(states.ok()) << states.status().ToString();
  ASSERT_EQ(states->rows(), 4);
  EXPECT_EQ(states->Text(0, 0), "a.txt");
  EXPECT_EQ(states->Text(0, 1), "verified");
  EXPECT_EQ(states->Text(1, 1), "discovered");
  EXPECT_EQ(states->Text(1, 2), "DEEP_ARCHIVE");
  EXPECT_EQ(states->Text(2, 1), "error");
  EXPECT_EQ(states->Text(3, 0), "dir/two words.bin");
  auto bad_state = pg->Query("UPDATE files SET state = 'gone' WHERE key = 'a.txt'");
  EXPECT_FALSE(bad_state.ok());  // the CHECK constraint came along

  // The exported state reads like the original: status, report, verify.
  // Fields left out, and amounts compared to 1 part in 10^5: the
  // early-deletion estimate depends on the time of the call (to the second),
  // and its age is julianday() arithmetic on SQLite, an interval on
  // PostgreSQL. (Rounding both to 6 digits failed when the calls fell either
  // side of a second and the amounts either side of a rounding boundary.)
  auto without = [](nlohmann::json j, std::initializer_list<const char*> keys) {
    for (const char* k : keys) j.erase(k);
    return j;
  };
  ProcessResult status_sqlite = run_->Run({"status", "--json", "--by-bucket"});
  ProcessResult status_pg = run_->Run({"--db", uri, "status", "--json", "--by-bucket"});
  ASSERT_EQ(status_pg.exit_code, 0) << Describe(status_pg);
  EXPECT_EQ(JsonDifference(without(nlohmann::json::parse(status_pg.out), {"database", "generated_at"}),
                           without(nlohmann::json::parse(status_sqlite.out), {"database", "generated_at"})),
            "");
  ProcessResult report_sqlite = run_->Run({"report", "--json", "-"});
  ProcessResult report_pg = run_->Run({"--db", uri, "report", "--json", "-"});
  ASSERT_EQ(report_pg.exit_code, 0) << Describe(report_pg);
  EXPECT_EQ(JsonDifference(without(nlohmann::json::parse(report_pg.out), {"database", "generated_at"}),
                           without(nlohmann::json::parse(report_sqlite.out), {"database", "generated_at"})),
            "");
  ProcessResult verify_pg = run_->Run({"--db", uri, "verify"});
  EXPECT_EQ(verify_pg.exit_code, 0) << Describe(verify_pg);
  EXPECT_NE(verify_pg.out.find("checked 2 local copies"), std::string::npos) << verify_pg.out;
  // A second export into the same database changes nothing.
  ProcessResult again = run_->Run({"state", "export", "--to", uri});
  EXPECT_EQ(again.exit_code, 2) << Describe(again);
  EXPECT_NE(again.err.find("already holds s3migrate tables"), std::string::npos) << again.err;

  const std::string copy = run_->dir() + "/imported.db";
  ProcessResult in = run_->Run({"--db", copy, "state", "import", "--from", uri});
  ASSERT_EQ(in.exit_code, 0) << Describe(in);
  for (const char* table : {"buckets", "files", "download_chunks", "progress_samples", "file_totals"}) {
    EXPECT_EQ(Rows(copy, table), Rows(run_->db(), table)) << table;
  }
  // Integers stay integers, NULLs NULLs.
  const std::string types = "SELECT typeof(id), typeof(size), typeof(attempts), typeof(local_path), "
                            "typeof(error_message), typeof(verified_at) FROM files ORDER BY id";
  EXPECT_EQ(Sql(copy, types), Sql(run_->db(), types));
  ProcessResult status_original = run_->Run({"status", "--json", "--by-bucket"});
  ProcessResult status_copy = run_->Run({"--db", copy, "status", "--json", "--by-bucket"});
  EXPECT_EQ(JsonDifference(without(nlohmann::json::parse(status_copy.out), {"database", "generated_at"}),
                           without(nlohmann::json::parse(status_original.out), {"database", "generated_at"})),
            "");

  ProcessResult exists = run_->Run({"--db", copy, "state", "import", "--from", uri});
  EXPECT_EQ(exists.exit_code, 2) << Describe(exists);
  ProcessResult empty = run_->Run({"--db", run_->dir() + "/other.db", "state", "import", "--from", FreshPostgresDatabase()});
  EXPECT_EQ(empty.exit_code, 2) << Describe(empty);
  EXPECT_NE(empty.err.find("holds no exported s3migrate state"), std::string::npos) << empty.err;
  EXPECT_NE(access((run_->dir() + "/other.db").c_str(), F_OK), 0);  // a failed import leaves no file
  ProcessResult secret = run_->Run({"state", "export", "--to", "postgresql://u:hunter2@127.0.0.1:1/x"});
  EXPECT_EQ(secret.exit_code, 3) << Describe(secret);
  EXPECT_EQ(secret.err.find("hunter2"), std::string::npos) << secret.err;
}

// The exported database keeps itself consistent the way the SQLite one
// does: every UPDATE and DELETE of `files` (a user's own in psql too) is
// counted in file_totals by triggers, and a new row gets an id after the
// exported ones.
TEST_F(StateTransferTest, TheExportedDatabaseKeepsItsTotalsAndIdsByItself) {
  CreateBucket("totals");
  for (int i = 0; i < 5; ++i) Put("totals", "k" + std::to_string(i), std::string(100 + i, 'x'));
  Put("totals", "cold", "archived", "GLACIER");
  ASSERT_EQ(run_->Run({"scan"}).exit_code, 0);
  const std::string uri = FreshPostgresDatabase();
  ASSERT_EQ(run_->Run({"state", "export", "--to", uri}).exit_code, 0);
  auto pg = store::PgConnection::Connect(uri);
  ASSERT_TRUE(pg.ok()) << pg.status().ToString();
  const char* kCounted =
      "SELECT COALESCE(string_agg(line, '; ' ORDER BY line), '') FROM (SELECT concat_ws(' ', bucket, state, "
      "storage_class, archived, archived_day, files, bytes) AS line FROM ({}) t WHERE files <> 0) u";
  const std::string totals = fmt::format(
      fmt::runtime(kCounted), "SELECT bucket, state, storage_class, archived, archived_day, files, bytes FROM file_totals");
  const std::string recount = fmt::format(
      fmt::runtime(kCounted),
      "SELECT bucket, state, storage_class, archived, CASE WHEN archived <> 0 THEN substr(last_modified, 1, 10) "
      "ELSE '' END AS archived_day, COUNT(*) AS files, SUM(size) AS bytes FROM files GROUP BY 1, 2, 3, 4, 5");
  for (const char* change :
       {"UPDATE files SET state = 'error', error_message = 'x' WHERE key IN ('k0', 'k1')",
        "UPDATE files SET size = size + 1000 WHERE key = 'k2'", "DELETE FROM files WHERE key = 'k3'",
        "UPDATE files SET archived = 0, storage_class = 'STANDARD' WHERE key = 'cold'"}) {
    ASSERT_TRUE(pg->Exec(change).ok()) << change;
    auto counted = pg->Query(totals);
    auto recounted = pg->Query(recount);
    ASSERT_TRUE(counted.ok() && recounted.ok()) << counted.status().ToString() << recounted.status().ToString();
    EXPECT_EQ(counted->Text(0, 0), recounted->Text(0, 0)) << "after " << change;
  }
  auto inserted = pg->Query("INSERT INTO files (bucket, key, state, created_at, updated_at) "
                            "VALUES ('totals', 'new', 'discovered', 'x', 'x') RETURNING id");
  ASSERT_TRUE(inserted.ok()) << inserted.status().ToString();
  auto highest = pg->Query("SELECT MAX(id) FROM files WHERE key <> 'new'");
  ASSERT_TRUE(highest.ok());
  EXPECT_GT(std::stoll(inserted->Text(0, 0)), std::stoll(highest->Text(0, 0)));
}

TEST_F(StateTransferTest, AKeyThatIsNotUtf8NeedsAnSqlAsciiDatabase) {
  CreateBucket("transfer");
  Put("transfer", "ok.txt", "fine");
  ProcessResult scan = run_->Run({"scan"});
  ASSERT_EQ(scan.exit_code, 0) << Describe(scan);
  // A key as some S3-compatible servers allow: bytes that are not UTF-8.
  Write(run_->db(), "UPDATE files SET key = CAST(X'636166E9' AS TEXT) WHERE key = 'ok.txt'");
  ProcessResult utf8 = run_->Run({"state", "export", "--to", FreshPostgresDatabase()});
  EXPECT_EQ(utf8.exit_code, 2) << Describe(utf8);
  EXPECT_NE(utf8.err.find("files row 1 has a key that is not valid UTF-8"), std::string::npos) << utf8.err;

  const std::string uri = FreshPostgresDatabase("ENCODING 'SQL_ASCII' TEMPLATE template0");
  ProcessResult out = run_->Run({"state", "export", "--to", uri});
  ASSERT_EQ(out.exit_code, 0) << Describe(out);
  const std::string copy = run_->dir() + "/imported.db";
  ProcessResult in = run_->Run({"--db", copy, "state", "import", "--from", uri});
  ASSERT_EQ(in.exit_code, 0) << Describe(in);
  EXPECT_EQ(Sql(copy, "SELECT hex(key) FROM files"), std::vector<std::string>{"636166E9"});
}

}  // namespace
}  // namespace s3m::testing
