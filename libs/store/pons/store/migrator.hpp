#pragma once
// Applies numbered schema migrations in one transaction that excludes other migrators (SQLite's
// BEGIN IMMEDIATE, PostgreSQL's advisory lock), tracked by the database's schema version.

#include <span>

#include "pons/store/error.hpp"
#include "pons/store/migrations.hpp"

namespace pons::store {

class database;

/// Brings the schema to the newest version in `all` and returns that version. Safe when several
/// processes open a fresh database at once: the version is re-read after the lock is taken, so
/// each migration runs exactly once. Fails with schema_too_new when the file is newer than `all`.
result<int> apply_migrations(database& db, std::span<const migration> all);

}  // namespace pons::store
