// store::database on PostgreSQL, against a real throwaway PostgreSQL 15 cluster started by the
// test: the same statement API as on SQLite, migrations under an advisory lock, change
// detection through notifications, and an aborted transaction that never reads as committed.
#include <catch2/catch.hpp>
#include <future>
#include <string>
#include <vector>

#include "pons/store/database.hpp"
#include "pons/store/message_repository.hpp"
#include "pons/store/migrations.hpp"
#include "support/pg_cluster.hpp"

using namespace pons::store;

TEST_CASE("store pg: the statement API reads and writes as on SQLite", "[store][pg]") {
  REQUIRE(pons::test::pg_cluster_available());
  pons::test::pg_cluster cluster;
  auto db = database::open(cluster.url());
  INFO(database::last_open_failure());
  REQUIRE(db.has_value());
  CHECK(db->kind() == backend::postgresql);
  CHECK(db->schema_version().value() == embedded_pg_migrations().back().version);

  // Parameters out of order and one left out (?2): PostgreSQL sees $1 and $2.
  auto insert = db->prepare(
      "INSERT INTO accounts(waba_id, name, created_at, updated_at) VALUES (?3, ?1, ?4, ?4) "
      "RETURNING id");
  REQUIRE(insert.has_value());
  insert->bind(1, "Shop").bind(3, "1234").bind(4, "2026-12-03T00:00:00.000Z");
  REQUIRE(insert->step().value());
  const std::int64_t id = insert->column_int64(0);
  CHECK(id > 0);

  auto read = db->prepare(
      "SELECT id, name, waba_id = '1234', length(name) * 1.5, NULL FROM accounts WHERE id = ?1");
  REQUIRE(read.has_value());
  read->bind(1, id);
  REQUIRE(read->step().value());
  CHECK(read->column_int64(0) == id);
  CHECK(read->column_text(1) == "Shop");
  CHECK(read->column_int64(2) == 1);  // a boolean reads as 1, as SQLite answers
  CHECK(read->column_double(3) == 6.0);
  CHECK(read->column_is_null(4));
  CHECK_FALSE(read->column_optional_int64(4).has_value());
  CHECK_FALSE(read->step().value());

  // A NUL cannot be in PostgreSQL's text: it arrives as U+FFFD, and what follows it is kept.
  auto odd = db->prepare("UPDATE accounts SET name = ?2 WHERE id = ?1");
  REQUIRE(odd.has_value());
  odd->bind(1, id).bind(2, std::string_view("Sh\0op", 5));
  REQUIRE(odd->run().value() == 1);
  read->bind(1, id);
  REQUIRE(read->step().value());
  CHECK(read->column_text(1) == "Sh\xEF\xBF\xBDop");
  read->reset();
  REQUIRE(db->exec("UPDATE accounts SET name = 'Shop'").has_value());

  // The same SQL again reuses the statement prepared on the server; nested use gets a one-off.
  auto outer = db->prepare("SELECT count(*) FROM accounts WHERE name = ?1");
  auto inner = db->prepare("SELECT count(*) FROM accounts WHERE name = ?1");
  REQUIRE(outer.has_value());
  REQUIRE(inner.has_value());
  outer->bind(1, "Shop");
  inner->bind(1, "nobody");
  REQUIRE(outer->step().value());
  REQUIRE(inner->step().value());
  CHECK(outer->column_int64(0) == 1);
  CHECK(inner->column_int64(0) == 0);

  auto update = db->prepare("UPDATE accounts SET name = ?2 WHERE id = ?1");
  REQUIRE(update.has_value());
  update->bind(1, id).bind(2, "Shop Two");
  CHECK(update->run().value() == 1);
  CHECK(db->changes() == 1);
}

TEST_CASE("store pg: a failed statement aborts the transaction, and commit says so",
          "[store][pg]") {
  REQUIRE(pons::test::pg_cluster_available());
  pons::test::pg_cluster cluster;
  auto db = database::open(cluster.url()).value();
  {
    auto tx = transaction::begin(db).value();
    auto ok =
        db.prepare("INSERT INTO accounts(waba_id, created_at, updated_at) VALUES ('1', 'a', 'a')");
    REQUIRE(ok->run().has_value());
    auto twice =
        db.prepare("INSERT INTO accounts(waba_id, created_at, updated_at) VALUES ('1', 'b', 'b')");
    auto refused = twice->run();
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error() == make_error_code(store_errc::constraint));
    CHECK(db.failed_transaction());
    auto committed = tx.commit();
    CHECK_FALSE(committed.has_value());
  }
  CHECK_FALSE(db.in_transaction());
  // Nothing of the aborted transaction is there.
  CHECK(db.query_int64("SELECT count(*) FROM accounts").value() == 0);
}

