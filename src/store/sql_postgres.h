// The PostgreSQL engine's state behind store::Statement (sqlite.h): what
// a prepared statement is when the Database is a PostgreSQL connection.
// Internal to the store; sqlite.cc and sql_postgres.cc share it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/postgres.h"

namespace s3m::store {

struct PgStatementState {
  std::string sql;  // with $N parameters
  std::vector<std::optional<std::string>> params;
  std::optional<PgResult> result;  // set once executed, until Reset
  int row = -1;                    // the current row of `result`

  const PgResult& current() const { return *result; }
};

}  // namespace s3m::store
