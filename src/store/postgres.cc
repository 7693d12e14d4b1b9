#include "store/postgres.h"

#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <memory>

#include <fmt/format.h>

namespace s3m::store {

bool IsPostgresUri(std::string_view db) {
  return db.starts_with("postgresql://") || db.starts_with("postgres://");
}

std::string RedactPostgresUri(std::string_view uri) {
  std::string out(uri);
  // user:password@ -> user@
  const size_t scheme = out.find("://");
  if (scheme != std::string::npos) {
    const size_t start = scheme + 3;
    const size_t at = out.find('@', start);
    const size_t slash = out.find('/', start);
    const size_t colon = out.find(':', start);
    if (at != std::string::npos && (slash == std::string::npos || at < slash) && colon < at) {
      out.erase(colon, at - colon);
    }
  }
  // ?password=...&... -> ?...
  for (size_t at; (at = out.find("password=")) != std::string::npos;) {
    if (at == 0 || (out[at - 1] != '?' && out[at - 1] != '&')) break;
    const size_t end = out.find('&', at);
    out.erase(at, end == std::string::npos ? std::string::npos : end + 1 - at);
  }
  while (!out.empty() && (out.back() == '&' || out.back() == '?')) out.pop_back();
  return out;
}

ErrorKind PgErrorKind(bool connection_lost, std::string_view sqlstate) {
  if (connection_lost || sqlstate.starts_with("08")) return ErrorKind::kStateLost;
  for (std::string_view retry : {"57P01", "57P02", "57P03", "40001", "40P01"}) {
    if (sqlstate == retry) return ErrorKind::kStateLost;
  }
  return ErrorKind::kFatal;
}

std::string PgMessageOneLine(std::string_view message) {
  std::string out;
  bool space = false;
  bool line_started = false;
  for (char c : message) {
    if (c == '\n') {
      line_started = false;
      space = false;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r') {
      space = line_started;
      continue;
    }
    if (!line_started && !out.empty()) out += "; ";
    if (space) out += ' ';
    out += c;
    line_started = true;
    space = false;
  }
  return out;
}

void PgResult::Free::operator()(pg_result* r) const { PQclear(r); }
PgResult::PgResult(pg_result* result) : result_(result) {}
int PgResult::rows() const { return result_ ? PQntuples(result_.get()) : 0; }
int PgResult::columns() const { return result_ ? PQnfields(result_.get()) : 0; }
bool PgResult::IsNull(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }
std::string PgResult::Text(int row, int column) const {
  if (IsNull(row, column)) return {};
  return std::string(PQgetvalue(result_.get(), row, column),
                     static_cast<size_t>(PQgetlength(result_.get(), row, column)));
}
std::optional<std::string> PgResult::OptionalText(int row, int column) const {
  if (IsNull(row, column)) return std::nullopt;
  return Text(row, column);
}
int64_t PgResult::Int(int row, int column) const {
  const std::string text = Text(row, column);
  // A boolean result (EXISTS, a comparison) is 't' or 'f' in text: read it
  // as SQLite gives it, 1 or 0.
  if (text == "t") return 1;
  int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}
int64_t PgResult::Affected() const {
  const char* n = result_ ? PQcmdTuples(result_.get()) : "";
  int64_t value = 0;
  std::from_chars(n, n + std::char_traits<char>::length(n), value);
  return value;
}

void PgConnection::Finish::operator()(pg_conn* c) const { PQfinish(c); }
PgConnection::PgConnection(pg_conn* conn, std::string where) : conn_(conn), where_(std::move(where)) {}
PgConnection::PgConnection(PgConnection&&) noexcept = default;
PgConnection& PgConnection::operator=(PgConnection&&) noexcept = default;
PgConnection::~PgConnection() = default;

std::vector<std::pair<const char*, const char*>> PgSessionDefaults(const char* connect_env) {
  std::vector<std::pair<const char*, const char*>> out;
  if (connect_env == nullptr || *connect_env == '\0') out.emplace_back("connect_timeout", "10");
  out.insert(out.end(), {{"keepalives", "1"},
                         {"keepalives_idle", "10"},
                         {"keepalives_interval", "5"},
                         {"keepalives_count", "4"},
                         {"tcp_user_timeout", "30000"}});
  return out;
}

Result<PgConnection> PgConnection::Connect(const std::string& uri) {
  // The defaults first, the URI last as an expanded dbname: libpq lets a
  // later parameter override an earlier one, so the URI's own win.
  std::vector<const char*> keywords, values;
  for (const auto& [keyword, value] : PgSessionDefaults(std::getenv("PGCONNECT_TIMEOUT"))) {
    keywords.push_back(keyword);
    values.push_back(value);
  }
  keywords.insert(keywords.end(), {"dbname", nullptr});
  values.insert(values.end(), {uri.c_str(), nullptr});
  PgConnection c(PQconnectdbParams(keywords.data(), values.data(), /*expand_dbname=*/1), RedactPostgresUri(uri));
  if (!c.conn_) return Status::Error(ErrorKind::kFatal, "out of memory connecting to PostgreSQL");
  if (PQstatus(c.conn_.get()) != CONNECTION_OK) {
    const std::string message = PgMessageOneLine(PQerrorMessage(c.conn_.get()));
    // libpq says whether the server wanted a password (none given) or was
    // given one (and the connection still failed): the credentials' fault.
    const bool refused_credentials =
        PQconnectionNeedsPassword(c.conn_.get()) != 0 || PQconnectionUsedPassword(c.conn_.get()) != 0;
    ErrorContext ctx;
    ctx.operation = "connect to PostgreSQL";
    ctx.path = c.where_;
    return Status::Error(refused_credentials ? ErrorKind::kAuth : ErrorKind::kFatal,
                         message, ctx);
  }
  // Messages in English whatever the server's locale; times in UTC.
  S3M_RETURN_IF_ERROR(c.Exec("SET lc_messages TO 'C'; SET TIME ZONE 'UTC'"));
  return c;
}

std::string PgConnection::Option(std::string_view keyword) const {
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(PQconninfo(conn_.get()), &PQconninfoFree);
  for (const PQconninfoOption* o = options.get(); o != nullptr && o->keyword != nullptr; ++o) {
    if (keyword == o->keyword) return o->val != nullptr ? o->val : "";
  }
  return "";
}

Status PgConnection::Error(std::string_view operation, const PgResult* failed) const {
  const std::string message = PgMessageOneLine(PQerrorMessage(conn_.get()));
  ErrorContext ctx;
  ctx.operation = std::string(operation);
  ctx.path = where_;
  const char* sqlstate = failed && failed->raw() ? PQresultErrorField(failed->raw(), PG_DIAG_SQLSTATE) : nullptr;
  return Status::Error(PgErrorKind(PQstatus(conn_.get()) == CONNECTION_BAD, sqlstate ? sqlstate : ""), message,
                       ctx);
}

Status PgConnection::Exec(std::string_view sql) { return Query(sql).status(); }

Result<PgResult> PgConnection::Query(std::string_view sql, const PgParams& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  const std::string text(sql);
  pg_result* raw = params.empty()
                       ? PQexec(conn_.get(), text.c_str())
                       : PQexecParams(conn_.get(), text.c_str(), static_cast<int>(values.size()), nullptr,
                                      values.data(), nullptr, nullptr, 0);
  PgResult result(raw);
  const ExecStatusType status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return Error(fmt::format("SQL: {}", text.substr(0, 80)), &result);
  }
  return result;
}

