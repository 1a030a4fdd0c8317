// /mcp with API keys on the real pons-webhook, over raw HTTP: the URL the challenges and the
// metadata name (--mcp-public-url), a key that verifies but lacks a scope, and the key never in
// the log. The SDK-driven cases are tests/e2e/mcp_keys.test.mjs.
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "pons/store/api_key_repository.hpp"
#include "pons/store/database.hpp"
#include "support/webhook_process.hpp"

using namespace pons::test;

namespace {

using header_list = std::vector<std::pair<std::string, std::string>>;

// A 2026-07-28 tools/call of send_text: the headers mirror the body.
header_list key_headers(const std::string& key) {
  return {{"Content-Type", "application/json"}, {"Accept", "application/json, text/event-stream"},
          {"Authorization", "Bearer " + key},   {"MCP-Protocol-Version", "2026-07-28"},
          {"Mcp-Method", "tools/call"},         {"Mcp-Name", "send_text"}};
}

// A key made the way `pons-webhook keys create` makes it, in the service's database.
std::string make_key(const webhook_process& svc, std::vector<std::string> scopes) {
  auto db = pons::store::database::open(svc.db_path());
  REQUIRE(db.has_value());
  pons::store::api_key_spec spec;
  spec.name = "integration";
  spec.scopes = std::move(scopes);
  auto made = pons::store::create_api_key(*db, spec, std::chrono::system_clock::now());
  REQUIRE(made.has_value());
  return made->secret;
}

const std::string modern_call =
    R"({"jsonrpc":"2.0","id":"call-1","method":"tools/call","params":{"name":"send_text",)"
    R"("arguments":{"to":"+16505551234","text":"hi"},"_meta":{)"
    R"("io.modelcontextprotocol/protocolVersion":"2026-07-28",)"
    R"("io.modelcontextprotocol/clientCapabilities":{}}}})";

}  // namespace

TEST_CASE("/mcp names --mcp-public-url in its challenges and its metadata", "[mcp_keys]") {
  webhook_process svc(default_webhook_env(), {"--mcp", "--no-template-sync", "--no-media",
                                              "--mcp-public-url", "https://pons.example.com/mcp"});
  REQUIRE(svc.started());
  auto refused =
      http_request(svc.port(), "POST", "/mcp", R"({"jsonrpc":"2.0","id":1,"method":"ping"})",
                   {{"Content-Type", "application/json"}});
  REQUIRE(refused);
  CHECK(refused->status == 401);
  CHECK(refused->header("WWW-Authenticate") ==
        "Bearer resource_metadata=\"https://pons.example.com/.well-known/oauth-protected-resource/"
        "mcp\", scope=\"read\"");
  for (const std::string path :
       {"/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"}) {
    auto doc = svc.get(path);
    REQUIRE(doc);
    CHECK(doc->status == 200);
    CHECK(boost::json::parse(doc->body).at("resource") == "https://pons.example.com/mcp");
  }
}

TEST_CASE("a read key's send_text is 403 insufficient_scope with the request id, and sends nothing",
          "[mcp_keys]") {
  webhook_process svc(default_webhook_env(),
                      {"--mcp", "--mcp-dry-run", "--no-template-sync", "--no-media"});
  REQUIRE(svc.started());
  const auto reader = make_key(svc, {"read"});
  const auto sender = make_key(svc, {"read", "send"});

  auto refused = http_request(svc.port(), "POST", "/mcp", modern_call, key_headers(reader));
  REQUIRE(refused);
  CHECK(refused->status == 403);
  CHECK(refused->header("WWW-Authenticate")
            .starts_with("Bearer error=\"insufficient_scope\", scope=\"read send\", "
                         "error_description=\"the tool "
                         "send_text needs an API key with the send scope\""));
  auto body = boost::json::parse(refused->body);
  CHECK(body.at("id") == "call-1");
  const std::string message(body.at("error").at("message").as_string());
  CHECK(message.find("keys create") != std::string::npos);

  // The same call with a send key passes the check (the engine answers it; --mcp-dry-run keeps
  // the Graph API out of it).
  auto allowed = http_request(svc.port(), "POST", "/mcp", modern_call, key_headers(sender));
  REQUIRE(allowed);
  CHECK(allowed->status == 200);
  CHECK(allowed->body.find(R"("id":"call-1","result")") != std::string::npos);
  CHECK(allowed->body.find("needs an API key") == std::string::npos);

  const auto log = svc.log();
  CHECK(log.find(reader) == std::string::npos);
  CHECK(log.find(sender) == std::string::npos);
  CHECK(log.find("mcp_refused=scope") != std::string::npos);
}

TEST_CASE("a key whose sessions are all busy (--mcp-max-sessions-per-key) gets 429, another not",
          "[mcp_keys]") {
  webhook_process svc(default_webhook_env(), {"--mcp", "--no-template-sync", "--no-media",
                                              "--mcp-max-sessions-per-key", "1"});
  REQUIRE(svc.started());
  const auto busy = make_key(svc, {"read"});
  const auto other = make_key(svc, {"read"});
  const std::string initialize =
      R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",)"
      R"("capabilities":{},"clientInfo":{"name":"integration","version":"1"}}})";
  auto headers = [](const std::string& key) {
    return header_list{{"Content-Type", "application/json"},
                       {"Accept", "application/json, text/event-stream"},
                       {"Authorization", "Bearer " + key}};
  };
  auto init = http_request(svc.port(), "POST", "/mcp", initialize, headers(busy));
  REQUIRE(init);
  REQUIRE(init->status == 200);
  // Its one session busy: a GET stream open on it.
  http_connection stream(svc.port());
  auto get = headers(busy);
  get.erase(get.begin(), get.begin() + 2);
  get.emplace_back("Accept", "text/event-stream");
  get.emplace_back("Mcp-Session-Id", init->header("Mcp-Session-Id"));
  get.emplace_back("MCP-Protocol-Version", "2025-11-25");
  REQUIRE(stream.send_request("GET", "/mcp", {}, get));
  REQUIRE(stream.read_until("id: 1-0\n", std::chrono::seconds(30)));

  auto refused = http_request(svc.port(), "POST", "/mcp", initialize, headers(busy));
  REQUIRE(refused);
  CHECK(refused->status == 429);
  CHECK(refused->header("Retry-After") == "5");
  auto allowed = http_request(svc.port(), "POST", "/mcp", initialize, headers(other));
  REQUIRE(allowed);
  CHECK(allowed->status == 200);
  auto metrics = svc.get("/metrics");
  REQUIRE(metrics);
  CHECK(metrics->body.find("pons_mcp_http_sessions_refused_per_key_total 1") != std::string::npos);
}
