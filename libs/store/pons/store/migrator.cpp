#include "pons/store/migrator.hpp"

#include "pons/store/database.hpp"

namespace pons::store {

result<int> apply_migrations(database& db, std::span<const migration> all) {
  const int latest = all.empty() ? 0 : all.back().version;

  // Cheap check without a lock: the common case is an up-to-date file.
  auto before = db.schema_version();
  if (!before) return before.error();
  if (*before == latest) return latest;
  if (*before > latest) return store_errc::schema_too_new;

  auto tx = transaction::begin(db, transaction_mode::immediate);
  if (!tx) return tx.error();
  if (auto locked = db.lock_for_migration(); !locked) return locked.error();

  // Another process may have migrated while we waited for the lock: look again.
  auto current = db.schema_version();
  if (!current) return current.error();
  if (*current > latest) return store_errc::schema_too_new;

  for (const auto& m : all) {
    if (m.version <= *current) continue;
    if (auto r = db.exec(m.sql); !r) return store_errc::migration_failed;
    if (auto r = db.set_schema_version(m.version); !r) return store_errc::migration_failed;
  }
  if (auto r = tx->commit(); !r) return r.error();
  return latest;
}

}  // namespace pons::store
