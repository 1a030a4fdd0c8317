// The /mcp transport in process, on a loopback server, with a test authenticator: who may use a
// session, and what a refusal carries.
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

#include "pons/http/server.hpp"
#include "pons/mcp_http/transport.hpp"
#include "support/process_http_client.hpp"

using namespace pons;
using pons::test::http_request;
using namespace std::chrono_literals;

namespace {

// Bearer a and Bearer b are two principals, Bearer slow is rate limited, anything else is 401.
mcp_http::auth_decision test_authenticator(const http::server_request& req) {
  mcp_http::auth_decision d;
  auto auth = req.header("Authorization");
  if (auth == "Bearer a" || auth == "Bearer b") {
    d.status = 0;
    d.principal = std::string(auth.substr(7));
  } else if (auth == "Bearer reader") {
    // A key of account 111 with the read scope; its check refuses the tool "act".
    d.status = 0;
    d.principal = "reader";
    d.account = mcp::account_scope::only("111");
    d.scopes = std::vector<mcp::scope>{mcp::scope::read};
    d.check = [](const boost::json::value& m) -> std::optional<mcp_http::message_refusal> {
      const auto* o = m.if_object();
      const auto* params = o ? o->if_contains("params") : nullptr;
      if (!params || !params->is_object() || !params->get_object().contains("name") ||
          params->at("name") != "act") {
        return std::nullopt;
      }
      mcp_http::message_refusal r;
      r.headers.emplace_back("WWW-Authenticate", "Bearer error=\"insufficient_scope\"");
      r.message = "act needs the send scope";
      return r;
    };
  } else if (auth == "Bearer slow") {
    d.status = 429;
    d.headers.emplace_back("Retry-After", "7");
    d.message = "slow down";
  } else {
    d.headers.emplace_back("WWW-Authenticate", "Bearer");
  }
  return d;
}

struct running_transport {
  boost::asio::io_context io{1};
  mcp::registry tools;
  mcp::worker_pool pool{1, 16};
  std::unique_ptr<mcp_http::transport> mcp;
  std::unique_ptr<http::server> srv;
  std::uint16_t port = 0;
  std::thread thread;

  explicit running_transport(std::function<void(mcp_http::transport_options&)> tune = {}) {
    mcp_http::transport_options o;
    o.authenticate = test_authenticator;
    if (tune) tune(o);
    mcp = std::make_unique<mcp_http::transport>(io, tools, pool, std::move(o));
    http::router r;
    mcp->add_routes(r);
    http::server_options so;
    so.port = 0;
    so.log_sink = [](std::string_view) {};
    srv = std::make_unique<http::server>(io, so, std::move(r));
    port = srv->listen().value();
    thread = std::thread([this] { io.run(); });
  }
  ~running_transport() {
    boost::asio::post(io, [this] {
      srv->stop();
      mcp->close();
    });
    thread.join();
    mcp.reset();
    pool.stop();
  }
};

using header_list = std::vector<std::pair<std::string, std::string>>;

header_list headers(const std::string& bearer, const std::string& session = {}) {
  header_list h{{"Content-Type", "application/json"},
                {"Accept", "application/json, text/event-stream"}};
  if (!bearer.empty()) h.emplace_back("Authorization", "Bearer " + bearer);
  if (!session.empty()) h.emplace_back("Mcp-Session-Id", session);
  return h;
}

const std::string initialize =
    R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",)"
    R"("capabilities":{},"clientInfo":{"name":"unit","version":"1"}}})";
const std::string ping = R"({"jsonrpc":"2.0","id":2,"method":"ping"})";

}  // namespace

TEST_CASE("the authenticator decides first, refusals carry its status and headers", "[mcp_http]") {
  running_transport t;
  auto none = http_request(t.port, "POST", "/mcp", initialize, headers(""));
  REQUIRE(none);
  CHECK(none->status == 401);
  CHECK(none->header("WWW-Authenticate") == "Bearer");
  CHECK(none->header("Content-Type") == "application/json");
  auto slow = http_request(t.port, "POST", "/mcp", initialize, headers("slow"));
  REQUIRE(slow);
  CHECK(slow->status == 429);
  CHECK(slow->header("Retry-After") == "7");
  CHECK(slow->body.find("slow down") != std::string::npos);
  auto get = http_request(t.port, "GET", "/mcp", {}, {{"Accept", "text/event-stream"}});
  REQUIRE(get);
  CHECK(get->status == 401);
  auto del = http_request(t.port, "DELETE", "/mcp", {}, {});
  REQUIRE(del);
  CHECK(del->status == 401);
}

