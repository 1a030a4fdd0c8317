#pragma once
// Schema migrations embedded from schema/NNNN_name.sql (SQLite) and
// schema/postgresql/NNNN_name.sql at build time.

#include <span>
#include <string_view>

namespace pons::store {

/// One numbered schema migration; `version` is the file's four-digit prefix.
struct migration {
  int version;
  std::string_view file_name;
  std::string_view sql;
};

/// Every migration in schema/, ordered by version (generated source).
std::span<const migration> embedded_migrations();

/// Every PostgreSQL migration in schema/postgresql/, ordered by version (generated source).
std::span<const migration> embedded_pg_migrations();

}  // namespace pons::store
