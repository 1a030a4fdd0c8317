// A key revoked with `pons-webhook keys revoke` (another process, writing the database) while its
// session has a GET stream and a tool call's POST stream open, on the real pons-webhook: both
// streams end, the next request is 401, and another key's stream goes on.
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "support/command_run.hpp"
#include "support/webhook_process.hpp"

using namespace pons::test;
using namespace std::chrono_literals;

namespace {

using header_list = std::vector<std::pair<std::string, std::string>>;

struct made_key {
  std::string id;
  std::string secret;
};

// Runs `pons-webhook keys ARGS --db DB --json` and returns its JSON document.
boost::json::value keys_cli(const webhook_process& svc, std::vector<std::string> args) {
  args.insert(args.begin(), "keys");
  args.insert(args.end(), {"--db", svc.db_path(), "--json"});
  auto r = run_command(PONS_WEBHOOK_BIN, args, {"HOME=" + svc.dir().path()}, svc.dir().path(),
                       svc.dir().path(), 30s);
  INFO(r.err);
  REQUIRE(r.code == 0);
  return boost::json::parse(r.out);
}

made_key create_key(const webhook_process& svc, const std::string& name) {
  auto doc = keys_cli(svc, {"create", "--name", name, "--scopes", "read"});
  return {std::to_string(doc.at("key").at("id").as_int64()),
          std::string(doc.at("secret").as_string())};
}

header_list key_headers(const made_key& key, const std::string& session = {}) {
  header_list h{{"Content-Type", "application/json"},
                {"Accept", "application/json, text/event-stream"},
                {"Authorization", "Bearer " + key.secret}};
  if (!session.empty()) {
    h.emplace_back("Mcp-Session-Id", session);
    h.emplace_back("MCP-Protocol-Version", "2025-11-25");
  }
  return h;
}

// An initialized 2025-11-25 session of `key`.
std::string open_session(webhook_process& svc, const made_key& key) {
  auto init = http_request(
      svc.port(), "POST", "/mcp",
      R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",)"
      R"("capabilities":{},"clientInfo":{"name":"integration","version":"1"}}})",
      key_headers(key));
  REQUIRE(init);
  REQUIRE(init->status == 200);
  auto session = init->header("Mcp-Session-Id");
  auto ready = http_request(svc.port(), "POST", "/mcp",
                            R"({"jsonrpc":"2.0","method":"notifications/initialized"})",
                            key_headers(key, session));
  REQUIRE(ready);
  REQUIRE(ready->status == 202);
  return session;
}

// The session's GET stream, once its first event (the priming one) has arrived.
std::unique_ptr<http_connection> open_stream(webhook_process& svc, const made_key& key,
                                             const std::string& session) {
  auto c = std::make_unique<http_connection>(svc.port());
  auto h = key_headers(key, session);
  h.erase(h.begin(), h.begin() + 2);  // no Content-Type, and only SSE accepted
  h.emplace_back("Accept", "text/event-stream");
  REQUIRE(c->send_request("GET", "/mcp", {}, h));
  REQUIRE(c->read_until("id: 1-0\n", 30s));
  CHECK(c->received().find("HTTP/1.1 200") == 0);
  return c;
}

// True once the SSE answer on `c` has ended (its last chunk, or the connection closed). The
// wait only keeps a broken build from hanging the run.
bool stream_ended(http_connection& c) {
  return c.read_until("\r\n0\r\n\r\n", 60s) || c.closed_by_peer(1s);
}

}  // namespace

TEST_CASE("a key revoked by the CLI ends its open streams, and its next request is 401",
          "[mcp_keys]") {
  webhook_process svc(default_webhook_env(), {"--mcp", "--no-template-sync", "--no-media"});
  REQUIRE(svc.started());
  const auto doomed = create_key(svc, "doomed");
  const auto other = create_key(svc, "other");
  const auto session = open_session(svc, doomed);
  const auto other_session = open_session(svc, other);

  auto stream = open_stream(svc, doomed, session);
  auto other_stream = open_stream(svc, other, other_session);
  // A tool call that waits: its POST stream stays open until messages come or it times out.
  http_connection call(svc.port());
  REQUIRE(call.send_request(
      "POST", "/mcp",
      R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"wait_for_messages",)"
      R"("arguments":{"timeout_seconds":300}}})",
      key_headers(doomed, session)));
  REQUIRE(call.read_until("\r\n\r\n", 30s));
  CHECK(call.received().find("HTTP/1.1 200") == 0);
  CHECK(call.received().find("text/event-stream") != std::string::npos);

  auto revoked = keys_cli(svc, {"revoke", doomed.id});
  CHECK(revoked.at("state") == "revoked");

  CHECK(stream_ended(*stream));
  CHECK(stream_ended(call));
  auto next =
      http_request(svc.port(), "POST", "/mcp", R"({"jsonrpc":"2.0","id":3,"method":"ping"})",
                   key_headers(doomed, session));
  REQUIRE(next);
  CHECK(next->status == 401);
  CHECK(next->header("WWW-Authenticate").find("revoked") != std::string::npos);

  // The other key's session and stream go on.
  auto ping =
      http_request(svc.port(), "POST", "/mcp", R"({"jsonrpc":"2.0","id":4,"method":"ping"})",
                   key_headers(other, other_session));
  REQUIRE(ping);
  CHECK(ping->status == 200);
  CHECK_FALSE(other_stream->closed_by_peer(200ms));
  CHECK(other_stream->received().find("\r\n0\r\n\r\n") == std::string::npos);

  // The closure is logged with the key's id, never the key.
  const auto log = svc.log();
  CHECK(log.find("reason=key_revoked principal=key:" + doomed.id) != std::string::npos);
  CHECK(log.find(doomed.secret) == std::string::npos);
}
