// Thin RAII layer over libpq (PostgreSQL's C client): a connection and a
// result. Every failure becomes a Status naming the server (never the
// password: libpq reads it from the URI, PGPASSWORD or ~/.pgpass, and the URI
// shown in messages has it cut out) and the operation.
//
// Parameters travel as text ($1, $2, ...; nullopt is NULL) and results are
// read as text: the server converts to and from the column types.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/status.h"

struct pg_conn;
struct pg_result;

namespace s3m::store {

// True for the --db values that name a PostgreSQL database
// ("postgresql://..." or "postgres://...").
bool IsPostgresUri(std::string_view db);

// The URI with any password removed, for messages:
// postgresql://user:secret@host/db -> postgresql://user@host/db
std::string RedactPostgresUri(std::string_view uri);

// The kind of a failed statement: kStateLost when the session is gone (the
// server restarted, failed over or ended it: `connection_lost`, SQLSTATE
// class 08, 57P01..57P03) or the server failed the transaction for another's
// sake (40001 serialization failure, 40P01 deadlock): the same work can
// succeed in a new session. kFatal otherwise. Nothing retries a statement on
// its own: a migrate worker ends its run and rejoins (cli/migrate_command.cc).
ErrorKind PgErrorKind(bool connection_lost, std::string_view sqlstate);

// libpq's message on one line, for logs and the state: its lines trimmed
// and joined with "; ", runs of spaces made one.
//   "FATAL:  terminating connection due to administrator command\nserver closed
//    the connection unexpectedly\n\tThis probably means ...\n"
//   -> "FATAL: terminating connection due to administrator command; server closed ..."
std::string PgMessageOneLine(std::string_view message);

using PgParams = std::vector<std::optional<std::string>>;

class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(pg_result* result);
  int rows() const;
  int columns() const;
  bool IsNull(int row, int column) const;
  std::string Text(int row, int column) const;  // "" for NULL
  std::optional<std::string> OptionalText(int row, int column) const;
  // 0 for NULL or not a number; a boolean is 1 (t) or 0 (f), as in SQLite.
  int64_t Int(int row, int column) const;
  // The number of rows an INSERT/UPDATE/DELETE touched.
  int64_t Affected() const;
  pg_result* raw() const { return result_.get(); }

 private:
  struct Free {
    void operator()(pg_result* r) const;
  };
  std::unique_ptr<pg_result, Free> result_;
};

// How long a session may go unanswered before libpq calls it lost (a
// database host powered off or cut off by the network sends no reset: without
// these a worker waits on its socket for hours, or forever when idle):
// connecting gives up after 10 s; an idle session is probed after 10 s of
// silence, every 5 s, and lost after 4 unanswered probes; data sent and not
// acknowledged for 30 s loses it too. The losing command then rejoins
// (state_reconnect_timeout). Parameters in the URI win over these, and
// PGCONNECT_TIMEOUT over connect_timeout: `connect_env` is its value or null.
// Pure, so that the table is tested without a server.
std::vector<std::pair<const char*, const char*>> PgSessionDefaults(const char* connect_env);

class PgConnection {
 public:
  // Connects (libpq's URI, PG* environment variables and ~/.pgpass apply,
  // over PgSessionDefaults). kAuth when the server refuses the credentials,
  // kFatal otherwise.
  static Result<PgConnection> Connect(const std::string& uri);
  // The value libpq uses for a connection parameter ("" if none): what the
  // tests check the defaults against.
  std::string Option(std::string_view keyword) const;

  PgConnection(PgConnection&&) noexcept;
  PgConnection& operator=(PgConnection&&) noexcept;
  ~PgConnection();

  // Runs one statement (no parameters: may hold several statements).
  Status Exec(std::string_view sql);
  // Runs one statement with text parameters.
  Result<PgResult> Query(std::string_view sql, const PgParams& params = {});
  // The same, as a statement the server parsed and planned once for this
  // connection (PQprepare on first use; the first kMaxPrepared texts, the
  // rest as Query): a worker repeats a few statement texts for every object.
  Result<PgResult> QueryPrepared(const std::string& sql, const PgParams& params);
  static constexpr size_t kMaxPrepared = 512;
  // COPY ... FROM STDIN in text format: `rows` already encoded (CopyField).
  Status CopyIn(std::string_view copy_sql, std::string_view rows);
  // A value in COPY's text format: \N for NULL; backslash, tab, newline and
  // carriage return escaped.
  static std::string CopyField(const std::optional<std::string>& value);

  const std::string& where() const { return where_; }  // the redacted URI

 private:
  PgConnection(pg_conn* conn, std::string where);
  // The connection's last error; `failed` (when there is one) tells its SQLSTATE.
  Status Error(std::string_view operation, const PgResult* failed = nullptr) const;

  struct Finish {
    void operator()(pg_conn* c) const;
  };
  std::unique_ptr<pg_conn, Finish> conn_;
  std::string where_;
  std::unordered_map<std::string, std::string> prepared_;  // SQL text -> statement name
};

}  // namespace s3m::store
