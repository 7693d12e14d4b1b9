#include "s3emu/sqlite.h"

#include <fmt/format.h>

namespace s3emu {

using s3m::ErrorKind;
using s3m::Status;

Stmt::~Stmt() {
  if (stmt_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

Stmt& Stmt::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Stmt& Stmt::Bind(int index, std::string_view text) {
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}

Stmt& Stmt::BindBlob(int index, std::string_view bytes) {
  // A zero-length blob must not be NULL: bind from a valid pointer.
  static const char kEmpty = 0;
  sqlite3_bind_blob(stmt_, index, bytes.empty() ? &kEmpty : bytes.data(),
                    static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  return *this;
}

Stmt& Stmt::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

bool Stmt::Step() {
  if (stmt_ == nullptr) return false;
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc != SQLITE_DONE && status_.ok()) {
    status_ = Status::Error(ErrorKind::kFatal,
                            fmt::format("sqlite: {} in \"{}\"", db_->LastError(), sqlite3_sql(stmt_)));
  }
  return false;
}

Status Stmt::Run() {
  while (Step()) {
  }
  return status_;
}

std::string Stmt::Text(int column) const {
  const void* data = sqlite3_column_blob(stmt_, column);
  const int size = sqlite3_column_bytes(stmt_, column);
  if (data == nullptr || size <= 0) return {};
  return std::string(static_cast<const char*>(data), static_cast<size_t>(size));
}

s3m::Result<std::unique_ptr<Db>> Db::Open(const std::string& path) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 nullptr);
  std::unique_ptr<Db> db(new Db(raw));
  if (rc != SQLITE_OK) {
    return Status::Error(ErrorKind::kFatal,
                         fmt::format("cannot open metadata database {}: {}", path,
                                     raw ? sqlite3_errmsg(raw) : "out of memory"));
  }
  // Another connection may hold the write lock for a moment: wait, not fail.
  sqlite3_busy_timeout(raw, 10000);
  // WAL: readers never block the writer. synchronous=NORMAL survives a crash
  // of the emulator (the WAL is on disk) though not a power cut, which is
  // what a test server needs.
  S3M_RETURN_IF_ERROR(db->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"));
  return db;
}

Db::~Db() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Status Db::Exec(std::string_view sql) {
  char* error = nullptr;
  const std::string text(sql);
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    Status s = Status::Error(ErrorKind::kFatal,
                             fmt::format("sqlite: {} in \"{}\"", error ? error : "?", text));
    sqlite3_free(error);
    return s;
  }
  return Status::Ok();
}

Stmt Db::Prepare(const char* sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) {
      // A bad statement is a programming error; Step() and Run() report it.
      return Stmt(nullptr, this,
                  Status::Error(ErrorKind::kFatal, fmt::format("sqlite: {} in \"{}\"", LastError(), sql)));
    }
    it = cache_.emplace(sql, stmt).first;
  }
  return Stmt(it->second, this);
}

Transaction::Transaction(Db& db) : db_(db) { begin_ = db_.Exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  if (!done_ && begin_.ok()) db_.Exec("ROLLBACK").IgnoreError();
}

Status Transaction::Commit() {
  S3M_RETURN_IF_ERROR(begin_);
  done_ = true;
  Status s = db_.Exec("COMMIT");
  if (!s.ok()) db_.Exec("ROLLBACK").IgnoreError();
  return s;
}

}  // namespace s3emu
