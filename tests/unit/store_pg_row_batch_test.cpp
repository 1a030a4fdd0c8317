// Rows of single-row INSERTs queued under a write_deferral travel as multi-row INSERTs on
// PostgreSQL (pg_row_batch). The pure parts here; what the rows become, on both engines
// ([backends]), below.
#include <catch2/catch.hpp>
#include <string>

#include "pons/store/contact_repository.hpp"
#include "pons/store/conversation_repository.hpp"
#include "pons/store/database.hpp"
#include "pons/store/event_log_repository.hpp"
#include "pons/store/pg_row_batch.hpp"
#include "unit/store_test_util.hpp"

using namespace pons::store;
using pons::store::test::database_fixture;
namespace domain = pons::domain;

TEST_CASE("store: a plain single-row INSERT has a multi-row form", "[store][pg]") {
  auto shape = pg_insert_shape_of("INSERT INTO t(a, b, c) VALUES ($1, $2, $2)", 2);
  REQUIRE(shape);
  CHECK(shape->table == "t");
  CHECK(pg_multi_row_sql(*shape, 3) ==
        "INSERT INTO t(a, b, c) VALUES ($1, $2, $2), ($3, $4, $4), ($5, $6, $6)");
  // Quoted text keeps its dollars; an ON CONFLICT that does nothing follows the last row.
  auto quoted = pg_insert_shape_of(
      "INSERT INTO media(k, note) VALUES ($1, 'it''s $1 (x)') ON CONFLICT(k) DO NOTHING", 1);
  REQUIRE(quoted);
  CHECK(pg_multi_row_sql(*quoted, 2) ==
        "INSERT INTO media(k, note) VALUES ($1, 'it''s $1 (x)'), ($2, 'it''s $1 (x)') "
        "ON CONFLICT(k) DO NOTHING");

  // Anything whose rows could not simply be added up is left alone.
  CHECK_FALSE(pg_insert_shape_of("INSERT INTO t(a) VALUES ($1) RETURNING id", 1));
  CHECK_FALSE(
      pg_insert_shape_of("INSERT INTO t(a) VALUES ($1) ON CONFLICT(a) DO UPDATE SET a = 1 "
                         "WHERE false",
                         1));
  CHECK_FALSE(pg_insert_shape_of("INSERT INTO t(a) VALUES ((SELECT max(x) FROM u))", 0));
  CHECK_FALSE(pg_insert_shape_of("INSERT INTO t(a) SELECT $1", 1));
  CHECK_FALSE(pg_insert_shape_of("UPDATE t SET a = $1", 1));
  CHECK_FALSE(pg_insert_shape_of("INSERT INTO t(a) VALUES ($1), ($2)", 2));
  CHECK_FALSE(pg_insert_shape_of("INSERT INTO t(a) VALUES ((TABLE u))", 0));
  // A parameter after the row would not be renumbered.
  CHECK_FALSE(
      pg_insert_shape_of("INSERT INTO t(a) VALUES ($1) ON CONFLICT (a) WHERE a > $2 "
                         "DO NOTHING",
                         2));
  // The catalog's name for an unquoted one.
  CHECK(pg_insert_shape_of("INSERT INTO Messages(a) VALUES ($1)", 1)->table == "messages");
}

TEST_CASE("store: held rows are written in few statements, parents before children",
          "[store][pg]") {
  CHECK(pg_row_chunks(0).empty());
  CHECK(pg_row_chunks(1) == std::vector<int>{1});
  CHECK(pg_row_chunks(7) == std::vector<int>{4, 2, 1});
  CHECK(pg_row_chunks(64) == std::vector<int>{64});
  CHECK(pg_row_chunks(150) == std::vector<int>{64, 64, 16, 4, 2});

  const auto depth = pg_table_depths({{"messages", "conversations"},
                                      {"messages", "contacts"},
                                      {"conversations", "contacts"},
                                      {"contacts", "accounts"},
                                      {"media", "messages"},
                                      {"contacts", "contacts"}});
  CHECK(depth.at("accounts") == 0);
  CHECK(depth.at("contacts") == 1);
  CHECK(depth.at("conversations") == 2);
  CHECK(depth.at("messages") == 3);
  CHECK(depth.at("media") == 4);
  // A cycle ends.
  const auto cycle = pg_table_depths({{"a", "b"}, {"b", "a"}});
  CHECK(cycle.size() == 2);
}

