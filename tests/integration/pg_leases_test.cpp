// Leases on a PostgreSQL database shared by several instances, against a real throwaway
// PostgreSQL 15 cluster: a forwarding delivery or a media download is claimed by one instance
// at a time, however the claims interleave.
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "pons/forward/delivery_repository.hpp"
#include "pons/forward/outbox.hpp"
#include "pons/forward/target_repository.hpp"
#include "pons/store/database.hpp"
#include "pons/store/media_repository.hpp"
#include "support/pg_cluster.hpp"

using namespace pons;

namespace {

// Catch's assertions are for the test's own thread: the instances' threads throw instead, and
// the future hands the exception over.
void need(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(what);
}

// Runs `work` on two threads at once (two instances) and returns what each claimed.
template <class Work>
auto side_by_side(Work& work) {
  auto a = std::async(std::launch::async, work);
  auto b = std::async(std::launch::async, work);
  auto from_a = a.get();
  auto from_b = b.get();
  return std::pair{std::move(from_a), std::move(from_b)};
}

// How many times each item was claimed, by either.
template <class T>
std::map<T, int> times_claimed(const std::vector<T>& from_a, const std::vector<T>& from_b) {
  std::map<T, int> claims;
  for (const auto& x : from_a) ++claims[x];
  for (const auto& x : from_b) ++claims[x];
  return claims;
}

std::vector<std::int64_t> add_deliveries(store::database& db, int events, store::time_point now) {
  forward::target_spec spec;
  spec.url = "https://receiver.example/hook";
  spec.event_types = {std::string(forward::event_inbound_received)};
  REQUIRE(forward::add_target(db, spec, now).has_value());
  spec.url = "https://other.example/hook";
  REQUIRE(forward::add_target(db, spec, now).has_value());
  auto tx = store::transaction::begin(db).value();
  for (int i = 0; i < events; ++i) {
    auto e = forward::make_event(forward::event_inbound_received, "key-" + std::to_string(i),
                                 {.account_id = "WABA", .phone_number_id = "PN"}, now, "{}");
    REQUIRE(forward::enqueue_event(db, e, now).value().deliveries == 2);
  }
  REQUIRE(tx.commit().has_value());
  std::vector<std::int64_t> ids;
  auto st = db.prepare("SELECT id FROM webhook_deliveries ORDER BY id").value();
  while (st.step().value()) ids.push_back(st.column_int64(0));
  return ids;
}

}  // namespace

TEST_CASE("pg leases: a delivery another instance is claiming is passed over, not waited for",
          "[forward][pg]") {
  REQUIRE(test::pg_cluster_available());
  test::pg_cluster cluster;
  auto first = store::database::open(cluster.url()).value();
  auto second = store::database::open(cluster.url()).value();
  const auto now = std::chrono::system_clock::now();
  const auto ids = add_deliveries(first, 2, now);
  REQUIRE(ids.size() == 4);

  // The first instance is in the middle of claiming the oldest delivery: its row is locked.
  auto held = store::transaction::begin(first).value();
  auto lock = first
                  .prepare("SELECT id FROM webhook_deliveries WHERE id = ?1" +
                           first.claim_clause("webhook_deliveries"))
                  .value();
  lock.bind(1, ids[0]);
  REQUIRE(lock.step().value());

  // The second takes everything else at once, without waiting for the first to finish.
  forward::claim_limits limits;
  limits.per_target = 8;
  auto claimed = forward::claim_due(second, now, limits).value();
  std::set<std::int64_t> got;
  for (const auto& job : claimed) got.insert(job.delivery_id);
  CHECK(got == std::set<std::int64_t>{ids[1], ids[2], ids[3]});

  // Once the first lets go, the delivery is still due and can be claimed: only by one.
  lock.reset();
  REQUIRE(held.commit().has_value());
  auto rest = forward::claim_due(first, now, limits).value();
  REQUIRE(rest.size() == 1);
  CHECK(rest[0].delivery_id == ids[0]);
  CHECK(forward::claim_due(second, now, limits).value().empty());
}

