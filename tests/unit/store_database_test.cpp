#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "pons/store/database.hpp"
#include "pons/store/migrations.hpp"
#include "pons/store/migrator.hpp"
#include "pons/store/timestamp.hpp"
#include "unit/store_test_util.hpp"

using namespace pons::store;
using pons::store::test::temp_dir;

namespace {

unsigned file_mode(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

}  // namespace

TEST_CASE("store: open creates a 0600 file in WAL mode with the pragmas set", "[store]") {
  temp_dir dir;
  const auto path = dir.file("pons.db");
  const mode_t old_umask = ::umask(0);  // a permissive umask must not widen the mode
  auto db = database::open(path);
  ::umask(old_umask);
  REQUIRE(db.has_value());

  CHECK(file_mode(path) == 0600);
  REQUIRE(
      db->exec("INSERT INTO processed_events(key, created_at) VALUES ('k', 'now')").has_value());
  CHECK(file_mode(path + "-wal") == 0600);
  CHECK(file_mode(path + "-shm") == 0600);

  auto st = db->prepare("PRAGMA journal_mode");
  REQUIRE(st.has_value());
  REQUIRE(st->step().value());
  CHECK(st->column_text(0) == "wal");
  CHECK(db->query_int64("PRAGMA synchronous").value() == 2);  // FULL
  CHECK(db->query_int64("PRAGMA foreign_keys").value() == 1);
  CHECK(db->query_int64("PRAGMA busy_timeout").value() == 5000);
  CHECK(db->query_int64("PRAGMA journal_size_limit").value() == 64 * 1024 * 1024);
}

TEST_CASE("store: migrations apply once and are idempotent on reopen", "[store]") {
  temp_dir dir;
  const auto path = dir.file("pons.db");
  const int latest = embedded_migrations().back().version;
  {
    auto db = database::open(path);
    REQUIRE(db.has_value());
    CHECK(db->schema_version().value() == latest);
    REQUIRE(
        db->exec("INSERT INTO processed_events(key, created_at) VALUES ('kept', 'x')").has_value());
  }
  auto db = database::open(path);
  REQUIRE(db.has_value());
  CHECK(db->schema_version().value() == latest);
  CHECK(apply_migrations(*db, embedded_migrations()).value() == latest);
  CHECK(db->query_int64("SELECT count(*) FROM processed_events").value() == 1);

  // A file from a newer Pons is refused rather than misread.
  REQUIRE(db->exec("PRAGMA user_version = 999").has_value());
  auto too_new = apply_migrations(*db, embedded_migrations());
  REQUIRE_FALSE(too_new.has_value());
  CHECK(too_new.error() == store_errc::schema_too_new);
}

TEST_CASE("store: a failing migration rolls back completely", "[store]") {
  temp_dir dir;
  open_options opts;
  opts.migrate = false;
  auto db = database::open(dir.file("pons.db"), opts);
  REQUIRE(db.has_value());
  const migration bad[] = {{1, "0001_a.sql", "CREATE TABLE a (x INTEGER) STRICT;"},
                           {2, "0002_b.sql", "CREATE TABLE b (x INTEGER) STRICT; SELECT nope();"}};
  auto r = apply_migrations(*db, bad);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error() == store_errc::migration_failed);
  CHECK_FALSE(db->last_error_message().empty());
  CHECK(db->schema_version().value() == 0);
  CHECK(db->query_int64("SELECT count(*) FROM sqlite_master WHERE name='a'").value() == 0);
}

