// /mcp on the real pons-webhook: MCP's Streamable HTTP transport over loopback, in conformance
// mode (no authentication), speaking raw HTTP; also under abuse (sessions opened and abandoned, a
// body trickled past the request deadline).
#include <fmt/format.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <string>
#include <thread>

#include "support/webhook_process.hpp"

using namespace pons::test;
using namespace std::chrono_literals;

namespace {

using header_list = std::vector<std::pair<std::string, std::string>>;

const std::string initialize_body =
    R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",)"
    R"("capabilities":{},"clientInfo":{"name":"integration","version":"1"}}})";

header_list mcp_headers(const std::string& session = {}) {
  header_list h{{"Content-Type", "application/json"},
                {"Accept", "application/json, text/event-stream"}};
  if (!session.empty()) {
    h.emplace_back("Mcp-Session-Id", session);
    h.emplace_back("MCP-Protocol-Version", "2025-11-25");
  }
  return h;
}

std::optional<http_response> mcp_post(webhook_process& svc, const std::string& body,
                                      const header_list& headers) {
  return http_request(svc.port(), "POST", "/mcp", body, headers);
}

// Initializes a session and sends notifications/initialized; returns the session id.
std::string open_session(webhook_process& svc) {
  auto init = mcp_post(svc, initialize_body, mcp_headers());
  REQUIRE(init);
  REQUIRE(init->status == 200);
  auto session = init->header("Mcp-Session-Id");
  REQUIRE_FALSE(session.empty());
  auto ready = mcp_post(svc, R"({"jsonrpc":"2.0","method":"notifications/initialized"})",
                        mcp_headers(session));
  REQUIRE(ready);
  CHECK(ready->status == 202);
  return session;
}

// Resident memory of a process in kB, from /proc (0 when unreadable).
long resident_kb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return 0;
}

// One sample of a metric ("name value" at the start of a line), -1 when absent.
long metric(webhook_process& svc, const std::string& name) {
  auto m = svc.get("/metrics");
  if (!m || m->status != 200) return -1;
  auto at = m->body.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stol(m->body.substr(at + name.size() + 2));
}

webhook_process conformance_service(std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"--mcp-conformance", "--no-template-sync", "--no-media"};
  args.insert(args.end(), extra.begin(), extra.end());
  return webhook_process(default_webhook_env(), args);
}

}  // namespace

TEST_CASE("a session: initialize, tools/list, get_messages, DELETE, then 404", "[mcp_http]") {
  auto svc = conformance_service();
  REQUIRE(svc.started());
  auto stored = svc.post(webhook_fixture("messages/text.json"));
  REQUIRE(stored);
  REQUIRE(stored->status == 200);

  auto init = mcp_post(svc, initialize_body, mcp_headers());
  REQUIRE(init);
  CHECK(init->status == 200);
  CHECK(init->header("Content-Type") == "application/json");
  auto session = init->header("Mcp-Session-Id");
  REQUIRE(session.size() == 64);
  for (char c : session) CHECK((c > 0x20 && c < 0x7f));
  auto result = boost::json::parse(init->body).at("result");
  CHECK(result.at("protocolVersion") == "2025-11-25");
  CHECK(result.at("serverInfo").at("name") == "pons");

  auto ready = mcp_post(svc, R"({"jsonrpc":"2.0","method":"notifications/initialized"})",
                        mcp_headers(session));
  REQUIRE(ready);
  CHECK(ready->status == 202);
  CHECK(ready->body.empty());

  auto list =
      mcp_post(svc, R"({"jsonrpc":"2.0","id":2,"method":"tools/list"})", mcp_headers(session));
  REQUIRE(list);
  CHECK(list->status == 200);
  CHECK(list->header("Content-Type") == "application/json");
  auto tools = boost::json::parse(list->body).at("result").at("tools").as_array();
  bool has_get_messages = false;
  bool has_fixture = false;
  for (const auto& t : tools) {
    if (t.at("name") == "get_messages") has_get_messages = true;
    if (t.at("name") == "test_simple_text") has_fixture = true;
  }
  CHECK(has_get_messages);
  CHECK(has_fixture);

  // A tool call is answered as an SSE stream: the response is one `message` event.
  auto call = mcp_post(
      svc,
      R"({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"get_messages","arguments":{}}})",
      mcp_headers(session));
  REQUIRE(call);
  CHECK(call->status == 200);
  CHECK(call->header("Content-Type") == "text/event-stream");
  CHECK(call->body.find("event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":3,\"result\"") !=
        std::string::npos);
  CHECK(call->body.find("Does it come in another color?") != std::string::npos);

  auto ended = http_request(svc.port(), "DELETE", "/mcp", {}, {{"Mcp-Session-Id", session}});
  REQUIRE(ended);
  CHECK(ended->status == 204);
  auto after =
      mcp_post(svc, R"({"jsonrpc":"2.0","id":4,"method":"tools/list"})", mcp_headers(session));
  REQUIRE(after);
  CHECK(after->status == 404);
  auto again = http_request(svc.port(), "DELETE", "/mcp", {}, {{"Mcp-Session-Id", session}});
  REQUIRE(again);
  CHECK(again->status == 404);
  CHECK(svc.log().find("event=mcp_session_closed reason=deleted") != std::string::npos);
}

