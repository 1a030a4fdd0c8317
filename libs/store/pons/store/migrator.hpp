#pragma once
// Applies numbered schema migrations under BEGIN IMMEDIATE, tracked by PRAGMA user_version.

#include <span>

#include "pons/store/error.hpp"
#include "pons/store/migrations.hpp"

namespace pons::store {

class database;

/// Brings the schema to the newest version in `all` and returns that version. Safe when several
/// processes open a fresh file at once: the version is re-read after the write lock is taken, so
/// each migration runs exactly once. Fails with schema_too_new when the file is newer than `all`.
result<int> apply_migrations(database& db, std::span<const migration> all);

}  // namespace pons::store
