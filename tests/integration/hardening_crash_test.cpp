// Crash and restart: pons-webhook is killed with SIGKILL at random moments while load generators
// send signed, unique payloads over keep-alive connections, then restarted. Every webhook that
// was answered 200 must be stored exactly once, and every payload must be stored whole or not
// at all (no half-written batch).
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "hardening_support.hpp"

using namespace pons::test;
using namespace pons::test::hardening;
using namespace std::chrono_literals;

namespace {

struct sent_payload {
  std::string prefix;
  int messages = 0;
  bool acknowledged = false;  // answered 200
};

// Sends payloads to whatever port the current incarnation listens on until told to stop.
class load_generator {
 public:
  load_generator(int index, std::atomic<std::uint16_t>& port, std::atomic<bool>& stop)
      : index_(index), port_(port), stop_(stop) {}

  void run() {
    std::unique_ptr<http_connection> conn;
    std::uint16_t conn_port = 0;
    int seq = 0;
    std::mt19937 rng(static_cast<unsigned>(index_ * 7919 + 17));
    while (!stop_.load()) {
      std::uint16_t port = port_.load();
      if (port == 0) {
        std::this_thread::sleep_for(2ms);
        continue;
      }
      if (!conn || conn_port != port) {
        try {
          conn = std::make_unique<http_connection>(port);
          conn_port = port;
        } catch (const std::exception&) {
          conn.reset();
          std::this_thread::sleep_for(2ms);
          continue;
        }
      }
      sent_payload p;
      p.prefix = "wamid.crash." + std::to_string(index_) + "." + std::to_string(seq++);
      p.messages = 1 + static_cast<int>(rng() % 4);
      std::string body = numbered_payload(p.prefix, p.messages);
      bool sent = conn->send_request("POST", "/webhook/meta", body, signed_headers(body));
      std::optional<http_response> res;
      if (sent) res = conn->read_response(5s);
      if (res && res->status == 200) {
        p.acknowledged = true;
      } else {
        // Killed mid-request (or any other failure): the payload's fate is unknown, the
        // connection is dead. Its messages must be all there or all absent.
        if (res) ++other_statuses;
        conn.reset();
      }
      payloads.push_back(std::move(p));
    }
  }

  std::vector<sent_payload> payloads;
  int other_statuses = 0;

 private:
  int index_;
  std::atomic<std::uint16_t>& port_;
  std::atomic<bool>& stop_;
};

}  // namespace

TEST_CASE("SIGKILL during load loses no acknowledged webhook and half-writes nothing",
          "[hardening][crash]") {
  // 20 in every test run; scripts/bench runs 100 (PONS_CRASH_CYCLES, 1 to 1000).
  int cycles = 20;
  if (const char* v = std::getenv("PONS_CRASH_CYCLES")) cycles = std::clamp(std::atoi(v), 1, 1000);
  constexpr int generators = 3;
  temp_dir dir;
  restartable_webhook service(dir);
  REQUIRE(service.start());

  std::atomic<std::uint16_t> port{service.port()};
  std::atomic<bool> stop{false};
  std::vector<std::unique_ptr<load_generator>> gens;
  std::vector<std::thread> threads;
  for (int i = 0; i < generators; ++i) {
    gens.push_back(std::make_unique<load_generator>(i, port, stop));
    threads.emplace_back([g = gens.back().get()] { g->run(); });
  }

  std::random_device seed_source;
  unsigned seed = seed_source();
  INFO("kill schedule seed " << seed);
  std::mt19937 rng(seed);
  int restarts = 0;
  auto started = std::chrono::steady_clock::now();
  for (int cycle = 0; cycle < cycles; ++cycle) {
    // Let it take load for a random while (the first request after a restart included).
    std::this_thread::sleep_for(std::chrono::milliseconds(30 + rng() % 400));
    port.store(0);
    service.kill();
    REQUIRE(service.start());
    ++restarts;
    port.store(service.port());
  }
  std::this_thread::sleep_for(200ms);
  stop.store(true);
  for (auto& t : threads) t.join();
  auto elapsed = std::chrono::steady_clock::now() - started;
  // A clean stop, so the last incarnation also proves it can shut down after the abuse.
  CHECK(service.proc().stop(10s) == 0);

  db_probe db(service.db_path());
  REQUIRE(db.ok());
  CHECK(db.column("PRAGMA integrity_check") == std::vector<std::string>{"ok"});
  CHECK(db.column("PRAGMA foreign_key_check").empty());

  std::map<std::string, int> stored;  // prefix -> messages stored
  for (const auto& wamid :
       db.column("SELECT wamid FROM messages WHERE wamid LIKE 'wamid.crash.%'")) {
    stored[wamid.substr(0, wamid.rfind('.'))]++;
  }
  CHECK(db.integer("SELECT count(*) - count(DISTINCT wamid) FROM messages") == 0);
  // The rows written alongside each message agree with the messages: each has its wamid (its
  // idempotency check) and the conversation's unread count counts each stored message once.
  std::int64_t messages = db.integer("SELECT count(*) FROM messages");
  CHECK(db.integer("SELECT count(*) FROM messages WHERE wamid IS NULL") == 0);
  CHECK(db.integer("SELECT coalesce(sum(unread_count), 0) FROM conversations") == messages);

  int acknowledged = 0, unknown = 0, unknown_stored = 0, other = 0;
  for (const auto& g : gens) {
    other += g->other_statuses;
    for (const auto& p : g->payloads) {
      auto it = stored.find(p.prefix);
      int n = it == stored.end() ? 0 : it->second;
      INFO("payload " << p.prefix << " with " << p.messages << " messages, " << n << " stored");
      if (p.acknowledged) {
        ++acknowledged;
        CHECK(n == p.messages);
      } else {
        ++unknown;
        if (n) ++unknown_stored;
        CHECK((n == 0 || n == p.messages));
      }
    }
  }
  // Nothing we never sent is there (the prefixes all come from the generators).
  std::set<std::string> sent_prefixes;
  for (const auto& g : gens)
    for (const auto& p : g->payloads) sent_prefixes.insert(p.prefix);
  for (const auto& [prefix, n] : stored) CHECK(sent_prefixes.count(prefix) == 1);

  CHECK(restarts == cycles);
  CHECK(acknowledged > cycles);  // the load really ran between the kills
  CHECK(other == 0);             // no 5xx while up: a kill shows as a dead connection, not an error
  std::printf(
      "hardening-crash: cycles=%d acknowledged=%d unknown=%d unknown_stored=%d seconds=%.1f\n",
      restarts, acknowledged, unknown, unknown_stored,
      std::chrono::duration<double>(elapsed).count());
}