TEST_CASE("/mcp refuses what the transport forbids", "[mcp_http]") {
  auto svc = conformance_service({"--mcp-body-limit", "2048"});
  REQUIRE(svc.started());
  auto session = open_session(svc);
  const std::string list = R"({"jsonrpc":"2.0","id":2,"method":"tools/list"})";

  SECTION("a protocol version header we do not support is 400") {
    auto h = mcp_headers(session);
    h.back().second = "1999-01-01";
    auto r = mcp_post(svc, list, h);
    REQUIRE(r);
    CHECK(r->status == 400);
    CHECK(r->body.find("MCP-Protocol-Version") != std::string::npos);
    h.back().second = "garbage";
    auto garbage = mcp_post(svc, list, h);
    REQUIRE(garbage);
    CHECK(garbage->status == 400);
  }
  SECTION("a request without a session, other than initialize, is 400") {
    auto r = mcp_post(svc, list, mcp_headers());
    REQUIRE(r);
    CHECK(r->status == 400);
  }
  SECTION("an unknown session is 404") {
    auto r = mcp_post(svc, list, mcp_headers(std::string(64, 'a')));
    REQUIRE(r);
    CHECK(r->status == 404);
  }
  SECTION("a foreign Origin is 403, a loopback one is served") {
    auto h = mcp_headers(session);
    h.emplace_back("Origin", "http://evil.example.com");
    auto r = mcp_post(svc, list, h);
    REQUIRE(r);
    CHECK(r->status == 403);
    h.back().second = "http://localhost:" + std::to_string(svc.port());
    auto ok = mcp_post(svc, list, h);
    REQUIRE(ok);
    CHECK(ok->status == 200);
  }
  SECTION("a body over the limit is 413") {
    std::string big = R"({"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"pad":")" +
                      std::string(4096, 'x') + "\"}}";
    auto r = mcp_post(svc, big, mcp_headers(session));
    REQUIRE(r);
    CHECK(r->status == 413);
  }
  SECTION("a body that is not JSON by its Content-Type is 415") {
    auto h = mcp_headers(session);
    h.front().second = "text/plain";
    auto r = mcp_post(svc, list, h);
    REQUIRE(r);
    CHECK(r->status == 415);
  }
  SECTION("an Accept without text/event-stream is 406, on POST and GET") {
    auto h = mcp_headers(session);
    h[1].second = "application/json";
    auto r = mcp_post(svc, list, h);
    REQUIRE(r);
    CHECK(r->status == 406);
    h[1].second = "application/json";
    auto g = http_request(svc.port(), "GET", "/mcp", {}, h);
    REQUIRE(g);
    CHECK(g->status == 406);
  }
  SECTION("a batch is refused in 2025-11-25") {
    auto r = mcp_post(svc, "[" + list + "]", mcp_headers(session));
    REQUIRE(r);
    CHECK(r->status == 400);
    CHECK(r->body.find("batches") != std::string::npos);
  }
  SECTION("text that is not JSON is a 400 with a parse error") {
    auto r = mcp_post(svc, "{not json", mcp_headers(session));
    REQUIRE(r);
    CHECK(r->status == 400);
    CHECK(r->body.find("-32700") != std::string::npos);
  }
}

