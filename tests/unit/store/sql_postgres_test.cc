#include <gtest/gtest.h>

#include "store/postgres.h"
#include "store/sqlite.h"

namespace s3m::store {
namespace {

TEST(RewriteParametersTest, NumberedAndBareParametersOutsideQuotesAndComments) {
  EXPECT_EQ(RewriteParametersForPostgres("SELECT a FROM t WHERE b = ?1 AND c = ?12"),
            "SELECT a FROM t WHERE b = $1 AND c = $12");
  EXPECT_EQ(RewriteParametersForPostgres("VALUES (?, ?, ?)"), "VALUES ($1, $2, $3)");
  EXPECT_EQ(RewriteParametersForPostgres("WHERE k = '?1' AND \"odd?\" = ?2 -- is ?3 here?\nAND x = ?3"),
            "WHERE k = '?1' AND \"odd?\" = $2 -- is ?3 here?\nAND x = $3");
  EXPECT_EQ(RewriteParametersForPostgres("SET s = 'it''s ?' WHERE id = ?1"), "SET s = 'it''s ?' WHERE id = $1");
}

TEST(RedactPostgresUriTest, PasswordsNeverShow) {
  EXPECT_EQ(RedactPostgresUri("postgresql://u:secret@db:5432/m"), "postgresql://u@db:5432/m");
  EXPECT_EQ(RedactPostgresUri("postgresql://u@db/m"), "postgresql://u@db/m");
  EXPECT_EQ(RedactPostgresUri("postgres://db/m?password=secret"), "postgres://db/m");
  EXPECT_EQ(RedactPostgresUri("postgresql://db/m?sslmode=require&password=secret&application_name=x"),
            "postgresql://db/m?sslmode=require&application_name=x");
  EXPECT_EQ(RedactPostgresUri("postgresql://db:5432/m"), "postgresql://db:5432/m");
  EXPECT_EQ(RedactPostgresUri("/var/lib/s3m/state.db"), "/var/lib/s3m/state.db");
}

TEST(PgMessageOneLineTest, LibpqLinesJoinedAndSpacesCollapsed) {
  EXPECT_EQ(PgMessageOneLine("FATAL:  terminating connection due to administrator command\n"
                             "server closed the connection unexpectedly\n"
                             "\tThis probably means the server terminated abnormally\n"
                             "\tbefore or while processing the request.\n"),
            "FATAL: terminating connection due to administrator command; server closed the connection "
            "unexpectedly; This probably means the server terminated abnormally; before or while processing "
            "the request.");
  EXPECT_EQ(PgMessageOneLine("no connection to the server\n"), "no connection to the server");
  EXPECT_EQ(PgMessageOneLine("  a \t b  \n\n c\r\n"), "a b; c");
  EXPECT_EQ(PgMessageOneLine(""), "");
}

// Which failures a new session can get past (a worker rejoins after them)
// and which must stop the command.
TEST(PgErrorKindTest, ALostSessionOrAFailedTransactionIsStateLost) {
  struct Case {
    bool connection_lost;
    const char* sqlstate;
    ErrorKind kind;
  };
  const Case cases[] = {
      {true, "", ErrorKind::kStateLost},         // the server closed the connection
      {false, "08006", ErrorKind::kStateLost},   // connection failure
      {false, "08P01", ErrorKind::kStateLost},   // protocol violation (a proxy cut the stream)
      {false, "57P01", ErrorKind::kStateLost},   // admin_shutdown: pg_terminate_backend, a restart
      {false, "57P02", ErrorKind::kStateLost},   // crash_shutdown
      {false, "57P03", ErrorKind::kStateLost},   // cannot_connect_now: starting up
      {false, "40001", ErrorKind::kStateLost},   // serialization_failure
      {false, "40P01", ErrorKind::kStateLost},   // deadlock_detected
      {false, "", ErrorKind::kFatal},            // no SQLSTATE, connection fine
      {false, "23505", ErrorKind::kFatal},       // unique_violation: a defect, not luck
      {false, "42P01", ErrorKind::kFatal},       // undefined_table
      {false, "53100", ErrorKind::kFatal},       // disk_full on the server
      {false, "57014", ErrorKind::kFatal},       // query_canceled
      {false, "40002", ErrorKind::kFatal},       // integrity constraint violation at commit
  };
  for (const Case& c : cases) {
    EXPECT_EQ(PgErrorKind(c.connection_lost, c.sqlstate), c.kind) << c.sqlstate << " lost=" << c.connection_lost;
  }
}

// A lost database must be noticed in seconds, not after the kernel's two
// hours; a user's PGCONNECT_TIMEOUT is theirs.
TEST(PgSessionDefaultsTest, KeepalivesAndTimeoutsUnlessTheEnvironmentSetsThem) {
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  auto as_strings = [](const std::vector<std::pair<const char*, const char*>>& v) {
    Pairs out;
    for (const auto& [k, val] : v) out.emplace_back(k, val);
    return out;
  };
  const Pairs keepalives = {{"keepalives", "1"},      {"keepalives_idle", "10"},      {"keepalives_interval", "5"},
                            {"keepalives_count", "4"}, {"tcp_user_timeout", "30000"}};
  Pairs with_connect = {{"connect_timeout", "10"}};
  with_connect.insert(with_connect.end(), keepalives.begin(), keepalives.end());
  EXPECT_EQ(as_strings(PgSessionDefaults(nullptr)), with_connect);
  EXPECT_EQ(as_strings(PgSessionDefaults("")), with_connect);
  EXPECT_EQ(as_strings(PgSessionDefaults("3")), keepalives);
}

}  // namespace
}  // namespace s3m::store
