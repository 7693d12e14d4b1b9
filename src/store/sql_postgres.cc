// The PostgreSQL engine of store::Database and store::Statement (sqlite.h).
#include <fmt/format.h>

#include "store/postgres.h"
#include "store/sql_postgres.h"
#include "store/sqlite.h"

namespace s3m::store {

std::string RewriteParametersForPostgres(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 8);
  int next = 1;
  for (size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (c == '\'' || c == '"') {  // a literal or a quoted identifier, copied whole
      const size_t end = sql.find(c, i + 1);
      const size_t stop = end == std::string_view::npos ? sql.size() : end + 1;
      out.append(sql.substr(i, stop - i));
      i = stop - 1;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {  // a comment, to the line's end
      const size_t end = sql.find('\n', i);
      const size_t stop = end == std::string_view::npos ? sql.size() : end;
      out.append(sql.substr(i, stop - i));
      i = stop - 1;
    } else if (c == '?') {
      size_t j = i + 1;
      while (j < sql.size() && sql[j] >= '0' && sql[j] <= '9') ++j;
      if (j > i + 1) {
        out += '$';
        out.append(sql.substr(i + 1, j - i - 1));
        next = std::max(next, std::stoi(std::string(sql.substr(i + 1, j - i - 1))) + 1);
      } else {
        out += fmt::format("${}", next++);
      }
      i = j - 1;
    } else {
      out += c;
    }
  }
  return out;
}

Statement::Statement(Database* db, std::unique_ptr<PgStatementState> pg) : db_(db), pg_(std::move(pg)) {}

void Statement::PgBind(int index, std::optional<std::string> value) {
  if (index < 1) return;
  if (pg_->params.size() < static_cast<size_t>(index)) pg_->params.resize(static_cast<size_t>(index));
  pg_->params[static_cast<size_t>(index - 1)] = std::move(value);
}

Result<bool> Statement::PgStep() {
  if (!pg_->result) {
    Result<PgResult> result = pg_->params.empty() ? db_->pg_->Query(pg_->sql, pg_->params)
                                                  : db_->pg_->QueryPrepared(pg_->sql, pg_->params);
    if (!result.ok()) {
      Reset();
      return result.status();
    }
    db_->pg_changes_ = result->Affected();
    pg_->result = std::move(*result);
    pg_->row = -1;
  }
  ++pg_->row;
  return pg_->row < pg_->result->rows();
}

Result<Database> Database::OpenPostgres(const std::string& uri) {
  S3M_ASSIGN_OR_RETURN(PgConnection connection, PgConnection::Connect(uri));
  Database db(nullptr, connection.where());
  db.pg_ = std::make_unique<PgConnection>(std::move(connection));
  return db;
}

}  // namespace s3m::store
