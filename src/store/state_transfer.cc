#include "store/state_transfer.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/time_format.h"
#include "core/unicode.h"
#include "store/file_state.h"
#include "store/postgres.h"
#include "store/schema.h"
#include "store/state_store.h"

namespace s3m::store {

namespace {

// The tables that make a migration's state, parents first; file_totals is
// derived: exported (status reads it) and recounted on import. The writer
// lock is per machine.
constexpr const char* kTables[] = {"buckets", "files", "download_chunks", "progress_samples", "file_totals"};
constexpr const char* kDerivedTable = "file_totals";
constexpr size_t kCopyChunk = 8u << 20;

struct Column {
  std::string name;
  bool integer = false;
  bool not_null = false;
  std::string default_sql;  // as SQLite has it ("''", "0", "'pending'")
  int primary_key = 0;      // position in the primary key, 0 = not in it
};

Result<std::vector<Column>> Columns(Database& db, const std::string& table) {
  S3M_ASSIGN_OR_RETURN(Statement s, db.Prepare(fmt::format("PRAGMA table_info({})", table)));
  std::vector<Column> columns;
  for (;;) {
    S3M_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    Column c;
    c.name = s.ColumnText(1);
    c.integer = s.ColumnText(2) == "INTEGER";
    c.not_null = s.ColumnInt(3) != 0;
    c.default_sql = s.ColumnText(4);
    c.primary_key = static_cast<int>(s.ColumnInt(5));
    columns.push_back(std::move(c));
  }
  return columns;
}

std::string Quoted(const std::string& name) { return "\"" + name + "\""; }

// CREATE TABLE for PostgreSQL from SQLite's definition, plus the constraints
// table_info does not show.
std::string CreateTableSql(const std::string& table, const std::vector<Column>& columns) {
  std::string sql = fmt::format("CREATE TABLE {} (\n", table);
  std::vector<std::string> key(columns.size());
  size_t key_size = 0;
  for (const Column& c : columns) {
    sql += fmt::format("  {} {}{}{},\n", Quoted(c.name), c.integer ? "BIGINT" : "TEXT",
                       c.not_null ? " NOT NULL" : "",
                       c.default_sql.empty() ? "" : " DEFAULT " + c.default_sql);
    if (c.primary_key > 0) {
      key[static_cast<size_t>(c.primary_key - 1)] = Quoted(c.name);
      ++key_size;
    }
  }
  std::string key_list;
  for (size_t i = 0; i < key_size; ++i) key_list += (i ? ", " : "") + key[i];
  sql += fmt::format("  PRIMARY KEY ({})", key_list);
  if (table == "files") {
    std::string states;
    for (FileState s : kAllFileStates) states += fmt::format("{}'{}'", states.empty() ? "" : ", ", FileStateName(s));
    sql += fmt::format(",\n  CHECK (state IN ({})),\n  UNIQUE (bucket, key, version_id)", states);
  }
  if (table == "buckets") {
    sql += ",\n  CHECK (scan_state IN ('pending', 'listing', 'complete', 'failed'))";
  }
  if (table == "download_chunks") sql += ",\n  FOREIGN KEY (file_id) REFERENCES files (id) ON DELETE CASCADE";
  return sql + "\n);\n";
}

constexpr const char* kPostgresIndexes = R"sql(
CREATE INDEX files_by_state ON files (state, archived, id);
CREATE INDEX files_gone ON files (bucket, state) WHERE gone_at IS NOT NULL;
CREATE INDEX files_with_previous_copy ON files (bucket) WHERE previous_local_path IS NOT NULL;
CREATE INDEX files_by_local_path ON files (local_path_folded) WHERE local_path_folded IS NOT NULL;
CREATE INDEX files_restored ON files (state) WHERE restore_expiry IS NOT NULL;
)sql";

constexpr const char* kMetaTable = "s3migrate_meta";

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
  for (const char* table : kTables) ours += fmt::format(", '{}'", table);
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
  for (const char* table : kTables) {
    S3M_ASSIGN_OR_RETURN(std::vector<Column> columns, Columns(db, table));
    S3M_RETURN_IF_ERROR(pg.Exec(CreateTableSql(table, columns)));
    std::string names;
    for (const Column& c : columns) names += (names.empty() ? "" : ", ") + Quoted(c.name);
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
  S3M_RETURN_IF_ERROR(pg.Exec(kPostgresIndexes));
  S3M_ASSIGN_OR_RETURN(int64_t version, db.QueryInt("PRAGMA user_version"));
  S3M_RETURN_IF_ERROR(
      pg.Exec(fmt::format("CREATE TABLE {} (name TEXT PRIMARY KEY, value TEXT NOT NULL)", kMetaTable)));
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
  for (const char* table : kTables) {
    if (std::string_view(table) == kDerivedTable) continue;
    S3M_ASSIGN_OR_RETURN(std::vector<Column> columns, Columns(db, table));
    std::string names, placeholders;
    for (size_t i = 0; i < columns.size(); ++i) {
      names += (i ? ", " : "") + Quoted(columns[i].name);
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