TEST_CASE("/mcp is off by default, and with --mcp refuses a request without an API key",
          "[mcp_http]") {
  webhook_process plain(default_webhook_env(), {"--no-template-sync", "--no-media"});
  REQUIRE(plain.started());
  auto absent = http_request(plain.port(), "POST", "/mcp", initialize_body, mcp_headers());
  REQUIRE(absent);
  CHECK(absent->status == 404);

  webhook_process keyed(default_webhook_env(), {"--mcp", "--no-template-sync", "--no-media"});
  REQUIRE(keyed.started());
  auto refused = http_request(keyed.port(), "POST", "/mcp", initialize_body, mcp_headers());
  REQUIRE(refused);
  CHECK(refused->status == 401);
  // The test client sends "Host: 127.0.0.1": the challenge names the host the client dialled.
  const std::string metadata = "http://127.0.0.1/.well-known/oauth-protected-resource/mcp";
  CHECK(refused->header("WWW-Authenticate") ==
        "Bearer resource_metadata=\"" + metadata + "\", scope=\"read\"");
}

TEST_CASE("the oldest idle session makes room when the table is full", "[mcp_http]") {
  auto svc = conformance_service({"--mcp-max-sessions", "2"});
  REQUIRE(svc.started());
  auto first = open_session(svc);
  auto second = open_session(svc);
  // Using the first again makes the second the one idle longest.
  auto used = mcp_post(svc, R"({"jsonrpc":"2.0","id":2,"method":"ping"})", mcp_headers(first));
  REQUIRE(used);
  CHECK(used->status == 200);
  auto third = open_session(svc);
  auto gone = mcp_post(svc, R"({"jsonrpc":"2.0","id":3,"method":"ping"})", mcp_headers(second));
  REQUIRE(gone);
  CHECK(gone->status == 404);
  for (const auto& kept : {first, third}) {
    auto r = mcp_post(svc, R"({"jsonrpc":"2.0","id":4,"method":"ping"})", mcp_headers(kept));
    REQUIRE(r);
    CHECK(r->status == 200);
  }
  CHECK(svc.log().find("event=mcp_session_closed reason=evicted") != std::string::npos);
}

TEST_CASE("the conformance mode is refused unless bound to loopback", "[mcp_http]") {
  webhook_process wide(default_webhook_env(), {"--mcp-conformance", "--bind", "0.0.0.0"});
  CHECK_FALSE(wide.started());
  CHECK(wide.log().find("loopback") != std::string::npos);
}

TEST_CASE("a 2025-03-26 session may send a batch and gets one JSON array back", "[mcp_http]") {
  auto svc = conformance_service();
  REQUIRE(svc.started());
  auto init = mcp_post(
      svc,
      R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-03-26",)"
      R"("capabilities":{},"clientInfo":{"name":"integration","version":"1"}}})",
      mcp_headers());
  REQUIRE(init);
  REQUIRE(init->status == 200);
  auto session = init->header("Mcp-Session-Id");
  REQUIRE_FALSE(session.empty());
  header_list h{{"Content-Type", "application/json"},
                {"Accept", "application/json, text/event-stream"},
                {"Mcp-Session-Id", session}};
  auto ready = mcp_post(svc, R"({"jsonrpc":"2.0","method":"notifications/initialized"})", h);
  REQUIRE(ready);
  CHECK(ready->status == 202);
  auto batch = mcp_post(
      svc,
      R"([{"jsonrpc":"2.0","id":"p","method":"ping"},{"jsonrpc":"2.0","id":7,"method":"prompts/list"}])",
      h);
  REQUIRE(batch);
  CHECK(batch->status == 200);
  CHECK(batch->header("Content-Type") == "application/json");
  auto answers = boost::json::parse(batch->body).as_array();
  REQUIRE(answers.size() == 2);
  std::set<std::string> ids;
  for (const auto& a : answers) ids.insert(boost::json::serialize(a.at("id")));
  CHECK(ids == std::set<std::string>{"\"p\"", "7"});
}

