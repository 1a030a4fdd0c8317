// The scale-out recipe of docs/scale-out.md, run for real on loopback: a throwaway PostgreSQL 15
// cluster, two pons-webhook instances on it and Debian's HAProxy in front, signed webhooks
// streaming in from several senders that behave as Meta does (a webhook not answered 200 is
// delivered again). Faults under that load: one instance killed with SIGKILL, the database
// server stopped and started. What counts: every webhook acknowledged with 200 is stored, and
// every webhook is stored once.
#include <signal.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "pons/meta/signature.hpp"
#include "support/haproxy_process.hpp"
#include "support/pg_cluster.hpp"
#include "support/webhook_payloads.hpp"
#include "support/webhook_process.hpp"

using namespace pons::test;
using namespace std::chrono_literals;

namespace {

// Each webhook carries one message with a wamid of its own.
std::string webhook_body(int i) {
  return simple_payload(
      default_phone_number_id,
      {text_message_json("wamid.SCALE" + std::to_string(i), "4477009003" + std::to_string(i % 10),
                         "message " + std::to_string(i))});
}

// One delivery attempt; no answer at all (a refused or cut connection) is nullopt.
std::optional<http_response> post_once(
    std::uint16_t port, const std::string& body,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  try {
    return http_request(port, "POST", "/webhook/meta", body, headers, 10s);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// What the senders saw.
struct delivery_report {
  int acknowledged = 0;                // webhooks answered 200 in the end
  std::map<int, int> refusals;         // answers other than 200, by status (0: no answer)
  std::vector<bool> acknowledged_ids;  // by webhook number
};

// Delivers webhooks 0..count-1 through the balancer from `senders` threads, each webhook again
// after a refusal until it is answered 200, as Meta does (within `patience`). `progress` is
// called with the number acknowledged so far after each acknowledgement, on the sending thread.
delivery_report deliver(std::uint16_t port, int count, int senders,
                        const std::function<void(int)>& progress,
                        std::chrono::seconds patience = 120s) {
  delivery_report report;
  report.acknowledged_ids.assign(static_cast<std::size_t>(count), false);
  std::atomic<int> next{0};
  std::atomic<int> acknowledged{0};
  std::mutex mu;
  const auto give_up_at = std::chrono::steady_clock::now() + patience;
  auto sender = [&] {
    for (int i = next++; i < count; i = next++) {
      const std::string body = webhook_body(i);
      const std::vector<std::pair<std::string, std::string>> headers{
          {"Content-Type", "application/json"},
          {"X-Hub-Signature-256", pons::meta::sign_body(body, default_app_secret)}};
      while (std::chrono::steady_clock::now() < give_up_at) {
        auto r = post_once(port, body, headers);
        if (r && r->status == 200) {
          {
            std::lock_guard lock(mu);
            report.acknowledged_ids[static_cast<std::size_t>(i)] = true;
          }
          progress(++acknowledged);
          break;
        }
        {
          std::lock_guard lock(mu);
          ++report.refusals[r ? r->status : 0];
        }
        std::this_thread::sleep_for(20ms);  // Meta waits before it delivers again
      }
    }
  };
  std::vector<std::thread> threads;
  for (int s = 0; s < senders; ++s) threads.emplace_back(sender);
  for (auto& t : threads) t.join();
  report.acknowledged = acknowledged;
  return report;
}

std::string describe(const delivery_report& r) {
  std::string out = "acknowledged " + std::to_string(r.acknowledged) + "; refusals:";
  for (const auto& [status, n] : r.refusals) {
    out += " " + std::to_string(n) + "x" + (status ? std::to_string(status) : "no answer");
  }
  return out;
}

// Two instances on one cluster behind HAProxy.
struct scaled_out {
  pg_cluster cluster;
  webhook_process a{default_webhook_env(), {}, std::nullopt, cluster.url()};
  webhook_process b{default_webhook_env(), {}, std::nullopt, cluster.url()};
  std::optional<haproxy_process> balancer;

  scaled_out() {
    REQUIRE(a.started());
    REQUIRE(b.started());
    balancer.emplace(std::vector<std::uint16_t>{a.port(), b.port()});
    INFO("haproxy: " << balancer->log());
    REQUIRE(balancer->started());
  }

  std::int64_t count(const std::string& sql) const { return a.count(sql); }
};

}  // namespace

TEST_CASE("scale-out: an instance killed under load loses no acknowledged webhook",
          "[pg][webhook][process][scale-out]") {
  REQUIRE(pg_cluster_available());
  REQUIRE(haproxy_available());
  scaled_out world;
  constexpr int webhooks = 600;
  std::atomic<bool> killed{false};
  auto report = deliver(world.balancer->port(), webhooks, 6, [&](int acknowledged) {
    // A third of the way in, one instance dies mid-stream: no shutdown, requests in flight cut.
    if (acknowledged >= webhooks / 3 && !killed.exchange(true)) world.b.proc().signal(SIGKILL);
  });
  INFO(describe(report) << "\nsurvivor: " << world.a.log());
  CHECK(killed);
  CHECK(world.b.proc().wait_exit(10s) == 128 + SIGKILL);
  // Every webhook was answered 200 in the end (by the survivor after the kill), and each
  // message is there exactly once: none acknowledged and lost, none stored twice.
  CHECK(report.acknowledged == webhooks);
  CHECK(world.count("SELECT count(*) FROM messages WHERE wamid LIKE 'wamid.SCALE%'") == webhooks);
  CHECK(world.count("SELECT count(DISTINCT wamid) FROM messages") ==
        world.count("SELECT count(*) FROM messages"));
  CHECK(world.count("SELECT count(*) FROM contacts WHERE wa_id LIKE '4477009003_'") == 10);
  // The survivor still serves.
  auto health = world.a.get("/health");
  REQUIRE(health.has_value());
  CHECK(health->status == 200);
}

TEST_CASE("scale-out: the database stopped under load refuses webhooks, then loses none",
          "[pg][webhook][process][scale-out]") {
  REQUIRE(pg_cluster_available());
  REQUIRE(haproxy_available());
  scaled_out world;
  constexpr int webhooks = 600;
  std::atomic<bool> stopped{false};
  std::atomic<int> acknowledged_when_stopped{0};
  std::thread outage;
  auto report = deliver(world.balancer->port(), webhooks, 6, [&](int acknowledged) {
    if (acknowledged < webhooks / 3 || stopped.exchange(true)) return;
    acknowledged_when_stopped = acknowledged;
    // The server goes down (connections cut as in a crash) for a while, then comes back; the
    // instances find out on their own and connect again.
    outage = std::thread([&] {
      world.cluster.stop();
      std::this_thread::sleep_for(1500ms);
      world.cluster.start();
    });
  });
  if (outage.joinable()) outage.join();
  INFO(describe(report) << "\na: " << world.a.log() << "\nb: " << world.b.log());
  REQUIRE(stopped);
  // While the server was down, webhooks were refused with 503 (by the instances, which cannot
  // reach it, or by the balancer once their /health failed) and nothing else, and delivered
  // again.
  REQUIRE(report.refusals.count(503) == 1);
  CHECK(report.refusals.at(503) > 0);
  CHECK(report.refusals.size() == 1);
  // Nothing acknowledged was lost, nothing stored twice, and both instances serve again.
  CHECK(report.acknowledged == webhooks);
  CHECK(world.count("SELECT count(*) FROM messages WHERE wamid LIKE 'wamid.SCALE%'") == webhooks);
  CHECK(world.count("SELECT count(DISTINCT wamid) FROM messages") ==
        world.count("SELECT count(*) FROM messages"));
  for (auto* instance : {&world.a, &world.b}) {
    auto health = instance->get("/health");
    REQUIRE(health.has_value());
    CHECK(health->status == 200);
  }
}
