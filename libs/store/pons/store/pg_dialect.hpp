#pragma once
// What differs between the SQL Pons writes for SQLite and what PostgreSQL takes, as pure
// functions: parameter placeholders, SQLSTATE codes as store errors, and which --db values name
// a PostgreSQL server.

#include <string>
#include <string_view>
#include <vector>

#include "pons/store/error.hpp"

namespace pons::store {

/// SQL rewritten for PostgreSQL, and where each of SQLite's parameters went.
struct pg_sql {
  std::string text;
  /// position[n - 1]: the $k that ?n became (1-based), 0 when the SQL never uses ?n.
  std::vector<int> position;
  /// How many $k parameters the text takes.
  int parameters = 0;
};

/// The SQL with SQLite's numbered parameters (?1, ?2...) written as PostgreSQL's, numbered
/// densely in order of first use ($1, $2...): PostgreSQL must infer a type for every $k up to
/// the highest, and the store's SQL leaves numbers out when a filter is off. Quoted text
/// ('...', "...") and comments are left as they are; a bare '?' is the next parameter, as in
/// SQLite (one past the highest number before it).
pg_sql to_pg_sql(std::string_view sql);

/// to_pg_sql(sql).text.
std::string to_pg_placeholders(std::string_view sql);

/// The store error for a PostgreSQL SQLSTATE: connection failures (class 08) are `unavailable`,
/// integrity violations (23) `constraint`, serialization failures and lock timeouts `busy`
/// (retry), disk full `full`, anything else `server_error`.
store_errc store_errc_for_sqlstate(std::string_view sqlstate);

/// True when `sql` may change a table: any statement other than a query (SELECT, SHOW) or a
/// session or transaction command (SET, BEGIN, COMMIT, SAVEPOINT, LISTEN...). Each of several
/// statements separated by ';' counts; when in doubt, the answer is true, since a change that
/// goes unannounced leaves other connections with stale data, and one announced too many only
/// wakes them for nothing.
bool pg_may_write(std::string_view sql);

/// True when `db` names a PostgreSQL database (a postgresql:// or postgres:// URI, the scheme in
/// any case) rather than a SQLite file.
bool is_postgresql_url(std::string_view db);

}  // namespace pons::store
