#include <catch2/catch.hpp>

#include "pons/store/database.hpp"
#include "pons/store/wal_file.hpp"
#include "store_test_util.hpp"

using namespace pons::store;

TEST_CASE("store: wal_file opens the WAL of a database in WAL mode and syncs it", "[store]") {
  test::temp_dir dir;
  const auto path = dir.file("pons.db");

  // No database, no WAL: a clear failure, not a descriptor of something else.
  auto missing = wal_file::open(path);
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error() == store_errc::open_failed);

  auto db = database::open(path);
  REQUIRE(db.has_value());
  REQUIRE(db->exec("PRAGMA synchronous=NORMAL").has_value());
  auto wal = wal_file::open(path);
  REQUIRE(wal.has_value());
  REQUIRE(db->exec("CREATE TABLE t (x INTEGER) STRICT; INSERT INTO t VALUES (1)").has_value());
  CHECK(wal->sync().has_value());

  // Moving hands the descriptor over; the moved-from handle refuses to sync.
  wal_file moved = std::move(*wal);
  CHECK(moved.sync().has_value());
  CHECK(wal->sync().error() == store_errc::invalid_argument);
}
