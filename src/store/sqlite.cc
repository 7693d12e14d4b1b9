#include "store/sqlite.h"

#include <sqlite3.h>

#include <mutex>
#include <utility>

#include <fmt/format.h>

#include "core/logging.h"
#include "store/postgres.h"
#include "store/sql_postgres.h"

namespace s3m::store {

namespace {

ErrorContext DbContext(std::string_view operation, const std::string& path) {
  ErrorContext ctx;
  ctx.operation = std::string(operation);
  ctx.path = path;
  return ctx;
}

}  // namespace

// ---------------------------------------------------------------------------
// Statement

Statement::Statement() = default;
Statement::Statement(Database* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}

Statement::Statement(Statement&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      stmt_(std::exchange(other.stmt_, nullptr)),
      pg_(std::move(other.pg_)),
      bind_error_(std::exchange(other.bind_error_, 0)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    if (stmt_ != nullptr) sqlite3_finalize(stmt_);
    db_ = std::exchange(other.db_, nullptr);
    stmt_ = std::exchange(other.stmt_, nullptr);
    pg_ = std::move(other.pg_);
    bind_error_ = std::exchange(other.bind_error_, 0);
  }
  return *this;
}

Statement::~Statement() {
  if (stmt_ != nullptr) sqlite3_finalize(stmt_);
}

Statement& Statement::Bind(int index, int64_t value) {
  if (pg_) return PgBind(index, std::to_string(value)), *this;
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

namespace {
// SQLite binds a null pointer as NULL, and an empty string_view's data() may
// be null: an empty view is still the empty string.
const char* TextOrEmpty(std::string_view value) { return value.empty() ? "" : value.data(); }
}  // namespace

Statement& Statement::Bind(int index, std::string_view value) {
  if (pg_) return PgBind(index, std::string(value)), *this;
  const int rc = sqlite3_bind_text64(stmt_, index, TextOrEmpty(value), value.size(),
                                     SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Statement& Statement::BindView(int index, std::string_view value) {
  if (pg_) return PgBind(index, std::string(value)), *this;
  const int rc = sqlite3_bind_text64(stmt_, index, TextOrEmpty(value), value.size(), SQLITE_STATIC,
                                     SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Statement& Statement::Bind(int index, double value) {
  if (pg_) return PgBind(index, fmt::format("{}", value)), *this;
  const int rc = sqlite3_bind_double(stmt_, index, value);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Statement& Statement::BindNull(int index) {
  if (pg_) return PgBind(index, std::nullopt), *this;
  const int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Statement& Statement::Bind(int index, const std::optional<std::string>& value) {
  return value ? Bind(index, std::string_view(*value)) : BindNull(index);
}

Statement& Statement::Bind(int index, const std::optional<int64_t>& value) {
  return value ? Bind(index, *value) : BindNull(index);
}

Result<bool> Statement::Step() {
  if (pg_) return PgStep();
  if (bind_error_ != 0) {
    const int rc = std::exchange(bind_error_, 0);
    Reset();
    return db_->ErrorFrom(rc, "bind parameters");
  }
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  // The statement's error is on the connection until the reset.
  Status error = db_->ErrorFrom(rc, sqlite3_sql(stmt_) != nullptr ? "execute statement" : "step");
  Reset();
  return error;
}

Status Statement::Run() {
  for (;;) {
    S3M_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) break;
  }
  Reset();
  return Status::Ok();
}

void Statement::Reset() {
  if (pg_) {  // as below: the result is dropped and the bindings cleared
    pg_->result.reset();
    pg_->row = -1;
    pg_->params.clear();
    return;
  }
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t Statement::ColumnInt(int column) const {
  if (pg_) return pg_->current().Int(pg_->row, column);
  return sqlite3_column_int64(stmt_, column);
}
double Statement::ColumnDouble(int column) const {
  if (pg_) return pg_->current().IsNull(pg_->row, column) ? 0 : std::stod(pg_->current().Text(pg_->row, column));
  return sqlite3_column_double(stmt_, column);
}

std::string Statement::ColumnText(int column) const {
  if (pg_) return pg_->current().Text(pg_->row, column);
  const auto* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::optional<std::string> Statement::ColumnOptionalText(int column) const {
  if (ColumnIsNull(column)) return std::nullopt;
  return ColumnText(column);
}

std::optional<int64_t> Statement::ColumnOptionalInt(int column) const {
  if (ColumnIsNull(column)) return std::nullopt;
  return ColumnInt(column);
}

bool Statement::ColumnIsNull(int column) const {
  if (pg_) return pg_->current().IsNull(pg_->row, column);
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

// ---------------------------------------------------------------------------
// Database

Result<Database> Database::Open(const std::string& path, const DatabaseOptions& options) {
  if (IsPostgresUri(path)) return OpenPostgres(path);
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  if (options.read_only) {
    flags |= SQLITE_OPEN_READONLY;
  } else {
    flags |= SQLITE_OPEN_READWRITE;
    if (options.create) flags |= SQLITE_OPEN_CREATE;
  }
  // Before SQLite's first use in the process: no global memory statistics,
  // whose mutex every allocation would take. (Fails harmlessly if another
  // part of the process initialized SQLite first.)
  static std::once_flag configured;
  std::call_once(configured, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Database db(raw, path);  // owns `raw` even when the open failed
  if (rc != SQLITE_OK) {
    if ((rc & 0xff) == SQLITE_CANTOPEN) {
      ErrorContext ctx = DbContext("open database", path);
      return Status::Error(options.create ? ErrorKind::kFatal : ErrorKind::kNotFound,
                           options.create
                               ? "cannot create the state database (check that its directory "
                                 "exists and is writable)"
                               : "no state database here; run `s3migrate scan` first, or pass "
                                 "--db with the right path",
                           ctx);
    }
    return db.ErrorFrom(rc, "open database");
  }
  sqlite3_busy_timeout(raw, options.busy_timeout_ms);
  sqlite3_extended_result_codes(raw, 1);

  // A file that is not a database fails here, on the first read.
  auto mode = db.Prepare("PRAGMA journal_mode");
  if (!mode.ok()) return mode.status();
  std::string journal;
  {
    S3M_ASSIGN_OR_RETURN(bool row, mode->Step());
    if (row) journal = mode->ColumnText(0);
  }
  mode->Reset();
  // Only a writer (create) changes the file's journal mode: a reader must
  // leave a file it may refuse (a newer schema) exactly as it found it.
  if (options.create && journal != "wal") {
    // A new file gets 8 KiB pages (fewer B-tree levels and splits for rows
    // of ~250 bytes); the page size is fixed once the file is in WAL mode.
    S3M_ASSIGN_OR_RETURN(int64_t pages, db.QueryInt("PRAGMA page_count"));
    if (pages == 0) S3M_RETURN_IF_ERROR(db.Exec("PRAGMA page_size=8192"));
    // WAL lets `status` read while a writer commits, and makes commits cheap.
    S3M_RETURN_IF_ERROR(db.Exec("PRAGMA journal_mode=WAL"));
  }
  if (options.create) {
    // Checkpoint every ~32 MiB of WAL instead of 4 MiB: fewer copies of the
    // same hot pages into the database file during a scan.
    S3M_RETURN_IF_ERROR(db.Exec("PRAGMA wal_autocheckpoint=4096"));
  }
  S3M_RETURN_IF_ERROR(db.Exec(options.synchronous == Synchronous::kFull
                                  ? "PRAGMA synchronous=FULL"
                                  : "PRAGMA synchronous=NORMAL"));
  S3M_RETURN_IF_ERROR(db.Exec(fmt::format("PRAGMA cache_size=-{}", options.cache_kib)));
  S3M_RETURN_IF_ERROR(db.Exec("PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY"));
  return db;
}

Database::Database() = default;
Database::Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      pg_(std::move(other.pg_)),
      pg_changes_(other.pg_changes_),
      path_(std::move(other.path_)) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    Close().IgnoreError();
    db_ = std::exchange(other.db_, nullptr);
    pg_ = std::move(other.pg_);
    pg_changes_ = other.pg_changes_;
    path_ = std::move(other.path_);
  }
  return *this;
}

Database::~Database() {
  Status s = Close();
  if (!s.ok()) S3M_LOG_WARN("{}", s.ToString());
}

Status Database::Close() {
  pg_.reset();
  if (db_ == nullptr) return Status::Ok();
  // sqlite3_close_v2 defers the close until the last statement is finalized;
  // every Statement is RAII, so by now none should be left.
  const int rc = sqlite3_close_v2(std::exchange(db_, nullptr));
  if (rc != SQLITE_OK) {
    return Status::Error(ErrorKind::kFatal, sqlite3_errstr(rc), DbContext("close database", path_));
  }
  return Status::Ok();
}

Result<Statement> Database::Prepare(std::string_view sql) {
  if (pg_) {
    auto state = std::make_unique<PgStatementState>();
    state->sql = RewriteParametersForPostgres(sql);
    return Statement(this, std::move(state));
  }
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    if (stmt != nullptr) sqlite3_finalize(stmt);
    return ErrorFrom(rc, "prepare statement");
  }
  return Statement(this, stmt);
}

Status Database::Exec(std::string_view sql) {
  if (pg_) return pg_->Exec(sql);
  char* message = nullptr;
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (message != nullptr) sqlite3_free(message);
  if (rc != SQLITE_OK) return ErrorFrom(rc, "execute SQL");
  return Status::Ok();
}

Result<int64_t> Database::QueryInt(std::string_view sql) {
  S3M_ASSIGN_OR_RETURN(Statement stmt, Prepare(sql));
  S3M_ASSIGN_OR_RETURN(bool row, stmt.Step());
  const int64_t value = row ? stmt.ColumnInt(0) : 0;
  stmt.Reset();
  return value;
}

Result<std::vector<std::string>> Database::QueryStrings(std::string_view sql, int column) {
  S3M_ASSIGN_OR_RETURN(Statement stmt, Prepare(sql));
  std::vector<std::string> out;
  for (;;) {
    S3M_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    out.push_back(stmt.ColumnText(column));
  }
  return out;
}

int Database::Changes() const { return pg_ ? static_cast<int>(pg_changes_) : sqlite3_changes(db_); }

Status Database::ErrorFrom(int rc, std::string_view operation) const {
  ErrorContext ctx = DbContext(operation, path_);
  std::string detail = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Error(ErrorKind::kConflict,
                           fmt::format("the state database stayed locked by another process ({}); "
                                       "wait for it to finish, then run this again",
                                       detail),
                           ctx);
    case SQLITE_FULL:
      return Status::Error(ErrorKind::kFatal,
                           fmt::format("disk full while writing the state database ({}); free "
                                       "space, then run the command again (it resumes)",
                                       detail),
                           ctx);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::Error(ErrorKind::kFatal,
                           fmt::format("not a usable s3migrate state database ({}); check --db, "
                                       "or restore the file from a backup",
                                       detail),
                           ctx);
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
      return Status::Error(ErrorKind::kFatal,
                           fmt::format("{} (check the permissions and the disk holding the "
                                       "database)",
                                       detail),
                           ctx);
    case SQLITE_CONSTRAINT:
      return Status::Error(ErrorKind::kFatal, fmt::format("constraint failed: {}", detail), ctx);
    default:
      return Status::Error(ErrorKind::kFatal, detail, ctx);
  }
}

// ---------------------------------------------------------------------------
// Transaction

Result<Transaction> Transaction::Begin(Database& db) {
  // IMMEDIATE takes the write lock now, so a conflict shows at BEGIN (where
  // busy_timeout applies) rather than half-way through the batch.
  // (PostgreSQL takes row locks as rows are written: a plain BEGIN.)
  S3M_RETURN_IF_ERROR(db.Exec(db.postgres() ? "BEGIN" : "BEGIN IMMEDIATE"));
  return Transaction(&db);
}

Result<Transaction> Transaction::BeginRead(Database& db) {
  S3M_RETURN_IF_ERROR(db.Exec(db.postgres() ? "BEGIN ISOLATION LEVEL REPEATABLE READ" : "BEGIN DEFERRED"));
  return Transaction(&db);
}

Transaction::Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

Transaction::~Transaction() {
  if (db_ == nullptr) return;
  Status s = db_->Exec("ROLLBACK");
  if (!s.ok()) S3M_LOG_WARN("rollback failed: {}", s.ToString());
}

Status Transaction::Commit() {
  Database* db = std::exchange(db_, nullptr);
  if (db == nullptr) {
    return Status::Error(ErrorKind::kFatal, "internal error: commit of a finished transaction");
  }
  Status s = db->Exec("COMMIT");
  if (!s.ok()) {
    // A failed COMMIT leaves the transaction open; undo it so the connection
    // stays usable and nothing half-written is kept.
    db->Exec("ROLLBACK").IgnoreError();
  }
  return s;
}

}  // namespace s3m::store
