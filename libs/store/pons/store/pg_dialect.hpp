#pragma once
// What differs between the SQL Pons writes for SQLite and what PostgreSQL takes, as pure
// functions: parameter placeholders, SQLSTATE codes as store errors, and which --db values name
// a PostgreSQL server.

#include <string>
#include <string_view>

#include "pons/store/error.hpp"

namespace pons::store {

/// The SQL with SQLite's numbered parameters (?1, ?2...) written as PostgreSQL's ($1, $2...).
/// Quoted text ('...', "...") and comments are left as they are.
std::string to_pg_placeholders(std::string_view sql);

/// The store error for a PostgreSQL SQLSTATE: connection failures (class 08) are `unavailable`,
/// integrity violations (23) `constraint`, serialization failures and lock timeouts `busy`
/// (retry), disk full `full`, anything else `server_error`.
store_errc store_errc_for_sqlstate(std::string_view sqlstate);

/// True when `db` names a PostgreSQL database (a postgresql:// or postgres:// URI) rather than
/// a SQLite file.
bool is_postgresql_url(std::string_view db);

}  // namespace pons::store