Result<PgResult> PgConnection::QueryPrepared(const std::string& sql, const PgParams& params) {
  auto found = prepared_.find(sql);
  if (found == prepared_.end()) {
    if (prepared_.size() >= kMaxPrepared) return Query(sql, params);
    const std::string name = fmt::format("s3m_{}", prepared_.size() + 1);
    PgResult made(PQprepare(conn_.get(), name.c_str(), sql.c_str(), 0, nullptr));
    if (PQresultStatus(made.raw()) != PGRES_COMMAND_OK) {
      return Error(fmt::format("SQL: {}", std::string_view(sql).substr(0, 80)), &made);
    }
    found = prepared_.emplace(sql, name).first;
  }
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  pg_result* raw = PQexecPrepared(conn_.get(), found->second.c_str(), static_cast<int>(values.size()),
                                  values.data(), nullptr, nullptr, 0);
  PgResult result(raw);
  const ExecStatusType status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return Error(fmt::format("SQL: {}", std::string_view(sql).substr(0, 80)), &result);
  }
  return result;
}

Status PgConnection::CopyIn(std::string_view copy_sql, std::string_view rows) {
  PgResult start(PQexec(conn_.get(), std::string(copy_sql).c_str()));
  if (PQresultStatus(start.raw()) != PGRES_COPY_IN) return Error("COPY", &start);
  constexpr size_t kChunk = 1 << 20;
  for (size_t at = 0; at < rows.size(); at += kChunk) {
    const size_t n = std::min(kChunk, rows.size() - at);
    if (PQputCopyData(conn_.get(), rows.data() + at, static_cast<int>(n)) != 1) return Error("COPY data");
  }
  if (PQputCopyEnd(conn_.get(), nullptr) != 1) return Error("COPY end");
  Status outcome;
  // Every result of the COPY, until libpq has none left.
  while (pg_result* raw = PQgetResult(conn_.get())) {
    PgResult r(raw);
    if (PQresultStatus(raw) != PGRES_COMMAND_OK && outcome.ok()) outcome = Error("COPY", &r);
  }
  return outcome;
}

std::string PgConnection::CopyField(const std::optional<std::string>& value) {
  if (!value) return "\\N";
  std::string out;
  out.reserve(value->size());
  for (char c : *value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace s3m::store
