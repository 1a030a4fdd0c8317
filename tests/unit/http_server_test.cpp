#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <future>
#include <map>
#include <optional>
#include <thread>

#include "pons/http/query.hpp"
#include "pons/http/server.hpp"
#include "pons/webhook/bounded_queue.hpp"
#include "pons/webhook/metrics.hpp"
#include "pons/webhook/webhook_service.hpp"
#include "support/process_http_client.hpp"

using namespace pons::http;
using namespace pons::webhook;
using namespace std::chrono_literals;

TEST_CASE("router: exact paths, 404 and 405 with Allow", "[http]") {
  router r;
  handler h = [](server_request&) -> boost::asio::awaitable<server_response> {
    co_return server_response{};
  };
  r.add("GET", "/a", h);
  r.add("POST", "/a", h);
  r.add("GET", "/b", h);
  auto ok = r.find("POST", "/a");
  CHECK(ok.found != nullptr);
  CHECK(ok.route == "/a");
  auto wrong = r.find("PUT", "/a");
  CHECK(wrong.found == nullptr);
  CHECK(wrong.status == 405);
  CHECK(wrong.allow == "GET, POST");
  auto missing = r.find("GET", "/a/");
  CHECK(missing.status == 404);
  CHECK(missing.route == "other");
}

TEST_CASE("request ids: printable, bounded", "[http]") {
  CHECK(valid_request_id("abc-123_XYZ.:/"));
  CHECK(valid_request_id(std::string(128, 'a')));
  CHECK_FALSE(valid_request_id(std::string(129, 'a')));
  CHECK_FALSE(valid_request_id(""));
  CHECK_FALSE(valid_request_id("has space"));
  CHECK_FALSE(valid_request_id("line\nbreak"));
  CHECK_FALSE(valid_request_id("quote\""));
  CHECK_FALSE(valid_request_id("caf\xc3\xa9"));
}

TEST_CASE("request headers are looked up case-insensitively", "[http]") {
  server_request req;
  req.headers = {{"X-Hub-Signature-256", "sha256=ab"}, {"Content-Type", "a"}};
  CHECK(req.header("x-hub-signature-256") == "sha256=ab");
  CHECK(req.has_header("CONTENT-TYPE"));
  CHECK(req.header("missing").empty());
}

TEST_CASE("query parameters are percent-decoded", "[http]") {
  std::string_view q = "hub.mode=subscribe&hub.challenge=a%2Fb+c%zz&empty=&flag";
  CHECK(query_param(q, "hub.mode") == "subscribe");
  CHECK(query_param(q, "hub.challenge") == "a/b c%zz");
  CHECK(query_param(q, "empty") == "");
  CHECK(query_param(q, "flag") == "");
  CHECK_FALSE(query_param(q, "absent"));
  CHECK(query_param("hub%2Emode=x", "hub.mode") == "x");
}

TEST_CASE("a malformed query is still read, stray characters taken literally", "[http]") {
  CHECK(query_param("k=50%", "k") == "50%");
  CHECK(query_param("k=a b#c\"&x=1", "k") == "a b#c\"");
  CHECK(query_param("k=a b&x=%41", "x") == "A");
  CHECK(query_param("a+b=c", "a b") == "c");
  CHECK_FALSE(query_param("", ""));
}

TEST_CASE("handshake needs subscribe, a configured token and a challenge", "[http]") {
  pons::meta::account_config cfg;
  cfg.accounts.push_back({"w", "secret", "tok", "", {{"1", ""}}, "env"});
  CHECK(handshake_challenge(cfg, "hub.mode=subscribe&hub.verify_token=tok&hub.challenge=42") ==
        "42");
  CHECK_FALSE(handshake_challenge(cfg, "hub.mode=subscribe&hub.verify_token=tok2&hub.challenge=4"));
  CHECK_FALSE(
      handshake_challenge(cfg, "hub.mode=unsubscribe&hub.verify_token=tok&hub.challenge=4"));
  CHECK_FALSE(handshake_challenge(cfg, "hub.mode=subscribe&hub.verify_token=tok"));
}

