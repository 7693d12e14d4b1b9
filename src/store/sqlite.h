// Thin RAII layer over the SQLite C API: a connection, a prepared statement,
// a transaction. Every failure becomes a Status whose context names the
// database file and the operation; no exception crosses this layer.
//
// Ownership: a Statement points at its Database, so prepare statements only
// once the Database sits at its final address (StateStore keeps it on the heap).
//
// Two engines behind one API: SQLite (a file path) and PostgreSQL (a
// postgresql:// URI, through store/postgres.h; scale-out, issue 20). With
// PostgreSQL, parameters stay ?N in the SQL (rewritten to $N), travel as
// text and come back as text; Transaction::Begin is a plain BEGIN. SQL that
// is not in the subset both speak asks Database::postgres() which to use.
//
// Thread safety: a Database and its Statements belong to one thread at a time
// (SQLite is built serialized on Debian, but our statements carry bound state,
// so callers serialize access themselves; StateStore does it with a mutex).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace s3m::store {

class Database;
class PgConnection;
struct PgStatementState;

// "... WHERE a = ?1 AND b = '?' AND c = ?2" -> "... $1 ... '?' ... $2": ?N
// outside quotes and comments becomes $N, a bare ? the next number.
std::string RewriteParametersForPostgres(std::string_view sql);

// One prepared statement. Bind*() take 1-based parameter indexes as in the C
// API. Reset() makes it reusable; it is also reset on destruction.
class Statement {
 public:
  Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  bool valid() const { return stmt_ != nullptr || pg_ != nullptr; }

  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, std::string_view value);  // copied (SQLITE_TRANSIENT)
  // Not copied (SQLITE_STATIC): `value` must stay alive until the statement
  // is reset, as it is by Run(). For the scanner's hot path.
  Statement& BindView(int index, std::string_view value);
  Statement& Bind(int index, const char* value) { return Bind(index, std::string_view(value)); }
  Statement& Bind(int index, const std::string& value) { return Bind(index, std::string_view(value)); }
  Statement& Bind(int index, double value);
  Statement& BindNull(int index);
  // NULL when the optional is empty.
  Statement& Bind(int index, const std::optional<std::string>& value);
  Statement& Bind(int index, const std::optional<int64_t>& value);

  // Runs one step: true when a row is available, false when done.
  Result<bool> Step();
  // Runs the statement to completion (for INSERT/UPDATE/DELETE), then resets.
  Status Run();
  void Reset();

  int64_t ColumnInt(int column) const;
  double ColumnDouble(int column) const;
  std::string ColumnText(int column) const;  // "" for NULL
  std::optional<std::string> ColumnOptionalText(int column) const;
  std::optional<int64_t> ColumnOptionalInt(int column) const;
  bool ColumnIsNull(int column) const;

 private:
  friend class Database;
  Statement(Database* db, sqlite3_stmt* stmt);
  Statement(Database* db, std::unique_ptr<PgStatementState> pg);
  // The PostgreSQL engine's halves of the methods above (sql_postgres.cc).
  void PgBind(int index, std::optional<std::string> value);
  Result<bool> PgStep();
  Database* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  std::unique_ptr<PgStatementState> pg_;
  // The first bind error, reported by the next Step()/Run().
  int bind_error_ = 0;
};

enum class Synchronous {
  // WAL + NORMAL: a commit survives a crash of the process, not necessarily a
  // power loss (the WAL is fsynced at checkpoints). Enough for listings, which
  // are resumable and idempotent.
  kNormal,
  // WAL + FULL: every commit fsyncs the WAL. Required before any destructive
  // action depends on the committed fact (PRODUCT.md §5.1).
  kFull,
};

struct DatabaseOptions {
  bool read_only = false;
  // Create the file when missing and put it in WAL mode (never with
  // read_only): the writer's open. Others leave the journal mode as found.
  bool create = false;
  Synchronous synchronous = Synchronous::kNormal;
  int busy_timeout_ms = 10000;
  // Page cache budget; bounds this connection's memory whatever the row count.
  int cache_kib = 32 * 1024;
};

class Database {
 public:
  // A postgresql:// URI opens PostgreSQL (`options` do not apply to it).
  static Result<Database> Open(const std::string& path, const DatabaseOptions& options);
  bool postgres() const { return pg_ != nullptr; }

  Database();
  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();  // closes; errors on close are logged, never thrown

  // Closes the connection and reports what SQLite said.
  Status Close();

  const std::string& path() const { return path_; }  // a URI without its password
  bool valid() const { return db_ != nullptr || pg_ != nullptr; }

  Result<Statement> Prepare(std::string_view sql);
  // Runs one or more statements without results (DDL, pragmas).
  Status Exec(std::string_view sql);
  // Runs a query that yields one integer (PRAGMA user_version, COUNT(*)).
  Result<int64_t> QueryInt(std::string_view sql);
  // Runs a query and collects one text column of every row.
  Result<std::vector<std::string>> QueryStrings(std::string_view sql, int column = 0);

  int Changes() const;

  // The Status for SQLite result code `rc` during `operation`, with the
  // connection's message. SQLITE_BUSY/LOCKED, SQLITE_FULL and corruption get
  // messages that tell the user what to do.
  Status ErrorFrom(int rc, std::string_view operation) const;

 private:
  friend class Statement;
  Database(sqlite3* db, std::string path);
  static Result<Database> OpenPostgres(const std::string& uri);
  sqlite3* db_ = nullptr;
  std::unique_ptr<PgConnection> pg_;
  int64_t pg_changes_ = 0;  // rows the last PostgreSQL statement touched
  std::string path_;
};

// BEGIN IMMEDIATE ... COMMIT. Destroying an uncommitted transaction rolls it
// back, so an early `return status;` never leaves half a batch behind.
class Transaction {
 public:
  static Result<Transaction> Begin(Database& db);
  // BEGIN DEFERRED: a consistent snapshot for several reads (in WAL mode it
  // never blocks the writer, nor is blocked by it).
  static Result<Transaction> BeginRead(Database& db);
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  ~Transaction();
  Status Commit();

 private:
  explicit Transaction(Database* db) : db_(db) {}
  Database* db_ = nullptr;  // null once committed or rolled back
};

}  // namespace s3m::store
