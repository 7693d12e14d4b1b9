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

}  // namespace
}  // namespace s3m::store

namespace s3m::store {
namespace {

TEST(RedactPostgresUriTest, PasswordsNeverShow) {
  EXPECT_EQ(RedactPostgresUri("postgresql://u:secret@db:5432/m"), "postgresql://u@db:5432/m");
  EXPECT_EQ(RedactPostgresUri("postgresql://u@db/m"), "postgresql://u@db/m");
  EXPECT_EQ(RedactPostgresUri("postgres://db/m?password=secret"), "postgres://db/m");
  EXPECT_EQ(RedactPostgresUri("postgresql://db/m?sslmode=require&password=secret&application_name=x"),
            "postgresql://db/m?sslmode=require&application_name=x");
  EXPECT_EQ(RedactPostgresUri("postgresql://db:5432/m"), "postgresql://db:5432/m");
  EXPECT_EQ(RedactPostgresUri("/var/lib/s3m/state.db"), "/var/lib/s3m/state.db");
}

}  // namespace
}  // namespace s3m::store