TEST_CASE("a session answers only the principal that opened it", "[mcp_http]") {
  running_transport t;
  auto init = http_request(t.port, "POST", "/mcp", initialize, headers("a"));
  REQUIRE(init);
  REQUIRE(init->status == 200);
  auto session = init->header("Mcp-Session-Id");
  REQUIRE_FALSE(session.empty());

  auto mine = http_request(t.port, "POST", "/mcp", ping, headers("a", session));
  REQUIRE(mine);
  CHECK(mine->status == 200);
  CHECK(mine->body == R"({"jsonrpc":"2.0","id":2,"result":{}})");
  auto theirs = http_request(t.port, "POST", "/mcp", ping, headers("b", session));
  REQUIRE(theirs);
  CHECK(theirs->status == 404);
  auto end = http_request(t.port, "DELETE", "/mcp", {}, headers("b", session));
  REQUIRE(end);
  CHECK(end->status == 404);
  auto still = http_request(t.port, "POST", "/mcp", ping, headers("a", session));
  REQUIRE(still);
  CHECK(still->status == 200);
}

namespace {

// `h` with the headers a 2026-07-28 request of `method` carries.
header_list with_request_headers(header_list h, std::string_view method) {
  h.emplace_back("MCP-Protocol-Version", "2026-07-28");
  h.emplace_back("Mcp-Method", std::string(method));
  return h;
}

}  // namespace

TEST_CASE("a request with the 2026-07-28 _meta and no session gets an engine of its own",
          "[mcp_http]") {
  running_transport t;
  auto r = http_request(
      t.port, "POST", "/mcp",
      R"({"jsonrpc":"2.0","id":9,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}})",
      with_request_headers(headers("a"), "tools/list"));
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->header("Mcp-Session-Id").empty());
  CHECK(r->body.find(R"("id":9)") != std::string::npos);

  // The same request without the Mcp-Method header every 2026-07-28 request carries.
  auto h = headers("a");
  h.emplace_back("MCP-Protocol-Version", "2026-07-28");
  auto bare = http_request(
      t.port, "POST", "/mcp",
      R"({"jsonrpc":"2.0","id":10,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}})",
      h);
  REQUIRE(bare);
  CHECK(bare->status == 400);
  CHECK(bare->body.find(R"("code":-32020)") != std::string::npos);
  CHECK(bare->body.find("Mcp-Method") != std::string::npos);
  CHECK(bare->body.find(R"("id":10)") != std::string::npos);
}

namespace {

// A 2026-07-28 request: `method` with `meta` as params._meta (and `extra` params), with the
// request metadata headers a client sends.
std::string modern_request(int id, std::string_view method, std::string_view meta,
                           std::string_view extra = {}) {
  return fmt::format(R"({{"jsonrpc":"2.0","id":{},"method":"{}","params":{{{}"_meta":{}}}}})", id,
                     method, extra, meta);
}

const std::string modern_meta = R"({"io.modelcontextprotocol/protocolVersion":"2026-07-28",)"
                                R"("io.modelcontextprotocol/clientCapabilities":{}})";

header_list modern_headers(std::string_view method, std::string_view version = "2026-07-28") {
  auto h = headers("a");
  h.emplace_back("MCP-Protocol-Version", std::string(version));
  h.emplace_back("Mcp-Method", std::string(method));
  return h;
}

}  // namespace

