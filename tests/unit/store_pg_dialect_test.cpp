#include <catch2/catch.hpp>

#include "pons/store/pg_dialect.hpp"

using namespace pons::store;

TEST_CASE("store: SQLite's numbered parameters become PostgreSQL's outside quoted text",
          "[store][pg]") {
  CHECK(to_pg_placeholders("SELECT id FROM contacts WHERE account_id = ?1 AND wa_id = ?2") ==
        "SELECT id FROM contacts WHERE account_id = $1 AND wa_id = $2");
  // Quoted text and comments are data, whatever they hold.
  CHECK(to_pg_placeholders("SELECT '?1', \"a?2\" -- ?3\nFROM t WHERE x = ?4") ==
        "SELECT '?1', \"a?2\" -- ?3\nFROM t WHERE x = $1");
  CHECK(to_pg_placeholders("SELECT 'it''s ?1' WHERE y = ?2") == "SELECT 'it''s ?1' WHERE y = $1");
  // A bare '?' is SQLite's next parameter.
  CHECK(to_pg_placeholders("SELECT a FROM t WHERE b = ? AND c = ?") ==
        "SELECT a FROM t WHERE b = $1 AND c = $2");
  CHECK(to_pg_sql("SELECT ?3, ?").position == std::vector<int>{0, 0, 1, 2});
}

TEST_CASE("store: parameters a filter left out are numbered away for PostgreSQL", "[store][pg]") {
  // ?2 and ?3 unused: PostgreSQL could not infer their types, so ?4 becomes $2.
  const auto sql = to_pg_sql("SELECT * FROM m WHERE a = ?1 AND b = ?4 OR c = ?1 LIMIT ?12");
  CHECK(sql.text == "SELECT * FROM m WHERE a = $1 AND b = $2 OR c = $1 LIMIT $3");
  CHECK(sql.parameters == 3);
  CHECK(sql.position == std::vector<int>{1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3});
  // First use decides the order.
  const auto reversed = to_pg_sql("UPDATE t SET x = ?2 WHERE id = ?1");
  CHECK(reversed.text == "UPDATE t SET x = $1 WHERE id = $2");
  CHECK(reversed.position == std::vector<int>{2, 1});
}

TEST_CASE("store: PostgreSQL's SQLSTATE codes map to store errors", "[store][pg]") {
  CHECK(store_errc_for_sqlstate("23505") == store_errc::constraint);  // unique_violation
  CHECK(store_errc_for_sqlstate("23503") == store_errc::constraint);  // foreign_key_violation
  CHECK(store_errc_for_sqlstate("40001") == store_errc::busy);        // serialization_failure
  CHECK(store_errc_for_sqlstate("40P01") == store_errc::busy);        // deadlock_detected
  CHECK(store_errc_for_sqlstate("55P03") == store_errc::busy);        // lock_not_available
  CHECK(store_errc_for_sqlstate("08006") == store_errc::unavailable);
  CHECK(store_errc_for_sqlstate("57P01") == store_errc::unavailable);  // admin_shutdown
  CHECK(store_errc_for_sqlstate("53100") == store_errc::full);
  CHECK(store_errc_for_sqlstate("42P01") == store_errc::server_error);  // undefined_table
  CHECK(store_errc_for_sqlstate("") == store_errc::server_error);
  CHECK(is_retryable(make_error_code(store_errc_for_sqlstate("40001"))));
}

TEST_CASE("store: only postgresql:// and postgres:// name a PostgreSQL database", "[store][pg]") {
  CHECK(is_postgresql_url("postgresql://pons@db.example/pons"));
  CHECK(is_postgresql_url("postgres://localhost/pons"));
  CHECK_FALSE(is_postgresql_url("/var/lib/pons/pons.db"));
  CHECK_FALSE(is_postgresql_url("postgresql.db"));
  CHECK_FALSE(is_postgresql_url("file:postgresql://x"));
}

TEST_CASE("store: statements that may change a table are told from those that cannot",
          "[store][pg]") {
  CHECK(pg_may_write("INSERT INTO accounts(waba_id) VALUES (?1)"));
  CHECK(pg_may_write("  update contacts SET username = ?1"));
  CHECK(pg_may_write("DELETE FROM sessions"));
  CHECK(pg_may_write("WITH due AS (SELECT id FROM t) UPDATE t SET x = 1 FROM due"));
  CHECK(pg_may_write("-- a comment first\nINSERT INTO t VALUES (1)"));
  CHECK(pg_may_write("CREATE TABLE t (x BIGINT)"));
  // Any one of several statements that writes makes the whole text a write.
  CHECK(pg_may_write("SELECT 1; DELETE FROM t"));
  // Unknown beginnings count as writes: an unannounced change is the costly mistake.
  CHECK(pg_may_write("(SELECT 1)"));

  CHECK_FALSE(pg_may_write("SELECT id FROM contacts WHERE wa_id = ?1"));
  CHECK_FALSE(pg_may_write("select 1 FOR UPDATE SKIP LOCKED"));
  CHECK_FALSE(pg_may_write("BEGIN"));
  CHECK_FALSE(pg_may_write("ROLLBACK TO ingest_one; RELEASE ingest_one"));
  CHECK_FALSE(pg_may_write("NOTIFY \"pons_changes:public\"; COMMIT"));
  CHECK_FALSE(pg_may_write("SET lock_timeout = 5000"));
  CHECK_FALSE(pg_may_write("LISTEN \"pons_changes:public\""));
  CHECK_FALSE(pg_may_write(""));
}
