#include <catch2/catch.hpp>
#include <chrono>

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

const pons::store::time_point t0 = std::chrono::sys_days{std::chrono::year{2026} / 11 / 25} + 14h;

std::int64_t add(database& db, std::string url, int max_attempts = 8) {
  return test::add_test_target(db, std::move(url), max_attempts, t0);
}

void enqueue(database& db, int n) {
  test::enqueue_test_events(db, n, t0);
}

attempt_outcome failed(int code) {
  return {code, "HTTP " + std::to_string(code), t0, 12ms};
}

}  // namespace

TEST_CASE("forward: claim hands out due work, at most per_target per target",
          "[forward][backends]") {
  temp_dir dir;
  auto db = database::open(pons::store::test::test_database_location(dir));
  REQUIRE(db.has_value());
  const auto a = add(*db, "https://a.example.com/");
  const auto b = add(*db, "https://b.example.com/");
  enqueue(*db, 5);  // 5 deliveries for each target

  CHECK(claim_due(*db, t0 - 1s, {}).value().empty());  // not due yet

  claim_limits limits;
  limits.max_jobs = 10;
  limits.per_target = 2;
  auto jobs = claim_due(*db, t0, limits);
  REQUIRE(jobs.has_value());
  REQUIRE(jobs->size() == 4);
  int for_a = 0;
  for (const auto& j : *jobs) {
    for_a += j.target_id == a;
    CHECK(j.attempt == 1);
    CHECK(j.secret.size() == 64);
    CHECK(j.body.find(j.event_id) != std::string::npos);
  }
  CHECK(for_a == 2);

  // In-flight work counts against the per-target budget until its lease expires.
  CHECK(claim_due(*db, t0 + 1s, limits).value().empty());
  auto after_lease = claim_due(*db, t0 + 41s, limits);
  REQUIRE(after_lease.has_value());
  CHECK(after_lease->size() == 4);
  (void)b;
}

TEST_CASE("forward: attempts are recorded and move the delivery on", "[forward][backends]") {
  temp_dir dir;
  auto db = database::open(pons::store::test::test_database_location(dir));
  REQUIRE(db.has_value());
  const auto id = add(*db, "https://a.example.com/", 2);
  enqueue(*db, 1);

  auto jobs = claim_due(*db, t0, {});
  REQUIRE(jobs.value().size() == 1);
  auto job = jobs->front();
  REQUIRE(record_attempt(*db, job, failed(204), t0 + 1s, 5s).has_value());

  auto d = get_delivery(*db, job.delivery_id);
  REQUIRE(d.has_value());
  CHECK(d->delivery.state == "pending");
  CHECK(d->delivery.attempts == 1);
  CHECK(d->delivery.next_attempt_at == "2026-11-25T14:00:06.000Z");
  CHECK(d->delivery.last_status_code == 204);
  REQUIRE(d->attempts.size() == 1);
  CHECK(d->attempts[0].status_code == 204);
  CHECK(d->attempts[0].duration_ms == 12);
  auto t = get_target(*db, id);
  CHECK(t->consecutive_failures == 1);
  CHECK(t->last_failure_at == "2026-11-25T14:00:01.000Z");

  CHECK(claim_due(*db, t0 + 5s, {}).value().empty());
  jobs = claim_due(*db, t0 + 6s, {});
  REQUIRE(jobs.value().size() == 1);
  CHECK(jobs->front().attempt == 2);
  attempt_outcome timeout{std::nullopt, "timeout", t0 + 6s, 10000ms};
  REQUIRE(record_attempt(*db, jobs->front(), timeout, t0 + 16s, 10s).has_value());
  d = get_delivery(*db, job.delivery_id);
  CHECK(d->delivery.state == "dead");
  CHECK(d->delivery.attempts == 2);
  CHECK(get_target(*db, id)->consecutive_failures == 2);
  CHECK(claim_due(*db, t0 + 1h, {}).value().empty());

  // A manual retry gives a fresh budget of max_attempts (2) more attempts, but the attempt
  // numbers keep counting so the history stays readable; a success clears the failure streak.
  REQUIRE(retry_delivery(*db, job.delivery_id, t0 + 2h).has_value());
  CHECK(get_delivery(*db, job.delivery_id)->delivery.attempts == 2);
  jobs = claim_due(*db, t0 + 2h, {});
  REQUIRE(jobs.value().size() == 1);
  CHECK(jobs->front().attempt == 3);
  CHECK(jobs->front().round_attempt == 1);
  REQUIRE(record_attempt(*db, jobs->front(), failed(503), t0 + 2h, 5s).has_value());
  d = get_delivery(*db, job.delivery_id);
  CHECK(d->delivery.state == "pending");  // the first of the new budget, not dead yet
  CHECK(d->delivery.attempts == 3);
  jobs = claim_due(*db, t0 + 2h + 5s, {});
  REQUIRE(jobs.value().size() == 1);
  CHECK(jobs->front().attempt == 4);
  CHECK(jobs->front().round_attempt == 2);
  attempt_outcome ok{200, "", t0 + 2h + 5s, 3ms};
  REQUIRE(record_attempt(*db, jobs->front(), ok, t0 + 2h + 5s, 5s).has_value());
  d = get_delivery(*db, job.delivery_id);
  CHECK(d->delivery.state == "succeeded");
  CHECK(d->delivery.attempts == 4);
  REQUIRE(d->attempts.size() == 4);
  for (std::size_t i = 0; i < d->attempts.size(); ++i) {
    CHECK(d->attempts[i].attempt == static_cast<int>(i) + 1);
  }
  CHECK(list_deliveries(*db, {}).value().front().attempts == 4);
  t = get_target(*db, id);
  CHECK(t->consecutive_failures == 0);
  CHECK(t->last_success_at == "2026-11-25T16:00:05.000Z");
  CHECK(retry_delivery(*db, job.delivery_id, t0).error() == forward_errc::invalid_state);
  CHECK(retry_delivery(*db, 9999, t0).error() == forward_errc::not_found);
}

TEST_CASE("forward: disabled targets are not claimed: retry_dead revives dead work",
          "[forward][backends]") {
  temp_dir dir;
  auto db = database::open(pons::store::test::test_database_location(dir));
  REQUIRE(db.has_value());
  const auto id = add(*db, "https://a.example.com/", 1);
  enqueue(*db, 2);
  auto jobs = claim_due(*db, t0, {});
  REQUIRE(jobs.value().size() == 2);
  for (const auto& j : *jobs) REQUIRE(record_attempt(*db, j, failed(500), t0, 1s).has_value());
  delivery_filter dead;
  dead.state = "dead";
  CHECK(list_deliveries(*db, dead).value().size() == 2);

  CHECK(retry_dead(*db, id, t0 + 1s).value() == 2);
  target_changes off;
  off.enabled = false;
  REQUIRE(update_target(*db, id, off, t0).has_value());
  CHECK(claim_due(*db, t0 + 1s, {}).value().empty());
  CHECK_FALSE(next_due(*db).value().has_value());
  off.enabled = true;
  REQUIRE(update_target(*db, id, off, t0).has_value());
  CHECK(next_due(*db).value() == t0 + 1s);
  auto revived = claim_due(*db, t0 + 1s, {});
  REQUIRE(revived.value().size() == 2);
  for (const auto& j : *revived) {
    CHECK(j.attempt == 2);  // numbering continues after retry_dead too
    CHECK(j.round_attempt == 1);
  }
}