TEST_CASE("2026-07-28 errors carry the request id and the transport page's status", "[mcp_http]") {
  running_transport t;
  // No _meta at all, but the header names 2026-07-28: invalid params, 400.
  auto bare = http_request(t.port, "POST", "/mcp",
                           R"({"jsonrpc":"2.0","id":101,"method":"server/discover","params":{}})",
                           modern_headers("server/discover"));
  REQUIRE(bare);
  CHECK(bare->status == 400);
  CHECK(bare->body.find(R"("id":101)") != std::string::npos);
  CHECK(bare->body.find(R"("code":-32602)") != std::string::npos);
  // _meta without its protocolVersion: invalid params too.
  auto no_version =
      http_request(t.port, "POST", "/mcp",
                   modern_request(102, "server/discover",
                                  R"({"io.modelcontextprotocol/clientCapabilities":{}})"),
                   modern_headers("server/discover"));
  REQUIRE(no_version);
  CHECK(no_version->status == 400);
  CHECK(no_version->body.find(R"("id":102)") != std::string::npos);
  CHECK(no_version->body.find(R"("code":-32602)") != std::string::npos);
  // A revision we do not serve, named in both places: unsupported version, 400.
  const std::string v999 = R"({"io.modelcontextprotocol/protocolVersion":"v999.0.0",)"
                           R"("io.modelcontextprotocol/clientCapabilities":{}})";
  auto unsupported =
      http_request(t.port, "POST", "/mcp", modern_request(301, "server/discover", v999),
                   modern_headers("server/discover", "v999.0.0"));
  REQUIRE(unsupported);
  CHECK(unsupported->status == 400);
  CHECK(unsupported->body.find(R"("id":301)") != std::string::npos);
  CHECK(unsupported->body.find(R"("code":-32022)") != std::string::npos);
  // The header says 2026-07-28, the body another: header mismatch, 400.
  auto mismatch = http_request(t.port, "POST", "/mcp", modern_request(302, "server/discover", v999),
                               modern_headers("server/discover"));
  REQUIRE(mismatch);
  CHECK(mismatch->status == 400);
  CHECK(mismatch->body.find(R"("id":302)") != std::string::npos);
  CHECK(mismatch->body.find(R"("code":-32020)") != std::string::npos);
  // Mcp-Method disagrees with the body's method.
  auto method_mismatch =
      http_request(t.port, "POST", "/mcp", modern_request(303, "tools/list", modern_meta),
                   modern_headers("prompts/list"));
  REQUIRE(method_mismatch);
  CHECK(method_mismatch->status == 400);
  CHECK(method_mismatch->body.find(R"("code":-32020)") != std::string::npos);
  // Removed and unknown methods: 404 with -32601, and no session is opened by initialize.
  for (std::string method :
       {"initialize", "ping", "logging/setLevel", "resources/subscribe", "unknown/method"}) {
    auto gone = http_request(t.port, "POST", "/mcp", modern_request(500, method, modern_meta),
                             modern_headers(method));
    REQUIRE(gone);
    CHECK(gone->status == 404);
    CHECK(gone->header("Mcp-Session-Id").empty());
    CHECK(gone->body.find(R"("id":500)") != std::string::npos);
    CHECK(gone->body.find(R"("code":-32601)") != std::string::npos);
  }
  // A good request is answered 200 with its result.
  auto ok =
      http_request(t.port, "POST", "/mcp", modern_request(201, "server/discover", modern_meta),
                   modern_headers("server/discover"));
  REQUIRE(ok);
  CHECK(ok->status == 200);
  CHECK(ok->body.find(R"("supportedVersions")") != std::string::npos);
}

TEST_CASE("a 2026-07-28 tools/call refused before it runs is JSON with status 400", "[mcp_http]") {
  running_transport t;
  mcp::tool_def needs_sampling;
  needs_sampling.name = "needs_sampling";
  needs_sampling.input_schema = boost::json::object{{"type", "object"}};
  needs_sampling.required_client_capabilities =
      boost::json::object{{"sampling", boost::json::object{}}};
  needs_sampling.handler = [](const boost::json::object&, mcp::call_context&) {
    return mcp::tool_result::text("ran");
  };
  t.tools.add_tool(std::move(needs_sampling));
  auto h = modern_headers("tools/call");
  h.emplace_back("Mcp-Name", "needs_sampling");
  auto refused = http_request(
      t.port, "POST", "/mcp",
      modern_request(401, "tools/call", modern_meta, R"("name":"needs_sampling","arguments":{},)"),
      h);
  REQUIRE(refused);
  CHECK(refused->status == 400);
  CHECK(refused->header("Content-Type") == "application/json");
  CHECK(refused->body.find(R"("id":401)") != std::string::npos);
  CHECK(refused->body.find(R"("code":-32021)") != std::string::npos);
  // Mcp-Name naming another tool than the body: header mismatch.
  auto other = modern_headers("tools/call");
  other.emplace_back("Mcp-Name", "something_else");
  auto mismatch = http_request(
      t.port, "POST", "/mcp",
      modern_request(402, "tools/call", modern_meta, R"("name":"needs_sampling","arguments":{},)"),
      other);
  REQUIRE(mismatch);
  CHECK(mismatch->status == 400);
  CHECK(mismatch->body.find(R"("code":-32020)") != std::string::npos);
}