TEST_CASE("store pg: another connection's commit changes data_version", "[store][pg]") {
  REQUIRE(pons::test::pg_cluster_available());
  pons::test::pg_cluster cluster;
  auto watcher = database::open(cluster.url()).value();
  auto writer = database::open(cluster.url()).value();
  const auto before = watcher.data_version().value();
  CHECK(watcher.data_version().value() == before);  // nothing written yet
  {
    auto tx = transaction::begin(writer).value();
    REQUIRE(writer
                .exec("INSERT INTO accounts(waba_id, created_at, updated_at) "
                      "VALUES ('9', 'a', 'a')")
                .has_value());
    // Not committed: nothing to see.
    CHECK(watcher.data_version().value() == before);
    REQUIRE(tx.commit().has_value());
  }
  // Seen at once: data_version makes a round trip, which lets every committed notification in.
  const auto after = watcher.data_version().value();
  CHECK(after != before);
  // Its own writes are not news to a connection, as on SQLite.
  REQUIRE(watcher
              .exec("INSERT INTO accounts(waba_id, created_at, updated_at) "
                    "VALUES ('10', 'a', 'a')")
              .has_value());
  CHECK(watcher.data_version().value() == after);
}

TEST_CASE("store pg: only a connection that watches for changes listens for them", "[store][pg]") {
  REQUIRE(pons::test::pg_cluster_available());
  pons::test::pg_cluster cluster;
  auto writer = database::open(cluster.url()).value();
  const auto listening = [](database& db) {
    return db.query_int64("SELECT count(*) FROM pg_listening_channels()").value();
  };
  const auto write = [&writer](const std::string& waba) {
    REQUIRE(writer
                .exec("INSERT INTO accounts(waba_id, created_at, updated_at) VALUES ('" + waba +
                      "', 'a', 'a')")
                .has_value());
  };
  // A connection that never asks is never sent notifications: the server would queue every one
  // for it, and libpq keep them, for as long as it lives.
  auto idle = database::open(cluster.url()).value();
  write("1");
  CHECK(listening(idle) == 0);

  // The first data_version() starts listening; later commits count.
  auto watcher = database::open(cluster.url()).value();
  const auto first = watcher.data_version().value();
  CHECK(listening(watcher) == 1);
  write("2");
  CHECK(watcher.data_version().value() != first);

  // Started inside a transaction, the LISTEN holds from its commit on; rolled back, it never
  // happened, and the next call starts it again.
  const auto first_look_in_transaction = [&](database& db, bool commit) {
    auto tx = transaction::begin(db).value();
    const auto seen = db.topic_version("lookups").value();
    if (commit) REQUIRE(tx.commit().has_value());
    return seen;
  };
  const auto hears_later_commits = [&](database& db, const std::string& waba) {
    const auto before = db.data_version().value();
    CHECK(listening(db) == 1);
    write(waba);
    CHECK(db.data_version().value() != before);
  };
  auto rolled = database::open(cluster.url()).value();
  (void)first_look_in_transaction(rolled, false);
  CHECK(listening(rolled) == 0);
  hears_later_commits(rolled, "3");
  auto committed = database::open(cluster.url()).value();
  const auto in_transaction = first_look_in_transaction(committed, true);
  CHECK(listening(committed) == 1);
  // What others committed while that transaction was open went unheard: the commit itself
  // reads as a change, so a cache filled inside it is not trusted blindly.
  CHECK(committed.topic_version("lookups").value() != in_transaction);
  hears_later_commits(committed, "4");
}

TEST_CASE("store pg: a change is announced once its transaction commits, and only then",
          "[store][pg]") {
  REQUIRE(pons::test::pg_cluster_available());
  pons::test::pg_cluster cluster;
  auto watcher = database::open(cluster.url()).value();
  auto writer = database::open(cluster.url()).value();
  auto version = watcher.data_version().value();
  const auto changed = [&] {
    const auto now = watcher.data_version().value();
    const bool moved = now != version;
    version = now;
    return moved;
  };
  {  // reads only: nothing to announce
    auto tx = transaction::begin(writer).value();
    REQUIRE(writer.query_int64("SELECT count(*) FROM accounts").has_value());
    REQUIRE(tx.commit().has_value());
  }
  CHECK_FALSE(changed());
  {  // a write rolled back never happened
    auto tx = transaction::begin(writer).value();
    auto st = writer.prepare(
        "INSERT INTO accounts(waba_id, created_at, updated_at) VALUES (?1, 'a', 'a')");
    REQUIRE(st.has_value());
    st->bind(1, std::string_view("7"));
    REQUIRE(st->run().has_value());
  }
  CHECK_FALSE(changed());
  {  // a prepared write in a transaction: announced by its commit
    auto tx = transaction::begin(writer).value();
    auto st = writer.prepare(
        "INSERT INTO accounts(waba_id, created_at, updated_at) VALUES (?1, 'a', 'a') RETURNING id");
    REQUIRE(st.has_value());
    st->bind(1, std::string_view("8"));
    REQUIRE(st->step().value());
    CHECK_FALSE(changed());
    REQUIRE(tx.commit().has_value());
  }
  CHECK(changed());
  // A prepared write outside a transaction is committed, so announced, at once.
  {
    auto st = writer.prepare("UPDATE accounts SET name = 'n' WHERE waba_id = ?1");
    REQUIRE(st.has_value());
    st->bind(1, std::string_view("8"));
    REQUIRE(st->run().has_value());
  }
  CHECK(changed());
  CHECK_FALSE(changed());
}