TEST_CASE("pg leases: two instances claiming side by side deliver every event once",
          "[forward][pg]") {
  REQUIRE(test::pg_cluster_available());
  test::pg_cluster cluster;
  auto setup = store::database::open(cluster.url()).value();
  const auto now = std::chrono::system_clock::now();
  const auto ids = add_deliveries(setup, 150, now);
  REQUIRE(ids.size() == 300);

  // Each instance claims small batches and records a success for what it claimed, as the
  // deliverer does, until nothing is due; both race over the same rows the whole time.
  auto instance = [&] {
    auto db = store::database::open(cluster.url()).value();
    forward::claim_limits limits;
    limits.max_jobs = 3;
    limits.per_target = 3;
    std::vector<std::int64_t> mine;
    for (;;) {
      auto jobs = forward::claim_due(db, now, limits);
      need(jobs.has_value(), "claim_due failed");
      if (jobs->empty()) break;
      std::vector<forward::finished_attempt> done;
      for (auto& job : *jobs) {
        mine.push_back(job.delivery_id);
        forward::attempt_outcome ok;
        ok.status_code = 200;
        ok.started_at = now;
        done.push_back({std::move(job), ok, std::chrono::milliseconds(0)});
      }
      need(forward::record_attempts(db, done, now).has_value(), "record_attempts failed");
    }
    return mine;
  };
  auto [from_a, from_b] = side_by_side(instance);
  const auto claims = times_claimed(from_a, from_b);
  CHECK(claims.size() == ids.size());
  for (const auto& [id, n] : claims) {
    INFO("delivery " << id);
    CHECK(n == 1);
  }
  // Each delivery has exactly one recorded attempt.
  INFO("claimed by the first instance: " << from_a.size() << ", the second: " << from_b.size());
  auto attempts =
      setup.prepare("SELECT count(*), count(DISTINCT delivery_id) FROM webhook_delivery_attempts")
          .value();
  REQUIRE(attempts.step().value());
  CHECK(attempts.column_int64(0) == 300);
  CHECK(attempts.column_int64(1) == 300);
  auto states =
      setup.prepare("SELECT count(*) FROM webhook_deliveries WHERE state = 'succeeded'").value();
  REQUIRE(states.step().value());
  CHECK(states.column_int64(0) == 300);
}

TEST_CASE("pg leases: two media workers never download the same file twice", "[media][pg]") {
  REQUIRE(test::pg_cluster_available());
  test::pg_cluster cluster;
  auto setup = store::database::open(cluster.url()).value();
  const auto now = std::chrono::system_clock::now();
  for (int i = 0; i < 120; ++i) {
    domain::media_ref ref{"MEDIA" + std::to_string(i), "image/jpeg", "", "", "", "", false, false};
    REQUIRE(store::enqueue_media(setup, std::nullopt, "PN", ref, now).has_value());
  }
  auto worker = [&] {
    auto db = store::database::open(cluster.url()).value();
    std::vector<std::string> mine;
    for (;;) {
      auto job = store::claim_next_media_job(db, now, std::chrono::seconds(300));
      need(job.has_value(), "claim_next_media_job failed");
      if (!*job) break;
      mine.push_back((*job)->media_id);
      need(store::mark_media_done(db, (*job)->id, "/media/x", 1, "sha", "", now).has_value(),
           "mark_media_done failed");
    }
    return mine;
  };
  auto [from_a, from_b] = side_by_side(worker);
  const auto claims = times_claimed(from_a, from_b);
  CHECK(claims.size() == 120);
  for (const auto& [media, n] : claims) {
    INFO(media);
    CHECK(n == 1);
  }
  auto attempts = setup.prepare("SELECT sum(attempts), count(*) FROM media").value();
  REQUIRE(attempts.step().value());
  CHECK(attempts.column_int64(0) == 120);
}
