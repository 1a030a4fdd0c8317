#pragma once
// A query's row limit written into its text, for statements that are prepared once and run many
// times.

#include <fmt/format.h>

#include <cstdint>
#include <string>

namespace pons::store {

/// "LIMIT n" with the number in the statement's text instead of a bound parameter. PostgreSQL
/// plans a bound LIMIT as if a tenth of the table were wanted, so a prepared statement's generic
/// plan loses to a fresh plan for every run, and planning a read of a few rows can cost more than
/// reading them. With the number in the text the plan is made once per statement and connection.
/// Each distinct n is its own cached statement: callers pass counts their own schema bounds.
inline std::string limit_clause(std::int64_t n) {
  return fmt::format("LIMIT {}", n);
}

}  // namespace pons::store
