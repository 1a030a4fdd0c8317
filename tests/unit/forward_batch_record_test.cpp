#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <map>

#include "pons/forward/delivery_repository.hpp"
#include "pons/forward/outbox.hpp"
#include "pons/forward/target_repository.hpp"
#include "pons/store/database.hpp"
#include "unit/forward_test_util.hpp"
#include "unit/store_test_util.hpp"

using namespace pons::forward;
using pons::store::database;
using pons::store::test::temp_dir;
using namespace std::chrono_literals;

namespace {

const pons::store::time_point t0 = std::chrono::sys_days{std::chrono::year{2026} / 11 / 25} + 9h;

std::int64_t add(database& db, std::string url, int max_attempts) {
  return test::add_test_target(db, std::move(url), max_attempts, t0);
}

void enqueue(database& db, int n) {
  test::enqueue_test_events(db, n, t0);
}

attempt_outcome outcome(std::optional<int> code) {
  attempt_outcome o;
  o.status_code = code;
  if (!code) {
    o.error = "timed out";
  } else if (*code != 200) {
    o.error = "HTTP " + std::to_string(*code);
  }
  o.started_at = t0;
  o.duration = 7ms;
  return o;
}

}  // namespace

TEST_CASE("forward: one claim transaction hands out a whole batch of a target",
          "[forward][backends]") {
  temp_dir dir;
  auto db = database::open(pons::store::test::test_database_location(dir));
  REQUIRE(db.has_value());
  add(*db, "https://a.example.com/", 3);
  enqueue(*db, 80);
  const claim_limits limits{.max_jobs = 1000, .per_target = 64};
  auto jobs = claim_due(*db, t0, limits);
  REQUIRE(jobs.has_value());
  CHECK(jobs->size() == 64);
  // The batch is leased: only the rest is due now.
  auto rest = claim_due(*db, t0 + 1s, limits);
  REQUIRE(rest.has_value());
  CHECK(rest->size() == 0);  // 64 leased fill the per-target window
  auto ids = std::vector<std::int64_t>{};
  for (const auto& j : *jobs) ids.push_back(j.delivery_id);
  std::sort(ids.begin(), ids.end());
  CHECK(std::adjacent_find(ids.begin(), ids.end()) == ids.end());  // no delivery twice
}

TEST_CASE("forward: a batch with mixed results records each one correctly", "[forward][backends]") {
  temp_dir dir;
  auto db = database::open(pons::store::test::test_database_location(dir));
  REQUIRE(db.has_value());
  const auto target = add(*db, "https://a.example.com/", 1);  // one attempt: a failure is dead
  const auto other = add(*db, "https://b.example.com/", 3);
  enqueue(*db, 2);  // 2 deliveries for each target
  const claim_limits limits{.max_jobs = 10, .per_target = 10};
  auto jobs = claim_due(*db, t0, limits).value();
  REQUIRE(jobs.size() == 4);

  std::vector<finished_attempt> group;
  std::map<std::int64_t, std::string> expected;
  std::map<std::int64_t, std::optional<int>> expected_code;
  int other_seen = 0;
  int target_seen = 0;
  for (auto& j : jobs) {
    std::optional<int> code;
    if (j.target_id == target) {
      code = target_seen++ == 0 ? std::optional<int>(200) : std::optional<int>(503);
      expected[j.delivery_id] = *code == 200 ? "succeeded" : "dead";
    } else {
      code = other_seen++ == 0 ? std::optional<int>() : std::optional<int>(200);
      expected[j.delivery_id] = code ? "succeeded" : "pending";
    }
    expected_code[j.delivery_id] = code;
    group.push_back({j, outcome(code), 30s});
  }
  REQUIRE(record_attempts(*db, group, t0 + 1s).has_value());

  for (const auto& [id, state] : expected) {
    auto d = get_delivery(*db, id).value();
    INFO("delivery " << id);
    CHECK(d.delivery.state == state);
    CHECK(d.delivery.attempts == 1);
    CHECK(d.delivery.last_status_code == expected_code[id]);
    REQUIRE(d.attempts.size() == 1);
    CHECK(d.attempts[0].attempt == 1);
    CHECK(d.attempts[0].status_code == expected_code[id]);
    CHECK(d.attempts[0].duration_ms == 7);
    if (state == "pending") {
      CHECK(d.delivery.next_attempt_at == pons::store::format_timestamp(t0 + 31s));
      CHECK(d.attempts[0].error == "timed out");
    }
  }
  // The retry is due after its backoff, as its own claim.
  CHECK(claim_due(*db, t0 + 30s, limits).value().empty());
  auto retry = claim_due(*db, t0 + 31s, limits).value();
  REQUIRE(retry.size() == 1);
  CHECK(retry[0].target_id == other);
  CHECK(retry[0].attempt == 2);
  // Target health follows the last result of each target in the group.
  for (const auto& t : list_targets(*db).value()) {
    INFO("target " << t.id);
    CHECK(t.consecutive_failures == (t.id == target ? 1 : 0));  // 200 then 503; timeout then 200
    CHECK_FALSE(t.last_success_at.empty());
    CHECK_FALSE(t.last_failure_at.empty());
  }
}

TEST_CASE("forward: a crash between claim and record leads to redelivery after the lease",
          "[forward][backends]") {
  temp_dir dir;
  const auto path = pons::store::test::test_database_location(dir);
  std::vector<std::int64_t> claimed;
  {
    // The first process claims a batch, "sends" it and dies before recording anything.
    auto db = database::open(path);
    REQUIRE(db.has_value());
    add(*db, "https://a.example.com/", 5);
    enqueue(*db, 5);
    const claim_limits limits{.max_jobs = 64, .per_target = 64};
    for (const auto& j : claim_due(*db, t0, limits).value()) claimed.push_back(j.delivery_id);
    REQUIRE(claimed.size() == 5);
  }
  auto db = database::open(path);
  REQUIRE(db.has_value());
  const claim_limits limits{.max_jobs = 64, .per_target = 64};
  // Within the lease (timeout 10 s + margin 30 s) nobody sends them again.
  CHECK(claim_due(*db, t0 + 39s, limits).value().empty());
  auto again = claim_due(*db, t0 + 41s, limits).value();
  REQUIRE(again.size() == 5);
  std::vector<std::int64_t> ids;
  for (const auto& j : again) {
    ids.push_back(j.delivery_id);
    CHECK(j.attempt == 1);  // nothing was recorded: still the first attempt
  }
  std::sort(ids.begin(), ids.end());
  std::sort(claimed.begin(), claimed.end());
  CHECK(ids == claimed);
  std::vector<finished_attempt> group;
  for (auto& j : again) group.push_back({j, outcome(200), 1s});
  REQUIRE(record_attempts(*db, group, t0 + 42s).has_value());
  for (auto id : ids) {
    auto d = get_delivery(*db, id).value();
    CHECK(d.delivery.state == "succeeded");
    CHECK(d.attempts.size() == 1);
  }
}