TEST_CASE("bounded queue refuses when full and hands out batches", "[http]") {
  bounded_queue<int> q(3);
  for (int i = 0; i < 3; ++i) {
    int v = i;
    CHECK(q.try_push(v));
  }
  int extra = 9;
  CHECK_FALSE(q.try_push(extra));
  CHECK(q.push_unbounded(10));
  CHECK(q.size() == 4);
  std::vector<int> out;
  CHECK(q.pop_batch(out, 2));
  CHECK(out == std::vector<int>{0, 1});
  out.clear();
  // The unbounded item does not count against the capacity: two places are free again.
  int more = 12;
  CHECK(q.try_push(more));
  int more2 = 13;
  CHECK(q.try_push(more2));
  int refused = 14;
  CHECK_FALSE(q.try_push(refused));
  CHECK(q.pop_batch(out, 2));
  CHECK(out == std::vector<int>{2, 10});
  out.clear();
  q.close();
  int late = 11;
  CHECK_FALSE(q.try_push(late));
  CHECK(q.pop_batch(out, 10));
  CHECK(out == std::vector<int>{12, 13});
  out.clear();
  CHECK_FALSE(q.pop_batch(out, 10));
}

TEST_CASE("bounded queue wakes a waiting consumer", "[http]") {
  bounded_queue<int> q(8);
  std::vector<int> got;
  std::thread consumer([&] {
    std::vector<int> batch;
    while (q.pop_batch(batch, 8)) {
      got.insert(got.end(), batch.begin(), batch.end());
      batch.clear();
    }
  });
  for (int i = 0; i < 5; ++i) CHECK(q.push_unbounded(i));
  q.close();
  consumer.join();
  CHECK(got == std::vector<int>{0, 1, 2, 3, 4});
}

TEST_CASE("metrics render counters and a cumulative histogram", "[http]") {
  metrics m;
  m.count_request("/webhook/meta", 200);
  m.count_request("/webhook/meta", 200);
  m.count_request("other", 404);
  m.count_signature_failure();
  m.count_duplicates(3);
  m.observe_ingest(std::chrono::microseconds(1500));
  m.observe_ingest(std::chrono::milliseconds(30));
  auto text = m.render("extra_gauge 1\n");
  CHECK(text.find("pons_http_requests_total{route=\"/webhook/meta\",status=\"200\"} 2") !=
        std::string::npos);
  CHECK(text.find("pons_http_requests_total{route=\"other\",status=\"404\"} 1") !=
        std::string::npos);
  CHECK(text.find("pons_webhook_signature_failures_total 1") != std::string::npos);
  CHECK(text.find("pons_webhook_duplicates_total 3") != std::string::npos);
  CHECK(text.find("pons_webhook_ingest_seconds_bucket{le=\"0.001\"} 0") != std::string::npos);
  CHECK(text.find("pons_webhook_ingest_seconds_bucket{le=\"0.002\"} 1") != std::string::npos);
  CHECK(text.find("pons_webhook_ingest_seconds_bucket{le=\"0.05\"} 2") != std::string::npos);
  CHECK(text.find("pons_webhook_ingest_seconds_count 2") != std::string::npos);
  CHECK(text.find("extra_gauge 1\n") != std::string::npos);
}

namespace {

// A real server on a loopback port, run by its own thread; stopped and joined on destruction.
struct running_server {
  boost::asio::io_context io{1};
  std::unique_ptr<server> srv;
  std::uint16_t port = 0;
  std::thread thread;

  explicit running_server(server_options opt) {
    opt.bind_address = "127.0.0.1";
    opt.port = 0;
    opt.log_sink = [](std::string_view) {};
    router r;
    r.add("GET", "/health", [](server_request&) -> boost::asio::awaitable<server_response> {
      server_response res;
      res.body = "ok\n";
      co_return res;
    });
    r.add("POST", "/sink", [](server_request&) -> boost::asio::awaitable<server_response> {
      co_return server_response{};
    });
    r.add("GET", "/stream", [](server_request&) -> boost::asio::awaitable<server_response> {
      server_response res;
      res.content_type = "text/event-stream";
      res.headers.emplace_back("Cache-Control", "no-cache");
      res.stream = [](body_writer& w) -> boost::asio::awaitable<void> {
        co_await w.write("hello");
        co_await w.write("");  // nothing to send: must not end the body early
        co_await w.write(" world");
      };
      co_return res;
    });
    r.add("GET", "/stream-last", [](server_request&) -> boost::asio::awaitable<server_response> {
      server_response res;
      res.content_type = "text/event-stream";
      res.stream = [](body_writer& w) -> boost::asio::awaitable<void> {
        co_await w.write("hello");
        bool sent = co_await w.write_last(" world");
        // The body has ended: nothing more goes out.
        bool after = co_await w.write(" again");
        bool last_again = co_await w.write_last(" and again");
        if (!sent || after || last_again) co_await w.write("unexpected");
      };
      co_return res;
    });
    // The head held for the body: the producer says it has started, then waits for release().
    r.add("GET", "/held", [this](server_request& req) -> boost::asio::awaitable<server_response> {
      server_response res;
      res.content_type = "text/event-stream";
      res.head_with_body = true;
      const bool empty = req.query == "empty=1";
      res.stream = [this, empty](body_writer& w) -> boost::asio::awaitable<void> {
        producing = true;
        co_await gate.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
        if (!empty) co_await w.write_last("hello");
      };
      co_return res;
    });
    srv = std::make_unique<server>(io, std::move(opt), std::move(r));
    port = srv->listen().value();
    thread = std::thread([this] { io.run(); });
  }
  ~running_server() {
    release();  // a held producer must not keep the server from stopping
    srv->stop();
    thread.join();
  }