namespace {

// A GET stream of `session` for `principal`, `last_event` as Last-Event-ID when given.
std::unique_ptr<pons::test::http_connection> open_stream(std::uint16_t port,
                                                         const std::string& session,
                                                         const std::string& last_event = {},
                                                         const std::string& principal = "a") {
  auto c = std::make_unique<pons::test::http_connection>(port);
  std::string req =
      "GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
      "Authorization: Bearer " +
      principal + "\r\nMcp-Session-Id: " + session + "\r\nMCP-Protocol-Version: 2025-11-25\r\n";
  if (!last_event.empty()) req += "Last-Event-ID: " + last_event + "\r\n";
  c->send_raw(req + "\r\n");
  return c;
}

// An initialized 2025-11-25 session of `principal`.
std::string initialized_session(std::uint16_t port, const std::string& principal = "a") {
  auto init = http_request(port, "POST", "/mcp", initialize, headers(principal));
  REQUIRE(init);
  REQUIRE(init->status == 200);
  auto session = init->header("Mcp-Session-Id");
  auto h = headers(principal, session);
  h.emplace_back("MCP-Protocol-Version", "2025-11-25");
  auto ready = http_request(port, "POST", "/mcp",
                            R"({"jsonrpc":"2.0","method":"notifications/initialized"})", h);
  REQUIRE(ready);
  REQUIRE(ready->status == 202);
  return session;
}

}  // namespace

TEST_CASE("a GET stream whose connection broke is resumed with Last-Event-ID, losing nothing",
          "[mcp_http]") {
  running_transport t;
  auto session = initialized_session(t.port);
  auto changed = [&] { t.mcp->notify([](mcp::engine& e) { e.notify_list_changed("tools"); }); };

  auto first = open_stream(t.port, session);
  // The stream starts with an event id and no data, so it can be resumed from the start.
  REQUIRE(first->read_until("id: 1-0\ndata: \n\n", 30s));
  changed();
  REQUIRE(first->read_until("id: 1-1\nevent: message\ndata: ", 30s));
  CHECK(first->received().find("notifications/tools/list_changed") != std::string::npos);
  first.reset();  // the connection breaks

  changed();  // two more while no connection (or a dead one) is there
  changed();
  auto resumed = open_stream(t.port, session, "1-1");
  REQUIRE(resumed->read_until("id: 1-3\n", 30s));
  const auto& got = resumed->received();
  CHECK(got.find("HTTP/1.1 200") == 0);
  auto two = got.find("id: 1-2\n");
  auto three = got.find("id: 1-3\n");
  CHECK(two != std::string::npos);
  CHECK(two < three);
  CHECK(got.find("id: 1-1\n") == std::string::npos);  // the client had it
  CHECK(got.find("id: 2-0") == std::string::npos);    // the same stream, not a new one

  // The stream lives on: later messages follow on the resumed connection.
  changed();
  CHECK(resumed->read_until("id: 1-4\n", 30s));

  // A second GET without Last-Event-ID is refused while the stream has a connection; one that
  // resumes it takes over, and the old connection's answer ends.
  auto second = open_stream(t.port, session);
  auto refused = second->read_response(30s);
  REQUIRE(refused);
  CHECK(refused->status == 409);
  auto again = open_stream(t.port, session, "1-4");
  REQUIRE(again->read_until("\r\n\r\n", 30s));
  CHECK(again->received().find("HTTP/1.1 200") == 0);
  const bool old_ended =
      resumed->closed_by_peer(30s) || resumed->received().find("0\r\n\r\n") != std::string::npos;
  CHECK(old_ended);
  changed();
  CHECK(again->read_until("id: 1-5\n", 30s));
  CHECK(again->received().find("id: 1-4\n") == std::string::npos);

  // An id this session never gave starts a new stream of its own.
  auto other_session = initialized_session(t.port);
  auto fresh = open_stream(t.port, other_session, "1-5");
  CHECK(fresh->read_until("id: 1-0\ndata: \n\n", 30s));
  CHECK(fresh->received().find("id: 1-5") == std::string::npos);
}