TEST_CASE("store: statements are cached, bind and read columns, nest safely", "[store]") {
  temp_dir dir;
  auto db = database::open(dir.file("pons.db"));
  REQUIRE(db.has_value());
  const char* insert = "INSERT INTO processed_events(key, created_at) VALUES (?, ?)";
  for (int i = 0; i < 3; ++i) {
    auto st = db->prepare(insert);
    REQUIRE(st.has_value());
    st->bind_all(std::string("key") + std::to_string(i), "t");
    REQUIRE(st->run().value() == 1);
  }
  auto dup = db->prepare(insert);
  REQUIRE(dup.has_value());
  dup->bind_all("key1", "t");
  auto r = dup->run();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error() == store_errc::constraint);
  CHECK(db->last_error_message().find("UNIQUE") != std::string::npos);

  // The same SQL used while the cached statement is still iterating gets its own statement.
  const char* select = "SELECT key FROM processed_events ORDER BY key";
  auto outer = db->prepare(select);
  REQUIRE(outer.has_value());
  int pairs = 0;
  while (outer->step().value()) {
    auto inner = db->prepare(select);
    REQUIRE(inner.has_value());
    while (inner->step().value()) ++pairs;
  }
  CHECK(pairs == 9);
}

TEST_CASE("store: transaction rolls back unless committed", "[store]") {
  temp_dir dir;
  auto db = database::open(dir.file("pons.db"));
  REQUIRE(db.has_value());
  {
    auto tx = transaction::begin(*db);
    REQUIRE(tx.has_value());
    CHECK(db->in_transaction());
    REQUIRE(
        db->exec("INSERT INTO processed_events(key, created_at) VALUES ('gone', 't')").has_value());
  }
  CHECK_FALSE(db->in_transaction());
  {
    auto tx = transaction::begin(*db);
    REQUIRE(tx.has_value());
    REQUIRE(
        db->exec("INSERT INTO processed_events(key, created_at) VALUES ('kept', 't')").has_value());
    REQUIRE(tx->commit().has_value());
  }
  CHECK(db->query_int64("SELECT count(*) FROM processed_events").value() == 1);
  CHECK(db->query_int64("SELECT count(*) FROM processed_events WHERE key='kept'").value() == 1);
}

TEST_CASE("store: a writer blocked past busy_timeout gets a retryable busy error", "[store]") {
  temp_dir dir;
  const auto path = dir.file("pons.db");
  auto a = database::open(path);
  REQUIRE(a.has_value());
  open_options quick;
  quick.busy_timeout_ms = 50;
  auto b = database::open(path, quick);
  REQUIRE(b.has_value());
  auto held = transaction::begin(*a);
  REQUIRE(held.has_value());
  auto blocked = transaction::begin(*b);
  REQUIRE_FALSE(blocked.has_value());
  CHECK(blocked.error() == store_errc::busy);
  CHECK(is_retryable(blocked.error()));
  REQUIRE(held->commit().has_value());
  CHECK(transaction::begin(*b).has_value());
}

TEST_CASE("store: two processes migrating a fresh file at once both succeed", "[store]") {
  for (int round = 0; round < 5; ++round) {
    temp_dir dir;
    const auto path = dir.file("fresh.db");
    std::vector<pid_t> children;
    for (int i = 0; i < 2; ++i) {
      const pid_t pid = ::fork();
      REQUIRE(pid >= 0);
      if (pid == 0) {
        auto db = database::open(path);
        const bool ok = db && db->schema_version().value() == embedded_migrations().back().version;
        ::_exit(ok ? 0 : 1);
      }
      children.push_back(pid);
    }
    for (pid_t pid : children) {
      int status = 0;
      REQUIRE(::waitpid(pid, &status, 0) == pid);
      CHECK(WIFEXITED(status));
      CHECK(WEXITSTATUS(status) == 0);
    }
    auto db = database::open(path);
    REQUIRE(db.has_value());
    CHECK(db->query_int64("SELECT count(*) FROM sqlite_master WHERE name='messages'").value() == 1);
  }
}