  boost::asio::steady_timer gate{io, boost::asio::steady_timer::time_point::max()};
  std::atomic<bool> producing = false;
  void release() {
    boost::asio::post(io, [this] { gate.cancel(); });
  }

  // The server's metrics, read on its own thread.
  std::string metrics() {
    std::promise<std::string> p;
    auto f = p.get_future();
    boost::asio::post(io, [&] { p.set_value(srv->metrics_text()); });
    return f.get();
  }

  // Waits until `line` appears in the metrics; false after the hang protection.
  bool wait_for(const std::string& line, std::chrono::seconds hang_protection = 60s) {
    auto deadline = std::chrono::steady_clock::now() + hang_protection;
    while (std::chrono::steady_clock::now() < deadline) {
      if (metrics().find(line + "\n") != std::string::npos) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }
};

// A POST whose body is still on its way: the connection is busy, not waiting.
std::unique_ptr<pons::test::http_connection> busy_from(std::uint16_t port, const char* source) {
  auto c = std::make_unique<pons::test::http_connection>(port, "127.0.0.1", source);
  c->send_raw("POST /sink HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n");
  return c;
}

}  // namespace

TEST_CASE("server: a full server with every connection busy answers a newcomer 503", "[http]") {
  server_options opt;
  opt.max_connections = 3;
  opt.max_connections_per_address = 2;
  running_server s(opt);
  std::vector<std::unique_ptr<pons::test::http_connection>> busy;
  busy.push_back(busy_from(s.port, "127.0.0.1"));
  busy.push_back(busy_from(s.port, "127.0.0.1"));
  busy.push_back(busy_from(s.port, "127.0.0.2"));
  REQUIRE(s.wait_for("pons_http_connections{state=\"busy\"} 3"));

  // A third address, under its own limit: the server is full, and nobody can make room.
  pons::test::http_connection refused(s.port, "127.0.0.1", "127.0.0.3");
  auto r = refused.read_response(30s);
  REQUIRE(r);
  CHECK(r->status == 503);
  CHECK(r->header("retry-after") == "1");
  CHECK(refused.closed_by_peer(30s));
  CHECK(s.metrics().find("pons_http_connections_refused_total 1\n") != std::string::npos);

  // Once a request is answered its connection waits, and the next newcomer takes its place.
  REQUIRE(busy[2]->send_raw("body"));
  auto answered = busy[2]->read_response(30s);
  REQUIRE(answered);
  CHECK(answered->status == 200);
  REQUIRE(s.wait_for("pons_http_connections{state=\"waiting\"} 1"));
  pons::test::http_connection admitted(s.port, "127.0.0.1", "127.0.0.3");
  REQUIRE(admitted.send_request("GET", "/health", {}));
  auto h = admitted.read_response(30s);
  REQUIRE(h);
  CHECK(h->status == 200);
  CHECK(busy[2]->closed_by_peer(30s));
  CHECK(s.metrics().find("pons_http_connections_evicted_total 1\n") != std::string::npos);
  for (auto& c : busy) c->send_raw("body");
}

// What each descriptor number below `limit` refers to, read with readlink(2), which needs no
// descriptor of its own; free numbers are left out.
std::map<int, std::string> open_descriptors(int limit) {
  std::map<int, std::string> out;
  for (int fd = 0; fd < limit; ++fd) {
    std::array<char, 256> target{};
    auto link = fmt::format("/proc/self/fd/{}", fd);
    auto n = ::readlink(link.c_str(), target.data(), target.size() - 1);
    if (n >= 0) out.emplace(fd, std::string(target.data(), static_cast<std::size_t>(n)));
  }
  return out;
}

TEST_CASE("server: out of descriptors, the oldest silent connection gives up its own", "[http]") {
  server_options opt;
  // No deadline frees a descriptor during the test: only the accept loop can.
  opt.header_timeout = 600s;
  running_server s(opt);
  rlimit before{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &before) == 0);
  // The clients' sockets exist before the limit is lowered, and connecting takes no descriptor:
  // the server's accepts are what needs one, and there is room for two.
  constexpr std::size_t clients = 12;
  constexpr std::size_t room = 2;
  std::vector<std::unique_ptr<pons::test::http_connection>> silent;
  for (std::size_t i = 0; i < clients; ++i)
    silent.push_back(std::make_unique<pons::test::http_connection>(
        pons::test::http_connection::unconnected_t{}));
  int highest = -1;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd"))
    highest = std::max(highest, std::stoi(e.path().filename().string()));
  const int limit = highest + 1;
  rlimit tight = before;
  tight.rlim_cur = static_cast<rlim_t>(limit);
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &tight) == 0);
  // Every free number below the limit is taken, then `room` are given back.
  std::vector<int> placeholders;
  for (int fd; (fd = ::open("/dev/null", O_RDONLY)) >= 0;) placeholders.push_back(fd);
  for (std::size_t i = 0; i < room && !placeholders.empty(); ++i) {
    ::close(placeholders.back());
    placeholders.pop_back();
  }
  const auto at_start = open_descriptors(limit);
  // One client at a time, each accepted before the next connects, so the order in which the
  // server sees them is the order here (two connects in a row may reach the backlog swapped).
  std::size_t connected = 0;
  bool each_accepted = true;
  try {
    for (auto& c : silent) {
      c->connect(s.port);
      ++connected;
      each_accepted = each_accepted &&
                      s.wait_for(fmt::format("pons_http_connections_accepted_total {}", connected));
    }
  } catch (...) {
  }
  // Every number is in use once the accept loop has settled (it lends its spare out for a
  // moment at a time): an eviction that came without a client in hand would leave one free.
  auto at_end = open_descriptors(limit);
  for (int wait = 0; wait < 3000 && at_end.size() != static_cast<std::size_t>(limit); ++wait) {
    std::this_thread::sleep_for(10ms);
    at_end = open_descriptors(limit);
  }
  const auto m = s.metrics();
  const auto counter = [&m](std::string_view name) -> std::optional<std::size_t> {
    auto at = m.find(fmt::format("\n{} ", name));
    if (at == std::string::npos) return std::nullopt;
    return std::stoul(m.substr(at + name.size() + 2));
  };
  const auto evicted = counter("pons_http_connections_evicted_total").value_or(clients);
  // Anything else in this process that opened a descriptor meanwhile took some of the room; the
  // server then keeps fewer connections, still the newest, and still fills every number.
  std::vector<std::string> others;
  for (const auto& [fd, target] : at_end)
    if (!at_start.contains(fd) && target.rfind("socket:", 0) != 0 && target != "/dev/null")
      others.push_back(fmt::format("{}->{}", fd, target));
  // The counters that tell a failure apart come first: a long report may be cut short.
  INFO(
      fmt::format("each accepted in turn: {}; accepted {}; evicted {}; accept errors {}; in use "
                  "{} of {}; opened elsewhere: [{}]",
                  each_accepted, counter("pons_http_connections_accepted_total").value_or(0),
                  evicted, counter("pons_http_accept_errors_total").value_or(0), at_end.size(),
                  limit, fmt::join(others, " ")));
  REQUIRE(connected == clients);
  CHECK(each_accepted);
  CHECK(counter("pons_http_connections_accepted_total") == clients);
  CHECK(at_end.size() == static_cast<std::size_t>(limit));
  CHECK(evicted >= clients - room);
  CHECK(evicted < clients);
  // The oldest `evicted` clients lost their connections; every newer one is served.
  for (std::size_t i = 0; i < clients && i < evicted; ++i) CHECK(silent[i]->closed_by_peer(30s));
  for (std::size_t i = evicted; i < clients; ++i) {
    auto& c = *silent[i];
    auto r = c.send_request("GET", "/health", {}) ? c.read_response(60s) : std::nullopt;
    INFO("client " << i);
    CHECK((r && r->status == 200));
  }
  ::setrlimit(RLIMIT_NOFILE, &before);
  for (int fd : placeholders) ::close(fd);
}

