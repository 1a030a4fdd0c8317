// Tool calls wait for the webhooks being written (webhook_service::wait_while_writing), with the
// writer held by another connection's write lock so that "being written" lasts as long as the
// test wants.
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <thread>

#include "pons/store/database.hpp"
#include "unit/webhook_service_harness.hpp"

using namespace pons::test::in_process;
using namespace std::chrono_literals;

TEST_CASE("webhook: wait_while_writing returns once the webhooks in hand are stored",
          "[webhook][yield]") {
  pons::store::test::temp_dir dir;
  boost::asio::io_context io{1};
  auto so = service_options(dir);
  serving running(io, std::move(so));
  CHECK(running.service.wait_while_writing(0us));  // nothing in hand
  // A /health probe passes through the writer too, but it is not a webhook: nothing waits for it.
  auto health = pons::test::http_request(running.port, "GET", "/health");
  REQUIRE(health);
  CHECK(health->status == 200);
  CHECK(running.service.wait_while_writing(1s));

  // Another connection holds the write lock: the writer waits for it (its busy timeout is
  // seconds), so the webhook stays "being written".
  auto locker = pons::store::database::open(dir.file("pons.db")).value();
  REQUIRE(locker.exec("BEGIN IMMEDIATE").has_value());
  auto answer =
      std::async(std::launch::async, [&] { return post_message(running.port, "wamid.yield.1"); });
  while (running.service.wait_while_writing(0us)) {
    REQUIRE(answer.wait_for(1ms) == std::future_status::timeout);  // not answered without the lock
  }
  CHECK_FALSE(running.service.wait_while_writing(1ms));  // still held: it gives up

  // A tool call's wait: when it returns, the webhook is stored.
  auto waited = std::async(std::launch::async, [&] {
    const bool idle = running.service.wait_while_writing(10min);
    auto reader = pons::store::database::open(dir.file("pons.db")).value();
    return std::pair(idle, reader.query_int64("SELECT count(*) FROM messages").value());
  });
  std::this_thread::sleep_for(100ms);  // lets the waiter start; it must not return meanwhile
  REQUIRE(locker.exec("ROLLBACK").has_value());
  const auto [idle, stored] = waited.get();
  CHECK(idle);
  CHECK(stored == 1);
  auto response = answer.get();
  REQUIRE(response);
  CHECK(response->status == 200);
  running.stop();
}
