#pragma once
// Shared helpers for the store_*_test.cpp files: a fresh temporary directory per test, and a
// fresh database in one with a fixed "now". Run through pons-pg-run (PONS_TEST_POSTGRESQL set),
// the database is a fresh schema on that PostgreSQL server instead: the tests tagged [backends]
// run that way too.

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <utility>

#include "pons/store/database.hpp"
#include "pons/store/pg_connection.hpp"
#include "pons/store/timestamp.hpp"

namespace pons::store::test {

/// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class temp_dir {
 public:
  temp_dir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/pons-store-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  /// A path inside the directory.
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

/// The PostgreSQL server the tests use instead of SQLite files (pons-pg-run sets it), or empty.
inline std::string test_postgresql_url() {
  const char* url = std::getenv("PONS_TEST_POSTGRESQL");
  return url ? std::string(url) : std::string();
}

/// Where a test's database lives: `name` in `dir`, or, on PostgreSQL, a schema created for it
/// (its URL makes that schema the connection's search path).
inline std::string test_database_location(const temp_dir& dir, const std::string& name = "pons.db") {
  const std::string server = test_postgresql_url();
  if (server.empty()) return dir.file(name);
  static std::atomic<int> counter{0};
  const std::string schema =
      "test_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
  auto admin = pg_connection::open(server);
  if (!admin || !admin->exec("CREATE SCHEMA " + schema)) {
    throw std::runtime_error("cannot create a schema on " + redacted_conninfo(server));
  }
  return server + (server.find('?') == std::string::npos ? "?" : "&") +
         "options=-csearch_path%3D" + schema;
}

/// The instant an ISO 8601 UTC text names (a valid one: tests write them).
inline time_point at(const char* iso) {
  return *parse_timestamp(iso);
}

/// A new database in a directory of its own, and the time the test calls now.
struct database_fixture {
  temp_dir dir;
  database db = std::move(database::open(test_database_location(dir)).value());
  time_point now = at("2026-11-25T14:00:00.000Z");
};

}  // namespace pons::store::test