TEST_CASE("server: a streamed answer goes out in chunks, raw on HTTP/1.0", "[http]") {
  running_server s(server_options{});
  pons::test::http_connection c(s.port);
  REQUIRE(c.send_request("GET", "/stream", {}, {}, false));
  auto r = c.read_response(30s);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->header("content-type") == "text/event-stream");
  CHECK(r->header("cache-control") == "no-cache");
  CHECK(r->header("transfer-encoding") == "chunked");
  CHECK(r->header("content-length").empty());
  CHECK(r->body == "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");

  pons::test::http_connection old(s.port);
  REQUIRE(old.send_raw("GET /stream HTTP/1.0\r\nHost: x\r\n\r\n"));
  auto r10 = old.read_response(30s);
  REQUIRE(r10);
  CHECK(r10->status == 200);
  CHECK(r10->header("transfer-encoding").empty());
  CHECK(r10->body == "hello world");
}

TEST_CASE("server: a held head goes out with the body's first piece, or at its end", "[http]") {
  for (const bool empty : {false, true}) {
    INFO((empty ? "a producer that writes nothing" : "a producer that writes"));
    running_server s(server_options{});
    pons::test::http_connection c(s.port);
    REQUIRE(c.send_request("GET", empty ? "/held?empty=1" : "/held", {}, {}, true));
    const auto hang_protection = std::chrono::steady_clock::now() + 60s;
    while (!s.producing && std::chrono::steady_clock::now() < hang_protection) {
      std::this_thread::sleep_for(1ms);
    }
    REQUIRE(s.producing);
    // A head sent at once would be in the client's buffer by now: loopback delivers in the send.
    char probe = 0;
    CHECK(::recv(c.fd(), &probe, 1, MSG_PEEK | MSG_DONTWAIT) < 0);
    s.release();
    REQUIRE(c.read_until("0\r\n\r\n", 30s));
    // The head, then the body and its end; the connection stays usable after the answer.
    REQUIRE(c.send_request("GET", "/health", {}, {}, false));
    REQUIRE(c.read_until("ok\n", 30s));
    const std::string got = c.received();
    CHECK(got.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    CHECK_THAT(got, Catch::Contains("Content-Type: text/event-stream\r\n"));
    CHECK_THAT(got, Catch::Contains("Transfer-Encoding: chunked\r\n"));
    CHECK_THAT(got, Catch::Contains(empty ? "\r\n\r\n0\r\n\r\nHTTP/1.1 200"
                                          : "\r\n\r\n5\r\nhello\r\n0\r\n\r\nHTTP/1.1 200"));

    // HTTP/1.0: the head and the raw body, then the connection closes.
    running_server s10(server_options{});
    pons::test::http_connection old(s10.port);
    REQUIRE(old.send_raw(empty ? "GET /held?empty=1 HTTP/1.0\r\nHost: x\r\n\r\n"
                               : "GET /held HTTP/1.0\r\nHost: x\r\n\r\n"));
    while (!s10.producing && std::chrono::steady_clock::now() < hang_protection) {
      std::this_thread::sleep_for(1ms);
    }
    REQUIRE(s10.producing);
    s10.release();
    auto r10 = old.read_response(30s);
    REQUIRE(r10);
    CHECK(r10->status == 200);
    CHECK(r10->header("transfer-encoding").empty());
    CHECK(r10->body == (empty ? "" : "hello"));
  }
}

TEST_CASE("server: a streamed answer's last piece carries the end of the body", "[http]") {
  running_server s(server_options{});
  pons::test::http_connection c(s.port);
  REQUIRE(c.send_request("GET", "/stream-last", {}, {}, true));
  REQUIRE(c.read_until("0\r\n\r\n", 30s));
  // The connection stays usable, and nothing came between the end of the body and the next
  // answer: the end was sent once, and no write after it went out.
  REQUIRE(c.send_request("GET", "/health", {}, {}, false));
  REQUIRE(c.read_until("ok\n", 30s));
  CHECK_THAT(c.received(),
             Catch::Contains("\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nHTTP/1.1 200"));

  pons::test::http_connection old(s.port);
  REQUIRE(old.send_raw("GET /stream-last HTTP/1.0\r\nHost: x\r\n\r\n"));
  auto r10 = old.read_response(30s);
  REQUIRE(r10);
  CHECK(r10->body == "hello world");
}
