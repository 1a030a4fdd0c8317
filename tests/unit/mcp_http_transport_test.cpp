// The /mcp transport in process, on a loopback server, with a test authenticator: who may use a
// session, and what a refusal carries.
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <thread>

#include "pons/http/server.hpp"
#include "pons/mcp_http/transport.hpp"
#include "support/process_http_client.hpp"

using namespace pons;
using pons::test::http_request;

namespace {

// Bearer a and Bearer b are two principals, Bearer slow is rate limited, anything else is 401.
mcp_http::auth_decision test_authenticator(const http::server_request& req) {
  mcp_http::auth_decision d;
  auto auth = req.header("Authorization");
  if (auth == "Bearer a" || auth == "Bearer b") {
    d.status = 0;
    d.principal = std::string(auth.substr(7));
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

  running_transport() {
    mcp_http::transport_options o;
    o.authenticate = test_authenticator;
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

TEST_CASE("a request with the 2026-07-28 _meta and no session gets an engine of its own",
          "[mcp_http]") {
  running_transport t;
  auto r = http_request(
      t.port, "POST", "/mcp",
      R"({"jsonrpc":"2.0","id":9,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}})",
      headers("a"));
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->header("Mcp-Session-Id").empty());
  CHECK(r->body.find(R"("id":9)") != std::string::npos);
}
