#include <gtest/gtest.h>

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
