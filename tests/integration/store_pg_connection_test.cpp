// The PostgreSQL connection against a real throwaway PostgreSQL 15 cluster started by the test
// (initdb, pg_ctl, a unix socket in a temporary folder).
#include <catch2/catch.hpp>
#include <string>

#include "pons/store/pg_connection.hpp"
#include "support/pg_cluster.hpp"

using namespace pons::store;

TEST_CASE("store pg: a connection runs parameterised SQL written for SQLite", "[store][pg]") {
  REQUIRE(pons::test::pg_cluster_available());
  pons::test::pg_cluster cluster;
  std::string why;
  auto db = pg_connection::open(cluster.url(), 10, &why);
  REQUIRE(db.has_value());
  INFO(why);
  REQUIRE(db->exec("CREATE TABLE contacts (id BIGSERIAL PRIMARY KEY, wa_id TEXT NOT NULL UNIQUE, "
                   "profile_name TEXT)")
              .has_value());
  auto inserted = db->query(
      "INSERT INTO contacts(wa_id, profile_name) VALUES (?1, ?2) "
      "RETURNING id",
      {std::string("447700900123"), std::string("Robert'); DROP TABLE x;--")});
  REQUIRE(inserted.has_value());
  REQUIRE(inserted->rows.size() == 1);
  CHECK(inserted->rows[0][0] == std::string("1"));
  // A NULL parameter, and text that looks like SQL, travel as values.
  REQUIRE(db->query("INSERT INTO contacts(wa_id, profile_name) VALUES (?1, ?2)",
                    {std::string("447700900456"), std::nullopt})
              .has_value());
  auto rows = db->query("SELECT wa_id, profile_name FROM contacts ORDER BY id");
  REQUIRE(rows.has_value());
  REQUIRE(rows->rows.size() == 2);
  CHECK(rows->columns == std::vector<std::string>{"wa_id", "profile_name"});
  CHECK(rows->rows[0][1] == std::string("Robert'); DROP TABLE x;--"));
  CHECK_FALSE(rows->rows[1][1].has_value());
  auto updated = db->query("UPDATE contacts SET profile_name = ?1", {std::string("x")});
  REQUIRE(updated.has_value());
  CHECK(updated->affected == 2);

  // A unique violation is a constraint error, with the server's words and SQLSTATE.
  auto duplicate =
      db->query("INSERT INTO contacts(wa_id) VALUES (?1)", {std::string("447700900123")});
  REQUIRE_FALSE(duplicate.has_value());
  CHECK(duplicate.error() == make_error_code(store_errc::constraint));
  CHECK(db->last_error_message().find("SQLSTATE 23505") != std::string::npos);
  // The connection is still usable after a failed statement.
  CHECK(db->query("SELECT count(*) FROM contacts")->rows[0][0] == std::string("2"));
}

TEST_CASE("store pg: a server that is not there is unavailable, and no password is shown",
          "[store][pg]") {
  REQUIRE(pons::test::pg_cluster_available());
  const std::string secret = "s3cret-Pa55word";
  const std::string conninfo =
      "postgresql://pons:" + secret + "@%2Ftmp%2Fpons-no-such-socket-dir/pons";
  std::string why;
  auto db = pg_connection::open(conninfo, 2, &why);
  REQUIRE_FALSE(db.has_value());
  CHECK(db.error() == make_error_code(store_errc::unavailable));
  CHECK_FALSE(why.empty());
  CHECK(why.find(secret) == std::string::npos);
  const std::string shown = redacted_conninfo(conninfo);
  CHECK(shown.find(secret) == std::string::npos);
  CHECK(shown.find("password=****") != std::string::npos);
  CHECK(shown.find("dbname=pons") != std::string::npos);
  CHECK(redacted_conninfo("host=db password='a b' user=u").find("a b") == std::string::npos);
  CHECK(redacted_conninfo("host=db password='unterminated") == "(unparseable connection string)");
}