TEST_CASE("/mcp: 10,000 abandoned sessions keep the table at its limit and memory flat",
          "[mcp_http][hardening]") {
  webhook_process svc(default_webhook_env(),
                      {"--mcp-conformance", "--no-template-sync", "--no-media"});
  REQUIRE(svc.started());
  constexpr int sessions = 10'000;
  constexpr int warm = 1'000;
  std::string first, last;
  long rss_warm = 0;
  int opened = 0;
  for (int i = 0; i < sessions; ++i) {
    auto r = http_request(svc.port(), "POST", "/mcp", initialize_body, mcp_headers());
    if (!r || r->status != 200) break;
    ++opened;
    last = r->header("Mcp-Session-Id");
    if (i == 0) first = last;
    if (i + 1 == warm) rss_warm = resident_kb(svc.proc().pid());
  }
  REQUIRE(opened == sessions);
  const long rss_end = resident_kb(svc.proc().pid());
  INFO("resident kB after " << warm << " sessions: " << rss_warm << ", after " << sessions << ": "
                            << rss_end);

  // Only the limit's worth stays open; every other was closed to make room, oldest first.
  const long limit = metric(svc, "pons_mcp_http_session_limit");
  REQUIRE(limit > 0);
  CHECK(metric(svc, "pons_mcp_http_sessions") == limit);
  CHECK(metric(svc, "pons_mcp_http_sessions_opened_total") == sessions);
  auto m = svc.get("/metrics");
  REQUIRE(m);
  CHECK(m->body.find(fmt::format("pons_mcp_http_sessions_closed_total{{reason=\"evicted\"}} {}\n",
                                 sessions - limit)) != std::string::npos);
  // Nine thousand sessions past the first thousand cost no memory of their own: an engine kept
  // for each would add far more than this.
  CHECK(rss_end - rss_warm < 16 * 1024);

  auto newest = http_request(svc.port(), "POST", "/mcp",
                             R"({"jsonrpc":"2.0","id":2,"method":"ping"})", mcp_headers(last));
  REQUIRE(newest);
  CHECK(newest->status == 200);
  auto oldest = http_request(svc.port(), "POST", "/mcp",
                             R"({"jsonrpc":"2.0","id":3,"method":"ping"})", mcp_headers(first));
  REQUIRE(oldest);
  CHECK(oldest->status == 404);
  CHECK(svc.proc().running());
}

TEST_CASE("/mcp: a body trickled past the request deadline is cut while others are served",
          "[mcp_http][hardening]") {
  webhook_process svc(default_webhook_env(), {"--mcp-conformance", "--no-template-sync",
                                              "--no-media", "--request-timeout-ms", "1000"});
  REQUIRE(svc.started());
  http_connection slow(svc.port());
  const std::string body = initialize_body + std::string(400, ' ');
  REQUIRE(
      slow.send_raw("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    "Accept: application/json, text/event-stream\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n\r\n"));
  std::atomic<bool> sent_all{false};
  std::thread sender([&] {
    // One byte per 50 ms takes far longer than the deadline: a server that restarted its timer
    // at each byte would let it finish.
    for (char c : body) {
      if (!slow.send_raw(std::string_view(&c, 1))) return;
      std::this_thread::sleep_for(50ms);
    }
    sent_all = true;
  });
  // While one client trickles, another opens a session.
  auto other = http_request(svc.port(), "POST", "/mcp", initialize_body, mcp_headers());
  bool closed = slow.closed_by_peer(60s);
  sender.join();
  REQUIRE(other);
  CHECK(other->status == 200);
  CHECK(closed);
  CHECK_FALSE(sent_all);
  CHECK(metric(svc, "pons_mcp_http_sessions_opened_total") == 1);
  CHECK(svc.proc().running());
}
