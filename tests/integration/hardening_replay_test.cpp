// Replay storm: Meta delivers at least once, so the same batch may arrive several times at once.
// Ten concurrent deliveries of one batch must leave exactly one copy of each row, and the
// conversation's unread count must count each message once.
#include <atomic>
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "hardening_support.hpp"

using namespace pons::test;
using namespace pons::test::hardening;
using namespace std::chrono_literals;

TEST_CASE("The same batch delivered 10 times concurrently is stored once", "[hardening][replay]") {
  constexpr int copies = 10;
  constexpr int rounds = 4;
  constexpr int messages_per_batch = 5;
  webhook_process service;
  REQUIRE(service.started());

  for (int round = 0; round < rounds; ++round) {
    std::string prefix = "wamid.storm." + std::to_string(round);
    std::vector<std::string> items;
    for (int i = 0; i < messages_per_batch; ++i) {
      std::string wamid = prefix + "." + std::to_string(i);
      items.push_back(text_message(wamid, "storm " + wamid));
    }
    // A status for a message we never sent rides along: its history row must not multiply.
    std::string body = payload(items, {status_item(prefix + ".out", "delivered")});

    // Open every connection first, then release all requests at once.
    std::vector<std::unique_ptr<http_connection>> conns;
    for (int i = 0; i < copies; ++i)
      conns.push_back(std::make_unique<http_connection>(service.port()));
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<int> statuses(copies, 0);
    std::vector<std::thread> threads;
    for (int i = 0; i < copies; ++i) {
      threads.emplace_back([&, i] {
        ready++;
        while (!go.load()) std::this_thread::yield();
        if (!conns[i]->send_request("POST", "/webhook/meta", body, signed_headers(body))) return;
        if (auto r = conns[i]->read_response(10s)) statuses[i] = r->status;
      });
    }
    while (ready.load() < copies) std::this_thread::yield();
    go.store(true);
    for (auto& t : threads) t.join();

    INFO("round " << round << " body " << body);
    for (int s : statuses) CHECK(s == 200);
    CHECK(service.count("SELECT count(*) FROM messages WHERE wamid LIKE '" + prefix + ".%'") ==
          messages_per_batch);
    CHECK(service.count("SELECT count(*) FROM message_status_events WHERE wamid = '" + prefix +
                        ".out'") == 1);
    // The status's idempotency key; the messages are deduplicated by their wamids.
    CHECK(service.count("SELECT count(*) FROM processed_events WHERE key LIKE '%" + prefix +
                        ".%'") == 1);
  }
  // One contact, one conversation, each message counted once as unread.
  CHECK(service.count("SELECT count(*) FROM contacts") == 1);
  CHECK(service.count("SELECT count(*) FROM conversations") == 1);
  CHECK(service.count("SELECT unread_count FROM conversations") == rounds * messages_per_batch);
  CHECK(service.count("SELECT count(*) FROM messages") == rounds * messages_per_batch);
  CHECK(service.get("/health")->status == 200);
}