namespace {

webhook_log_entry log_row(int n) {
  webhook_log_entry e;
  e.received_at = "2026-11-25T14:00:00.000Z";
  e.request_id = "req-" + std::to_string(n);
  e.phone_number_id = "PN1";
  e.http_status = 200;
  e.body = "{\"n\":" + std::to_string(n) + "}";
  return e;
}

std::int64_t count(database& db, const std::string& sql) {
  auto st = db.prepare(sql).value();
  REQUIRE(st.step().value());
  return st.column_int64(0);
}

}  // namespace

TEST_CASE("store: queued rows land as queued, whatever order their tables came in",
          "[store][backends]") {
  database_fixture f;
  auto& db = f.db;
  const auto account = pons::store::test::pn1_account(db, f.now);
  domain::contact known{"447700900001", "", "", "Known", ""};
  const auto known_id = upsert_contact(db, account, known, f.now).value().id;

  {
    auto tx = transaction::begin(db, transaction_mode::immediate).value();
    write_deferral deferral(db);
    // A conversation with a known person first, then a new person and theirs: held back by
    // table, the second conversation must still wait for its contact.
    REQUIRE(queue_new_conversation(db, "PN1", known_id, f.now, 500).has_value());
    domain::contact fresh{"447700900002", "", "", "Fresh", ""};
    REQUIRE(queue_new_contact(db, account, fresh, f.now, 600).has_value());
    REQUIRE(queue_new_conversation(db, "PN1", 600, f.now, 501).has_value());
    // An update queued after them is written after them.
    REQUIRE(record_inbound(db, 501, "2026-11-25T14:00:01.000Z", "2026-11-26T14:00:01.000Z", "hello")
                .has_value());
    // More rows than one statement takes.
    for (int n = 0; n < 70; ++n) REQUIRE(insert_webhook_log(db, log_row(n)).has_value());
    // A statement that waits sees every row queued before it.
    CHECK(count(db, "SELECT count(*) FROM webhook_log") == 70);
    // The generic plans forced for the rows' statements are not forced for the statements after
    // them (a query's best plan may depend on its values).
    if (db.kind() == backend::postgresql) {
      auto mode = db.prepare("SELECT current_setting('plan_cache_mode')").value();
      REQUIRE(mode.step().value());
      CHECK(mode.column_text(0) == "auto");
    }
    REQUIRE(insert_webhook_log(db, log_row(70)).has_value());
    REQUIRE(tx.commit().has_value());
  }
  CHECK(count(db, "SELECT count(*) FROM webhook_log") == 71);
  CHECK(count(db,
              "SELECT count(*) FROM webhook_log WHERE body = '{\"n\":69}' AND "
              "request_id = 'req-69'") == 1);
  auto second = get_conversation(db, 501).value();
  REQUIRE(second);
  CHECK(second->contact_id == 600);
  CHECK(second->unread_count == 1);
  CHECK(second->preview == "hello");
  CHECK(get_conversation(db, 500).value().has_value());
  CHECK(get_contact(db, 600).value().value().profile_name == "Fresh");
}

TEST_CASE(
    "store: a queued row the database refuses fails the transaction, and nothing of it "
    "is kept",
    "[store][backends]") {
  database_fixture f;
  auto& db = f.db;
  const auto account = pons::store::test::pn1_account(db, f.now);
  {
    auto tx = transaction::begin(db, transaction_mode::immediate).value();
    write_deferral deferral(db);
    REQUIRE(insert_webhook_log(db, log_row(1)).has_value());
    domain::contact one{"447700900002", "", "", "One", ""};
    domain::contact again{"447700900003", "", "", "Again", ""};
    REQUIRE(queue_new_contact(db, account, one, f.now, 700).has_value());
    // Same id: SQLite refuses it at once, PostgreSQL with the held rows, at the commit.
    auto second = queue_new_contact(db, account, again, f.now, 700);
    auto committed = second ? tx.commit() : result<void>(second.error());
    CHECK(!committed);
    CHECK(committed.error() == store_errc::constraint);
  }
  CHECK_FALSE(db.in_transaction());
  CHECK(count(db, "SELECT count(*) FROM webhook_log") == 0);
  CHECK(count(db, "SELECT count(*) FROM contacts WHERE id = 700") == 0);
}
