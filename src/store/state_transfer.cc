#include "store/state_transfer.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/time_format.h"
#include "core/unicode.h"
#include "store/file_state.h"
#include "store/postgres.h"
#include "store/schema.h"
#include "store/schema_postgres.h"
#include "store/state_store.h"

namespace s3m::store {

namespace {

// file_totals is derived: exported (status reads it) and recounted on
// import. The writer lock is per machine.
constexpr const char* kDerivedTable = "file_totals";
constexpr size_t kCopyChunk = 8u << 20;

Status Refused(std::string message) { return Status::Error(ErrorKind::kInvalidArgument, std::move(message)); }

Result<std::unique_ptr<StateStore>> OpenSqlite(const std::string& path, OpenMode mode) {
  StoreOptions options;
  options.mode = mode;
  options.command = mode == OpenMode::kRead ? "state export" : "state import";
  return StateStore::Open(path, options);
}

}  // namespace

Result<TransferCounts> ExportToPostgres(const std::string& sqlite_path, const std::string& pg_uri) {
  struct stat st;
  if (::stat(sqlite_path.c_str(), &st) != 0) {
    return Refused(fmt::format("state export: no state database at {} (--db)", sqlite_path));
  }
  S3M_ASSIGN_OR_RETURN(auto state, OpenSqlite(sqlite_path, OpenMode::kRead));
  Database& db = state->database();
  S3M_ASSIGN_OR_RETURN(PgConnection pg, PgConnection::Connect(pg_uri));
  S3M_ASSIGN_OR_RETURN(PgResult encoding, pg.Query("SHOW server_encoding"));
  const bool any_bytes = encoding.Text(0, 0) == "SQL_ASCII";
  if (any_bytes) S3M_RETURN_IF_ERROR(pg.Exec("SET client_encoding TO 'SQL_ASCII'"));
  S3M_RETURN_IF_ERROR(pg.Exec("BEGIN"));
  std::string ours = fmt::format("'{}'", kMetaTable);
  for (const char* table : kStateTables) ours += fmt::format(", '{}'", table);
  S3M_ASSIGN_OR_RETURN(PgResult existing,
                       pg.Query(fmt::format("SELECT string_agg(table_name, ', ') FROM information_schema.tables "
                                            "WHERE table_schema = current_schema() AND table_name IN ({})",
                                            ours)));
  if (!existing.IsNull(0, 0)) {
    return Refused(fmt::format("state export: {} already holds s3migrate tables ({}); export into an "
                               "empty database (nothing was changed)",
                               pg.where(), existing.Text(0, 0)));
  }
  S3M_ASSIGN_OR_RETURN(Transaction snapshot, Transaction::BeginRead(db));
  TransferCounts counts;
  for (const char* table : kStateTables) {
    S3M_ASSIGN_OR_RETURN(std::vector<SqliteColumn> columns, SqliteColumns(db, table));
    S3M_RETURN_IF_ERROR(pg.Exec(PostgresCreateTableSql(table, columns)));
    std::string names;
    for (const SqliteColumn& c : columns) names += (names.empty() ? "" : ", ") + QuotedName(c.name);
    const std::string copy = fmt::format("COPY {} ({}) FROM STDIN", table, names);
    S3M_ASSIGN_OR_RETURN(Statement read, db.Prepare(fmt::format("SELECT {} FROM {} ORDER BY 1", names, table)));
    std::string buffer;
    int64_t rows = 0;
    for (;;) {
      S3M_ASSIGN_OR_RETURN(bool row, read.Step());
      if (!row) break;
      for (size_t i = 0; i < columns.size(); ++i) {
        const int col = static_cast<int>(i);
        std::optional<std::string> value = read.ColumnOptionalText(col);
        if (value && !any_bytes && !IsValidUtf8(*value)) {
          return Refused(fmt::format(
              "state export: {} row {} has a {} that is not valid UTF-8, which a UTF8 PostgreSQL "
              "database cannot hold; export into a database created with ENCODING 'SQL_ASCII' "
              "TEMPLATE template0 (it keeps the bytes as they are); nothing was changed",
              table, read.ColumnText(0), columns[i].name));
        }
        buffer += PgConnection::CopyField(value);
        buffer += i + 1 < columns.size() ? '\t' : '\n';
      }
      ++rows;
      if (buffer.size() >= kCopyChunk) {
        S3M_RETURN_IF_ERROR(pg.CopyIn(copy, buffer));
        buffer.clear();
      }
    }
    if (!buffer.empty()) S3M_RETURN_IF_ERROR(pg.CopyIn(copy, buffer));
    counts[table] = rows;
  }
  S3M_RETURN_IF_ERROR(pg.Exec(kPostgresIndexesSql));
  S3M_RETURN_IF_ERROR(pg.Exec(kPostgresKeepersSql));
  S3M_ASSIGN_OR_RETURN(int64_t version, db.QueryInt("PRAGMA user_version"));
  S3M_RETURN_IF_ERROR(
      pg.Exec(kPostgresMetaTableSql));
  S3M_RETURN_IF_ERROR(pg.Query("INSERT INTO s3migrate_meta VALUES ('schema_version', $1), ('exported_from', $2), "
                               "('exported_at', $3)",
                               {std::to_string(version), sqlite_path,
                                FormatIso8601(std::chrono::system_clock::now(), Iso8601Precision::kSeconds)})
                          .status());
  S3M_RETURN_IF_ERROR(pg.Exec("COMMIT"));
  return counts;
}

namespace {

Result<TransferCounts> Import(const std::string& pg_uri, const std::string& sqlite_path) {
  S3M_ASSIGN_OR_RETURN(PgConnection pg, PgConnection::Connect(pg_uri));
  S3M_ASSIGN_OR_RETURN(PgResult encoding, pg.Query("SHOW server_encoding"));
  if (encoding.Text(0, 0) == "SQL_ASCII") S3M_RETURN_IF_ERROR(pg.Exec("SET client_encoding TO 'SQL_ASCII'"));
  S3M_RETURN_IF_ERROR(pg.Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
  auto version = pg.Query("SELECT value FROM s3migrate_meta WHERE name = 'schema_version'");
  if (!version.ok() || version->rows() != 1) {
    return Refused(fmt::format("state import: {} holds no exported s3migrate state (no s3migrate_meta)",
                               pg.where()));
  }
  if (version->Text(0, 0) != std::to_string(kSchemaVersion)) {
    return Refused(fmt::format("state import: {} holds schema version {}; this s3migrate reads version {}",
                               pg.where(), version->Text(0, 0), kSchemaVersion));
  }
  S3M_ASSIGN_OR_RETURN(auto state, OpenSqlite(sqlite_path, OpenMode::kWrite));
  Database& db = state->database();
  S3M_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db));
  TransferCounts counts;
  for (const char* table : kStateTables) {
    if (std::string_view(table) == kDerivedTable) continue;
    S3M_ASSIGN_OR_RETURN(std::vector<SqliteColumn> columns, SqliteColumns(db, table));
    std::string names, placeholders;
    for (size_t i = 0; i < columns.size(); ++i) {
      names += (i ? ", " : "") + QuotedName(columns[i].name);
      placeholders += fmt::format("{}?{}", i ? ", " : "", i + 1);
    }
    S3M_ASSIGN_OR_RETURN(Statement insert, db.Prepare(fmt::format("INSERT INTO {} ({}) VALUES ({})", table,
                                                                  names, placeholders)));
    S3M_RETURN_IF_ERROR(pg.Exec(fmt::format("DECLARE rows_{} NO SCROLL CURSOR FOR SELECT {} FROM {} ORDER BY 1",
                                            table, names, table)));
    int64_t rows = 0;
    for (;;) {
      S3M_ASSIGN_OR_RETURN(PgResult page, pg.Query(fmt::format("FETCH 10000 FROM rows_{}", table)));
      if (page.rows() == 0) break;
      for (int r = 0; r < page.rows(); ++r) {
        for (size_t i = 0; i < columns.size(); ++i) {
          const int col = static_cast<int>(i);
          if (page.IsNull(r, col)) {
            insert.BindNull(col + 1);
          } else if (columns[i].integer) {
            insert.Bind(col + 1, page.Int(r, col));
          } else {
            insert.Bind(col + 1, page.Text(r, col));
          }
        }
        S3M_RETURN_IF_ERROR(insert.Run());
        ++rows;
      }
    }
    counts[table] = rows;
  }
  // The running totals status reads are derived: count them afresh.
  S3M_RETURN_IF_ERROR(db.Exec("DELETE FROM file_totals"));
  S3M_RETURN_IF_ERROR(db.Exec(kCountAllFilesSql));
  S3M_RETURN_IF_ERROR(txn.Commit());
  S3M_RETURN_IF_ERROR(pg.Exec("COMMIT"));
  return counts;
}

}  // namespace

Result<TransferCounts> ImportFromPostgres(const std::string& pg_uri, const std::string& sqlite_path) {
  struct stat st;
  if (::stat(sqlite_path.c_str(), &st) == 0) {
    return Refused(fmt::format("state import: {} exists; import into a new file (--db NEW.db): "
                               "nothing is ever merged or overwritten",
                               sqlite_path));
  }
  Result<TransferCounts> counts = Import(pg_uri, sqlite_path);
  if (!counts.ok()) {
    // The file was made by this import and holds nothing committed: remove
    // it, so the import can simply be run again.
    for (const char* suffix : {"", "-wal", "-shm", ".lock"}) ::unlink((sqlite_path + suffix).c_str());
  }
  return counts;
}

}  // namespace s3m::store
