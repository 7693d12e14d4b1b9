// `s3migrate state export` / `import`: a migration's state moved between the
// embedded SQLite database and PostgreSQL, whole and in one transaction on
// each side. The PostgreSQL tables have the same names, columns, state
// strings and constraints as SQLite's (they are made from SQLite's own table
// definitions), so psql queries read as sqlite3 ones; a table
// s3migrate_meta records the schema version and where the export came from.
//
// Export refuses a PostgreSQL database that already holds s3migrate tables;
// import refuses an existing SQLite file: nothing is ever merged or
// overwritten. Text that is not valid UTF-8 (a hostile key) cannot go into a
// UTF8 database: the export stops naming the row, and works into a database
// created with ENCODING 'SQL_ASCII', which keeps bytes as they are.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "core/status.h"

namespace s3m::store {

// Rows copied, by table.
using TransferCounts = std::map<std::string, int64_t>;

Result<TransferCounts> ExportToPostgres(const std::string& sqlite_path, const std::string& pg_uri);
Result<TransferCounts> ImportFromPostgres(const std::string& pg_uri, const std::string& sqlite_path);

}  // namespace s3m::store