TEST_CASE("a principal's engine sees its account and scopes, and its check refuses with 403",
          "[mcp_http]") {
  running_transport t;
  auto add = [&](std::string name, mcp::scope needed) {
    mcp::tool_def tool;
    tool.name = std::move(name);
    tool.description = "Says whose data the call sees.";
    tool.input_schema = boost::json::object{{"type", "object"}};
    tool.required_scope = needed;
    tool.handler = [](const boost::json::object&, mcp::call_context& ctx) {
      return mcp::tool_result::text(ctx.account().waba_id.value_or("every account"));
    };
    t.tools.add_tool(std::move(tool));
  };
  add("whose", mcp::scope::read);
  add("act", mcp::scope::send);
  auto open = [&](const std::string& bearer) {
    auto init = http_request(t.port, "POST", "/mcp", initialize, headers(bearer));
    REQUIRE(init);
    REQUIRE(init->status == 200);
    return init->header("Mcp-Session-Id");
  };
  auto post = [&](const std::string& bearer, const std::string& session, const std::string& body) {
    auto r = http_request(t.port, "POST", "/mcp", body, headers(bearer, session));
    REQUIRE(r);
    return *r;
  };
  const std::string list = R"({"jsonrpc":"2.0","id":3,"method":"tools/list"})";
  const std::string whose =
      R"({"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"whose","arguments":{}}})";
  const std::string act =
      R"({"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"act","arguments":{}}})";

  auto reader = open("reader");
  auto listed = post("reader", reader, list);
  CHECK(listed.body.find("\"whose\"") != std::string::npos);
  CHECK(listed.body.find("\"act\"") == std::string::npos);
  CHECK(post("reader", reader, whose).body.find("\"text\":\"111\"") != std::string::npos);
  auto refused = post("reader", reader, act);
  CHECK(refused.status == 403);
  CHECK(refused.header("WWW-Authenticate") == "Bearer error=\"insufficient_scope\"");
  CHECK(refused.body ==
        R"({"jsonrpc":"2.0","id":5,"error":{"code":-32600,"message":"act needs the send scope"}})");

  auto everyone = open("a");
  auto all = post("a", everyone, list);
  CHECK(all.body.find("\"act\"") != std::string::npos);
  CHECK(post("a", everyone, whose).body.find("every account") != std::string::npos);
}

namespace {

// True once the SSE answer on `c` has ended: its last chunk, or the connection closed.
bool stream_ended(pons::test::http_connection& c) {
  return c.read_until("\r\n0\r\n\r\n", 30s) || c.closed_by_peer(1s);
}

// Runs `what` on the transport's io thread and returns its result.
template <typename F>
auto on_io(running_transport& t, F what) {
  std::packaged_task<decltype(what())()> task(std::move(what));
  auto result = task.get_future();
  boost::asio::post(t.io, [&task] { task(); });
  return result.get();
}

int ping_status(std::uint16_t port, const std::string& principal, const std::string& session) {
  auto h = headers(principal, session);
  h.emplace_back("MCP-Protocol-Version", "2025-11-25");
  auto r = http_request(port, "POST", "/mcp", ping, h);
  return r ? r->status : 0;
}

}  // namespace

TEST_CASE("a principal at its session limit gives up its own idle session, else gets 429",
          "[mcp_http]") {
  running_transport t([](mcp_http::transport_options& o) { o.sessions.max_per_principal = 2; });
  auto b = initialized_session(t.port, "b");
  auto first = initialized_session(t.port);
  auto second = initialized_session(t.port);
  CHECK(on_io(t, [&] { return t.mcp->sessions(); }) == 3);

  // A third of a's closes a's idle-longest, not b's (older still).
  auto third = initialized_session(t.port);
  CHECK(on_io(t, [&] { return t.mcp->sessions(); }) == 3);
  CHECK(ping_status(t.port, "a", first) == 404);
  CHECK(ping_status(t.port, "b", b) == 200);

  // Both of a's sessions busy (a stream open on each): a's initialize is refused, b's is not.
  auto s2 = open_stream(t.port, second);
  auto s3 = open_stream(t.port, third);
  REQUIRE(s2->read_until("id: 1-0\n", 30s));
  REQUIRE(s3->read_until("id: 1-0\n", 30s));
  auto refused = http_request(t.port, "POST", "/mcp", initialize, headers("a"));
  REQUIRE(refused);
  CHECK(refused->status == 429);
  CHECK(refused->header("Retry-After") == "5");
  CHECK(refused->body.find("this API key has 2 MCP sessions, all busy") != std::string::npos);
  CHECK(ping_status(t.port, "a", second) == 200);
  CHECK(ping_status(t.port, "a", third) == 200);
  auto other = http_request(t.port, "POST", "/mcp", initialize, headers("b"));
  REQUIRE(other);
  CHECK(other->status == 200);
  auto metrics = on_io(t, [&] { return t.mcp->metrics_text(); });
  CHECK(metrics.find("pons_mcp_http_sessions_refused_per_key_total 1") != std::string::npos);
}

