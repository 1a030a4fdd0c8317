#include "pons/store/migrations.hpp"

#include <catch2/catch.hpp>

TEST_CASE("embedded migrations are numbered from 1 without gaps", "[store]") {
  auto all = pons::store::embedded_migrations();
  REQUIRE_FALSE(all.empty());
  for (std::size_t i = 0; i < all.size(); ++i) {
    CHECK(all[i].version == static_cast<int>(i + 1));
    CHECK_FALSE(all[i].sql.empty());
  }
}

#include <string>
#include <vector>

#include "pons/store/database.hpp"
#include "pons/store/migrator.hpp"
#include "unit/store_test_util.hpp"

namespace {

using pons::store::database;

std::string schema_sql(database& db, const std::string& table) {
  auto st = db.prepare("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?1").value();
  st.bind(1, std::string_view(table));
  REQUIRE(st.step().value());
  return st.column_text(0);
}

// True when the statement's program builds a temporary b-tree (OP_OpenEphemeral).
bool uses_ephemeral_table(database& db, const std::string& sql) {
  auto st = db.prepare("EXPLAIN " + sql).value();
  while (st.step().value())
    if (st.column_text(1) == "OpenEphemeral") return true;
  return false;
}

const std::vector<std::string> hot_writes = {
    "INSERT INTO webhook_log(received_at, signature) VALUES ('t', 'valid')",
    "UPDATE conversations SET last_direction = 'inbound' WHERE id = 1",
    "INSERT INTO media(message_id, media_id, next_attempt_at, created_at, updated_at) "
    "VALUES (NULL, 'm', 't', 't', 't')",
    "UPDATE webhook_deliveries SET state = 'succeeded' WHERE id = 1",
};

}  // namespace

TEST_CASE("store: CHECK lists on hot tables are compared directly, not through a temp b-tree",
          "[store]") {
  pons::store::test::temp_dir dir;
  auto db = database::open(dir.file("pons.db")).value();
  for (const auto& sql : hot_writes) {
    INFO(sql);
    CHECK_FALSE(uses_ephemeral_table(db, sql));
  }
  // The same values are allowed and everything else is still refused.
  for (const char* s : {"", "valid", "invalid", "missing"}) {
    auto st =
        db.prepare("INSERT INTO webhook_log(received_at, signature) VALUES ('t', ?1)").value();
    st.bind(1, std::string_view(s));
    CHECK(st.run().has_value());
  }
  auto bad =
      db.prepare("INSERT INTO webhook_log(received_at, signature) VALUES ('t', 'forged')").value();
  CHECK(bad.run().error() == pons::store::store_errc::constraint);
  auto bad_state = db.prepare(
                         "INSERT INTO media(media_id, state, next_attempt_at, created_at, "
                         "updated_at) VALUES ('m2', 'lost', 't', 't', 't')")
                       .value();
  CHECK(bad_state.run().error() == pons::store::store_errc::constraint);
}

TEST_CASE("store: upgrading a database rewrites its CHECK lists in place and keeps its rows",
          "[store]") {
  pons::store::test::temp_dir dir;
  const auto path = dir.file("pons.db");
  auto all = pons::store::embedded_migrations();
  {
    pons::store::open_options oo;
    oo.migrate = false;
    auto old = database::open(path, oo).value();
    REQUIRE(pons::store::apply_migrations(old, all.first(5)).value() == 5);
    REQUIRE(old.exec("INSERT INTO webhook_log(received_at, signature, body) VALUES "
                     "('2026-11-01T00:00:00.000Z', 'invalid', 'kept')")
                .has_value());
    CHECK(schema_sql(old, "webhook_log").find("'valid', 'invalid'") != std::string::npos);
  }
  // A second connection opened before the upgrade sees the new definitions afterwards too.
  pons::store::open_options no_migrate;
  no_migrate.migrate = false;
  auto other = database::open(path, no_migrate).value();
  REQUIRE(other.query_int64("SELECT count(*) FROM webhook_log").value() == 1);

  auto db = database::open(path).value();
  CHECK(db.schema_version().value() == static_cast<int>(all.size()));
  for (const auto& table : {"conversations", "webhook_log", "media", "webhook_deliveries"}) {
    INFO(table);
    const auto sql = schema_sql(db, table);
    CHECK(sql.find(" OR ") != std::string::npos);
  }
  // The other connection notices the schema change at its next transaction (the migration
  // bumped the schema cookie) and compiles against the new definitions from then on.
  REQUIRE(other.query_int64("SELECT count(*) FROM webhook_log").value() == 1);
  for (const auto& sql : hot_writes) {
    INFO(sql);
    CHECK_FALSE(uses_ephemeral_table(db, sql));
    CHECK_FALSE(uses_ephemeral_table(other, sql));
  }
  CHECK(db.query_int64("SELECT count(*) FROM webhook_log WHERE body = 'kept'").value() == 1);
  auto check = db.prepare("PRAGMA integrity_check").value();
  REQUIRE(check.step().value());
  CHECK(check.column_text(0) == "ok");
}
