// /health and /metrics share one outstanding writer probe: a poller hammering /health while
// another process holds the write lock neither piles probes up in the writer's queue nor makes
// Meta's webhooks be refused with 503.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "pons/store/database.hpp"
#include "support/webhook_process.hpp"

using namespace pons::test;
using namespace std::chrono_literals;

namespace {

std::int64_t metric(const std::string& page, const std::string& name) {
  auto at = page.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stoll(page.substr(at + name.size() + 2));
}

}  // namespace

TEST_CASE("concurrent /health requests share one probe and never fill the webhook queue",
          "[webhook][health]") {
  // A small queue: before the fix every /health request queued its own probe, counted against
  // this limit, and the POST below was answered 503.
  webhook_process svc(default_webhook_env(), {"--no-media", "--queue-limit", "8"});
  REQUIRE(svc.started());
  auto body = webhook_fixture("messages/text.json");
  REQUIRE_FALSE(body.empty());
  auto before = svc.get("/metrics");
  REQUIRE(before);
  const auto probes_before = metric(before->body, "pons_writer_probes_total");
  REQUIRE(probes_before >= 0);

  // Another process's writer holds the lock for a few seconds.
  auto other = pons::store::database::open(svc.db_path());
  REQUIRE(other.has_value());
  auto lock = pons::store::transaction::begin(*other);
  REQUIRE(lock.has_value());
  const auto held_from = std::chrono::steady_clock::now();

  constexpr int pollers = 24;
  std::atomic<bool> stop{false};
  std::atomic<int> health_requests{0};
  std::atomic<int> health_unavailable{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < pollers; ++i)
    threads.emplace_back([&] {
      while (!stop) {
        auto r = svc.get("/health");
        ++health_requests;
        if (r && r->status == 503) ++health_unavailable;
      }
    });

  // Meta delivers while /health is polled: answered once the lock is released, never 503.
  std::this_thread::sleep_for(1500ms);
  int post_status = 0;
  std::thread poster([&] {
    auto r = svc.post(body);
    post_status = r ? r->status : -1;
  });
  std::this_thread::sleep_for(1500ms);
  // The pollers stop and the probes are counted while the lock is still held: once it is
  // released every probe is quick, and the count would depend on how fast this machine is.
  stop = true;
  for (auto& t : threads) t.join();
  auto during = svc.get("/metrics");
  const auto held = std::chrono::steady_clock::now() - held_from;
  lock->rollback();
  poster.join();

  CHECK(post_status == 200);
  CHECK(svc.count("SELECT count(*) FROM messages") == 1);
  CHECK(health_unavailable > 0);  // the lock really was held while they polled
  REQUIRE(during);
  auto after = svc.get("/metrics");
  REQUIRE(after);
  CHECK(metric(after->body, "pons_webhook_queue_full_total") == 0);
  // One probe at a time: each waits at least the probe busy timeout (250 ms) for the lock
  // before it gives up, so while it was held the writer ran at most held/250ms probes (plus the
  // one in flight when the lock was taken), not one per request, however slow the machine.
  const auto probes = metric(during->body, "pons_writer_probes_total") - probes_before;
  const auto bound = std::chrono::duration_cast<std::chrono::milliseconds>(held).count() / 250 + 2;
  INFO("health requests " << health_requests << ", probes " << probes << ", bound " << bound);
  std::printf(
      "health-probes: requests=%d probes=%lld held_ms=%lld\n", health_requests.load(),
      static_cast<long long>(probes),
      static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(held).count()));
  CHECK(probes <= bound);
  CHECK(health_requests > 2 * bound);
  CHECK(svc.get("/health")->status == 200);
}
