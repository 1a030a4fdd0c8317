// The send pacing buckets kept in the database: one pace per business number for every
// connection that sends, on SQLite and (through pons-pg-run) on PostgreSQL.
#include <catch2/catch.hpp>
#include <chrono>

#include "pons/store/database.hpp"
#include "pons/store/send_pacing.hpp"
#include "unit/store_test_util.hpp"

using namespace pons::store;
using namespace std::chrono_literals;

TEST_CASE("shared pacing: a bucket allows its burst, then queues at its rate",
          "[store][backends]") {
  test::database_fixture f;
  const bucket_limits limits{2, 3};  // 2 turns a second, 3 at once
  for (int i = 0; i < 3; ++i) CHECK(reserve_shared_turn(f.db, "n1", limits, f.now).value() == 0ms);
  CHECK(reserve_shared_turn(f.db, "n1", limits, f.now).value() == 500ms);
  CHECK(reserve_shared_turn(f.db, "n1", limits, f.now).value() == 1000ms);
  // Another number has a bucket of its own.
  CHECK(reserve_shared_turn(f.db, "n2", limits, f.now).value() == 0ms);
  // A turn given back shortens the queue behind it.
  REQUIRE(release_shared_turn(f.db, "n1").has_value());
  CHECK(reserve_shared_turn(f.db, "n1", limits, f.now).value() == 1000ms);
  // Time refills the bucket, never beyond its size.
  CHECK(reserve_shared_turn(f.db, "n1", limits, f.now + 1000ms).value() == 500ms);
  for (int i = 0; i < 3; ++i) {
    CHECK(reserve_shared_turn(f.db, "n1", limits, f.now + 1h).value() == 0ms);
  }
  CHECK(reserve_shared_turn(f.db, "n1", limits, f.now + 1h).value() == 500ms);
  // A clock that went back refills nothing and does not move the bucket back.
  CHECK(reserve_shared_turn(f.db, "n1", limits, f.now).value() == 1000ms);
}

TEST_CASE("shared pacing: two connections to one database share the number's pace",
          "[store][backends]") {
  test::database_fixture f;
  auto other = database::open(f.db.path()).value();
  const bucket_limits limits{1.0 / 6.0, 2};  // a fraction: one turn every 6 s
  CHECK(reserve_shared_turn(f.db, "n1", limits, f.now).value() == 0ms);
  CHECK(reserve_shared_turn(other, "n1", limits, f.now).value() == 0ms);
  CHECK(reserve_shared_turn(f.db, "n1", limits, f.now).value() == 6000ms);
  CHECK(reserve_shared_turn(other, "n1", limits, f.now).value() == 12000ms);
  // Inside a transaction the turn counts once it commits, and not at all after a rollback.
  {
    auto tx = transaction::begin(other).value();
    CHECK(reserve_shared_turn(other, "n1", limits, f.now).value() == 18000ms);
  }
  CHECK(reserve_shared_turn(f.db, "n1", limits, f.now).value() == 18000ms);
}
