// A thin RAII layer over the SQLite C API for the emulator's metadata.
//
// Db owns one connection; Stmt owns one prepared statement and resets itself
// when it goes out of scope, so a cached statement is always ready for reuse.
// Errors come back as s3m::Status values naming the SQL that failed. Neither
// class is thread-safe: each connection is used by one thread at a time (the
// Store hands them out from a pool).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "core/status.h"

namespace s3emu {

class Db;

// A prepared statement borrowed from Db::Prepare. Bind with 1-based indices.
class Stmt {
 public:
  Stmt(sqlite3_stmt* stmt, Db* db, s3m::Status status = {})
      : stmt_(stmt), db_(db), status_(std::move(status)) {}
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& Bind(int index, int64_t value);
  Stmt& Bind(int index, std::string_view text);   // bound as TEXT
  Stmt& BindBlob(int index, std::string_view bytes);  // bound as BLOB (object keys)
  Stmt& BindNull(int index);

  // Steps once: true when a row is available, false when done. Errors are
  // remembered and returned by status() (and by Run()).
  bool Step();
  // Steps to completion (for statements that return no rows).
  s3m::Status Run();
  const s3m::Status& status() const { return status_; }

  int64_t Int(int column) const { return sqlite3_column_int64(stmt_, column); }
  std::string Text(int column) const;  // TEXT or BLOB, byte for byte
  bool IsNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

 private:
  sqlite3_stmt* stmt_;
  Db* db_;
  s3m::Status status_;
};

class Db {
 public:
  // Opens (creating if needed) the database file in WAL mode.
  static s3m::Result<std::unique_ptr<Db>> Open(const std::string& path);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  s3m::Status Exec(std::string_view sql);
  // A statement compiled once per connection and cached; the returned Stmt
  // resets it on destruction. `sql` must be a string literal (it is the cache key).
  Stmt Prepare(const char* sql);
  int64_t Changes() const { return sqlite3_changes64(db_); }
  int64_t LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }
  std::string LastError() const { return sqlite3_errmsg(db_); }

 private:
  explicit Db(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::map<const char*, sqlite3_stmt*> cache_;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back unless Commit() succeeded.
class Transaction {
 public:
  explicit Transaction(Db& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  const s3m::Status& begin_status() const { return begin_; }
  s3m::Status Commit();

 private:
  Db& db_;
  s3m::Status begin_;
  bool done_ = false;
};

}  // namespace s3emu
