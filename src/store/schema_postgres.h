// The state database's schema in PostgreSQL (scale-out, issue 20).
//
// The PostgreSQL tables are made from SQLite's own definitions (schema.cc),
// read back with PRAGMA table_info: the same names, columns, defaults, state
// strings and constraints, so a psql query reads as the sqlite3 one. What
// SQLite does by itself is spelled out: ids are identity columns (SQLite's
// rowid), and the file_totals triggers are PL/pgSQL. The version lives in
// s3migrate_meta(name, value): schema_version = kSchemaVersion.
//
// Two makers share these pieces: `state export` (tables, COPY of the rows,
// then the indexes and the keepers) and a writer opening an empty database
// (CreatePostgresSchema: the same with no rows).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "store/sqlite.h"

namespace s3m::store {

// The tables that make a migration's state, parents first.
inline constexpr const char* kStateTables[] = {"buckets", "workers", "files", "download_chunks",
                                               "progress_samples", "file_totals", "shared_limits",
                                               "listing_ranges"};
inline constexpr std::string_view kMetaTable = "s3migrate_meta";

// One column as SQLite's PRAGMA table_info describes it.
struct SqliteColumn {
  std::string name;
  bool integer = false;
  bool not_null = false;
  std::string default_sql;  // as SQLite has it ("''", "0", "'pending'")
  int primary_key = 0;      // position in the primary key, 0 = not in it
};

Result<std::vector<SqliteColumn>> SqliteColumns(Database& sqlite, std::string_view table);

// "name" (for column names that are reserved words in PostgreSQL: offset).
std::string QuotedName(std::string_view name);

// CREATE TABLE for PostgreSQL from SQLite's definition of `table`, with the
// constraints table_info does not show (state CHECKs, UNIQUE, FOREIGN KEY).
std::string PostgresCreateTableSql(std::string_view table, const std::vector<SqliteColumn>& columns);

// The indexes, after the rows are in (cheaper than keeping them during COPY).
extern const std::string_view kPostgresIndexesSql;
// After the rows are in: identity sequences past the ids present, and the
// triggers that keep file_totals (as schema.cc's SQLite triggers do).
extern const std::string_view kPostgresKeepersSql;
extern const std::string_view kPostgresMetaTableSql;

// Brings a PostgreSQL state of an older version (from 7) to kSchemaVersion,
// as UpgradeSchema does a SQLite file. The caller holds the writer lock,
// inside a transaction.
Status UpgradePostgresSchema(Database& pg, int version);

// Makes the current schema in a PostgreSQL database holding no s3migrate
// table, and records its version. The caller holds the writer lock, inside
// a transaction.
Status CreatePostgresSchema(Database& pg, std::string_view created_by);

// The version s3migrate_meta records; 0 when the database holds none of our
// tables. kInvalidArgument when it holds some of them but no s3migrate_meta.
Result<int> DetectPostgresSchemaVersion(Database& pg);

}  // namespace s3m::store
