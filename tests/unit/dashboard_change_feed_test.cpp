#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "pons/dashboard/change_feed.hpp"
#include "pons/dashboard/guard.hpp"
#include "pons/http/server.hpp"
#include "pons/store/account_repository.hpp"
#include "pons/store/api_key_repository.hpp"
#include "pons/store/database.hpp"
#include "support/process_http_client.hpp"
#include "unit/store_test_util.hpp"

using namespace std::chrono_literals;
using namespace pons::dashboard;
using pons::test::http_connection;

namespace {

// Hang protection only: every wait ends as soon as what it waits for arrives.
constexpr auto patience = 60s;

// The end of a chunked body: its last, empty chunk.
constexpr std::string_view last_chunk = "\r\n0\r\n\r\n";

// A feed on a real server on a loopback port, with an API key of account 111 to open streams
// with; its own thread runs the server, stopped and joined on destruction.
struct feed_fixture {
  pons::store::test::temp_dir dir;
  std::shared_ptr<locked_database> db = std::make_shared<locked_database>(std::move(
      pons::store::database::open(pons::store::test::test_database_location(dir)).value()));
  guard access{db, {}};
  std::string key;
  boost::asio::io_context io{1};
  std::unique_ptr<change_feed> feed;
  std::unique_ptr<pons::http::server> srv;
  std::uint16_t port = 0;
  std::thread thread;

  explicit feed_fixture(feed_options options) {
    const auto now = std::chrono::system_clock::now();
    pons::store::account_record a;
    a.waba_id = "111";
    REQUIRE(upsert_account(db->db, a, now).has_value());
    auto k = pons::store::create_api_key(db->db, {"script", {"read"}, "111", {}}, now);
    REQUIRE(k.has_value());
    key = k->secret;

    feed = std::make_unique<change_feed>(io, access, options);
    pons::http::router routes;
    feed->add_routes(routes);
    pons::http::server_options so;
    so.port = 0;
    so.log_sink = [](std::string_view) {};
    srv = std::make_unique<pons::http::server>(io, so, std::move(routes));
    port = srv->listen().value();
    thread = std::thread([this] { io.run(); });
  }
  ~feed_fixture() {
    boost::asio::post(io, [this] {
      feed->close();
      srv->stop();
    });
    thread.join();
  }

  // A stream opened with the key, once its `ready` has arrived.
  std::unique_ptr<http_connection> ready_stream() {
    auto c = std::make_unique<http_connection>(port);
    REQUIRE(c->send_request("GET", "/api/v1/events", {}, {{"Authorization", "Bearer " + key}}));
    INFO(c->received());
    REQUIRE(c->read_until("event: ready\ndata: {}\n\n", patience));
    return c;
  }
};

feed_change conversation(std::int64_t id, std::string waba) {
  feed_change c;
  c.conversations = {{id, std::move(waba)}};
  return c;
}

}  // namespace

TEST_CASE("change feed: a change published from another thread reaches the stream",
          "[dashboard][feed][backends]") {
  feed_fixture f({});
  auto stream = f.ready_stream();
  // Another account's change first: in order, so had it been sent it would come before.
  f.feed->publish(conversation(41, "222"));
  f.feed->publish(conversation(42, "111"));
  INFO(stream->received());
  REQUIRE(stream->read_until("\"conversations\":[42]", patience));
  CHECK(stream->received().find("[41]") == std::string::npos);
}

TEST_CASE("change feed: an idle stream sends its keep-alive comment",
          "[dashboard][feed][backends]") {
  feed_options o;
  o.keepalive_interval = 10ms;
  feed_fixture f(o);
  auto stream = f.ready_stream();
  INFO(stream->received());
  CHECK(stream->read_until(": keep-alive\n\n", patience));
}

TEST_CASE("change feed: a client too far behind is closed, not buffered for",
          "[dashboard][feed][backends]") {
  feed_options o;
  o.backlog = 4;
  o.max_per_principal = 1;
  feed_fixture f(o);
  auto stream = f.ready_stream();
  // Published in one turn of the io thread: every delivery runs before the stream can write
  // one event, so its backlog overflows and it ends without sending any of them.
  boost::asio::post(f.io, [&] {
    for (int i = 1; i <= 10; ++i) f.feed->publish(conversation(i, "111"));
  });
  INFO(stream->received());
  REQUIRE(stream->read_until(last_chunk, patience));
  CHECK(stream->received().find("event: changed") == std::string::npos);
  // It may open a new stream at once (one is all it may hold): its place was given back.
  CHECK(f.ready_stream());
}

TEST_CASE("change feed: a stream ends when its age is up, and on close",
          "[dashboard][feed][backends]") {
  SECTION("age") {
    feed_options o;
    o.max_age = 10ms;
    feed_fixture f(o);
    auto stream = f.ready_stream();
    INFO(stream->received());
    CHECK(stream->read_until(last_chunk, patience));
  }
  SECTION("close") {
    feed_fixture f({});
    auto stream = f.ready_stream();
    f.feed->close();
    INFO(stream->received());
    CHECK(stream->read_until(last_chunk, patience));
    // Refused afterwards: the service is stopping.
    auto late = pons::test::http_request(f.port, "GET", "/api/v1/events", {},
                                         {{"Authorization", "Bearer " + f.key}});
    REQUIRE(late);
    CHECK(late->status == 503);
  }
}

TEST_CASE("change feed: the limit in all counts every principal", "[dashboard][feed][backends]") {
  feed_options o;
  o.max_streams = 2;
  feed_fixture f(o);
  auto one = f.ready_stream();
  auto two = f.ready_stream();
  auto third = pons::test::http_request(f.port, "GET", "/api/v1/events", {},
                                        {{"Authorization", "Bearer " + f.key}});
  REQUIRE(third);
  CHECK(third->status == 429);
  CHECK(third->header("Retry-After") == "10");
}