TEST_CASE("store: timestamps format and parse as sortable UTC with milliseconds", "[store]") {
  const auto t = parse_timestamp("2026-11-25T14:00:00.123Z");
  REQUIRE(t.has_value());
  CHECK(format_timestamp(*t) == "2026-11-25T14:00:00.123Z");
  CHECK(format_unix_seconds(0) == "1970-01-01T00:00:00.000Z");
  CHECK(format_unix_seconds(1700000000) == "2023-11-14T22:13:20.000Z");
  CHECK(format_timestamp(*parse_timestamp("2024-02-29T23:59:59Z")) == "2024-02-29T23:59:59.000Z");
  CHECK(format_timestamp(*parse_timestamp("2024-02-29T23:59:59.5+00:00")) ==
        "2024-02-29T23:59:59.500Z");
  CHECK_FALSE(parse_timestamp("wamid.HBgL"));
  CHECK_FALSE(parse_timestamp("2024-13-01T00:00:00Z"));
  CHECK_FALSE(parse_timestamp("2024-01-01 00:00:00Z"));
  CHECK(format_timestamp(*t + std::chrono::hours(24)) == "2026-11-26T14:00:00.123Z");
  // Before 1970 and outside four-digit years (the slow path) still format.
  CHECK(format_timestamp(*t - std::chrono::hours(24) * 20000) == "1972-02-22T14:00:00.123Z");
  CHECK(format_unix_seconds(-1) == "1969-12-31T23:59:59.000Z");
  CHECK(format_unix_seconds(253402300800) == "10000-01-01T00:00:00.000Z");
  // Every field at its largest.
  CHECK(format_timestamp(*parse_timestamp("2199-12-31T23:59:59.999Z")) ==
        "2199-12-31T23:59:59.999Z");
}

TEST_CASE("store: a timestamp on a day its month does not have is refused", "[store]") {
  CHECK_FALSE(parse_timestamp("2026-02-31T00:00:00.000Z"));
  CHECK_FALSE(parse_timestamp("2026-02-29T00:00:00.000Z"));
  CHECK_FALSE(parse_timestamp("1900-02-29T00:00:00Z"));
  CHECK_FALSE(parse_timestamp("2026-04-31T00:00:00Z"));
  CHECK_FALSE(parse_timestamp("2026-00-10T00:00:00Z"));
  CHECK_FALSE(parse_timestamp("2026-01-00T00:00:00Z"));
  CHECK(format_timestamp(*parse_timestamp("2000-02-29T00:00:00Z")) == "2000-02-29T00:00:00.000Z");
  CHECK(format_timestamp(*parse_timestamp("2026-01-31T00:00:00Z")) == "2026-01-31T00:00:00.000Z");
}

TEST_CASE("store: data_version tells a reader another connection committed", "[store]") {
  temp_dir dir;
  const auto path = dir.file("pons.db");
  auto reader = database::open(path);
  auto writer = database::open(path);
  REQUIRE(reader.has_value());
  REQUIRE(writer.has_value());
  const auto before = reader->data_version().value();
  CHECK(reader->data_version().value() == before);  // nothing changed yet
  REQUIRE(
      writer->exec("INSERT INTO processed_events(key, created_at) VALUES ('k', 't')").has_value());
  CHECK(reader->data_version().value() != before);
}

TEST_CASE("store: opening a path that cannot be created fails cleanly", "[store]") {
  temp_dir dir;
  auto db = database::open(dir.file("missing-dir/pons.db"));
  REQUIRE_FALSE(db.has_value());
  CHECK(db.error() == store_errc::open_failed);
  CHECK_FALSE(db.error().message().empty());
}

TEST_CASE("store: every store_errc has its own message", "[store]") {
  std::set<std::string> seen;
  for (int e = static_cast<int>(store_errc::busy); e <= static_cast<int>(store_errc::server_error);
       ++e) {
    const auto msg = make_error_code(static_cast<store_errc>(e)).message();
    CHECK(msg != "unknown storage error");
    CHECK(seen.insert(msg).second);
  }
  CHECK(std::string(store_category().name()) == "pons.store");
  CHECK_FALSE(is_retryable(make_error_code(store_errc::constraint)));
}