TEST_CASE("a principal no longer valid has its open streams ended and its sessions closed",
          "[mcp_http]") {
  std::atomic<bool> a_valid{true};
  std::atomic<int> asked_about_b{0};
  std::vector<std::string> log;
  std::mutex log_mutex;
  running_transport t([&](mcp_http::transport_options& o) {
    o.recheck_interval = 20ms;
    o.still_valid = [&](std::string_view principal) {
      if (principal == "b") ++asked_about_b;
      return principal != "a" || a_valid.load();
    };
    o.log = [&](std::string_view event, std::string_view fields) {
      std::lock_guard lock(log_mutex);
      log.push_back(fmt::format("{} {}", event, fields));
    };
  });
  auto a_session = initialized_session(t.port);
  auto a_idle = initialized_session(t.port);
  auto b_session = initialized_session(t.port, "b");
  auto a_stream = open_stream(t.port, a_session);
  auto b_stream = open_stream(t.port, b_session, {}, "b");
  REQUIRE(a_stream->read_until("id: 1-0\n", 30s));
  REQUIRE(b_stream->read_until("id: 1-0\n", 30s));
  // A 2026-07-28 subscription of a's: a POST stream that stays open with no session.
  pons::test::http_connection listen(t.port);
  auto h = modern_headers("subscriptions/listen");
  listen.send_request("POST", "/mcp",
                      modern_request(5, "subscriptions/listen", modern_meta,
                                     R"("notifications":{"toolsListChanged":true},)"),
                      h);
  REQUIRE(listen.read_until("notifications/subscriptions/acknowledged", 30s));
  // Principals in use are asked about while nothing changes.
  while (asked_about_b.load() < 2) std::this_thread::sleep_for(10ms);
  CHECK(ping_status(t.port, "a", a_session) == 200);

  a_valid = false;
  CHECK(stream_ended(*a_stream));
  CHECK(stream_ended(listen));
  CHECK(ping_status(t.port, "a", a_session) == 404);
  CHECK(ping_status(t.port, "a", a_idle) == 404);  // idle, closed all the same
  // b's stream and session go on.
  CHECK(ping_status(t.port, "b", b_session) == 200);
  t.mcp->notify([](mcp::engine& e) { e.notify_list_changed("tools"); });
  CHECK(b_stream->read_until("id: 1-1\n", 30s));
  std::lock_guard lock(log_mutex);
  auto closed = std::find_if(log.begin(), log.end(), [](const std::string& line) {
    return line.find("reason=key_revoked") != std::string::npos;
  });
  REQUIRE(closed != log.end());
  CHECK(closed->find("principal=a closed=2 requests_ended=1") != std::string::npos);
}

TEST_CASE("a tool call's stream holds its head for a quick answer, not for a slow one",
          "[mcp_http]") {
  // Keepalive comments far apart: only head_hold can send the head of a slow answer in time.
  running_transport t([](mcp_http::transport_options& o) {
    o.keepalive_interval = 600s;
    o.head_hold = 50ms;
  });
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  mcp::tool_def tool;
  tool.name = "held";
  tool.description = "Answers once the test lets it.";
  tool.input_schema = boost::json::object{{"type", "object"}};
  tool.handler = [released](const boost::json::object&, mcp::call_context&) {
    released.wait();
    return mcp::tool_result::text("let go");
  };
  t.tools.add_tool(std::move(tool));
  auto init = http_request(t.port, "POST", "/mcp", initialize, headers("a"));
  REQUIRE(init);
  REQUIRE(init->status == 200);
  const std::string session = init->header("Mcp-Session-Id");

  pons::test::http_connection c(t.port);
  const std::string call =
      R"({"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"held","arguments":{}}})";
  REQUIRE(c.send_request("POST", "/mcp", call, headers("a", session), true));
  // The tool is still running: the head comes (with a comment) without the answer.
  REQUIRE(c.read_until(": keepalive\n\n", 30s));
  CHECK(c.received().rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK_THAT(c.received(), Catch::Contains("Content-Type: text/event-stream"));
  CHECK_THAT(c.received(), !Catch::Contains("let go"));
  release.set_value();
  REQUIRE(c.read_until("0\r\n\r\n", 30s));
  CHECK_THAT(c.received(), Catch::Contains("let go"));
}