TEST_CASE("store pg: deferred writes travel with the next statement, and their failure is its own",
          "[store][pg]") {
  REQUIRE(pons::test::pg_cluster_available());
  pons::test::pg_cluster cluster;
  auto db = database::open(cluster.url()).value();
  const auto insert = [&](std::string_view waba) {
    auto st =
        db.prepare("INSERT INTO accounts(waba_id, created_at, updated_at) VALUES (?1, 'a', 'a')");
    REQUIRE(st.has_value());
    st->bind(1, waba);
    return st->run_later();
  };
  {  // without a deferral, run_later runs at once and counts
    auto tx = transaction::begin(db).value();
    auto n = insert("1");
    REQUIRE(n.has_value());
    CHECK(*n == std::optional<int>(1));
    REQUIRE(tx.commit().has_value());
  }
  {  // queued: not counted, seen by the next statement of the transaction, kept by the commit
    auto tx = transaction::begin(db).value();
    write_deferral deferral(db);
    for (const char* waba : {"2", "3", "4"}) {
      auto n = insert(waba);
      REQUIRE(n.has_value());
      CHECK_FALSE(n->has_value());
    }
    CHECK(db.query_int64("SELECT count(*) FROM accounts").value() == 4);
    CHECK(insert("5").has_value());
    REQUIRE(tx.commit().has_value());
  }
  CHECK(db.query_int64("SELECT count(*) FROM accounts").value() == 5);
  {  // a queued write that fails makes the commit fail, and the transaction leaves nothing
    auto tx = transaction::begin(db).value();
    write_deferral deferral(db);
    CHECK(insert("6").has_value());
    CHECK(insert("2").has_value());  // waba_id is unique: refused once it reaches the server
    CHECK(insert("7").has_value());
    auto committed = tx.commit();
    REQUIRE_FALSE(committed.has_value());
    CHECK(committed.error() == pons::store::store_errc::constraint);
  }
  CHECK_FALSE(db.in_transaction());
  CHECK(db.query_int64("SELECT count(*) FROM accounts").value() == 5);
  {  // a failure among queued writes is reported by the next statement that waits
    auto tx = transaction::begin(db).value();
    write_deferral deferral(db);
    CHECK(insert("3").has_value());
    auto read = db.query_int64("SELECT count(*) FROM accounts");
    REQUIRE_FALSE(read.has_value());
    CHECK(read.error() == pons::store::store_errc::constraint);
  }
  // The connection is usable afterwards, out of pipeline mode.
  CHECK(insert("8").has_value());
  CHECK(db.query_int64("SELECT count(*) FROM accounts").value() == 6);
}

TEST_CASE("store pg: instances starting together on an empty database migrate it once",
          "[store][pg]") {
  REQUIRE(pons::test::pg_cluster_available());
  pons::test::pg_cluster cluster;
  std::vector<std::future<std::string>> opens;
  for (int i = 0; i < 4; ++i) {
    opens.push_back(std::async(std::launch::async, [&] {
      auto db = database::open(cluster.url());
      if (!db) return db.error().message() + ": " + database::last_open_failure();
      return std::string("ok");
    }));
  }
  for (auto& o : opens) CHECK(o.get() == "ok");
  auto db = database::open(cluster.url()).value();
  CHECK(db.query_int64("SELECT count(*) FROM pons_schema_version").value() == 1);
  CHECK(db.schema_version().value() == embedded_pg_migrations().back().version);
}

TEST_CASE("store pg: a restarted server fails one call, then the connection works again",
          "[store][pg]") {
  REQUIRE(pons::test::pg_cluster_available());
  pons::test::pg_cluster cluster;
  auto db = database::open(cluster.url()).value();
  auto count = [&db] { return db.query_int64("SELECT count(*) FROM accounts"); };
  REQUIRE(count().value() == 0);
  const auto before = db.data_version().value();
  cluster.restart();
  // The call that finds the connection cut says so; it also connects again.
  auto cut = count();
  REQUIRE_FALSE(cut.has_value());
  CHECK(cut.error() == make_error_code(store_errc::unavailable));
  // Then the same cached statement runs on the new session, and changes are heard again.
  CHECK(count().value() == 0);
  auto writer = database::open(cluster.url()).value();
  REQUIRE(
      writer.exec("INSERT INTO accounts(waba_id, created_at, updated_at) VALUES ('1', 'a', 'a')")
          .has_value());
  CHECK(count().value() == 1);
  CHECK(db.data_version().value() != before);
}
