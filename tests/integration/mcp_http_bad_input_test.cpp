// /mcp on the real pons-webhook under abuse: sessions opened and never used again, and a body
// trickled slower than the request deadline. Conformance mode (no authentication), raw HTTP.
#include <fmt/format.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>
#include <string>
#include <thread>

#include "support/webhook_process.hpp"

using namespace pons::test;
using namespace std::chrono_literals;

namespace {

using header_list = std::vector<std::pair<std::string, std::string>>;

const std::string initialize_body =
    R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",)"
    R"("capabilities":{},"clientInfo":{"name":"abandoner","version":"1"}}})";

header_list mcp_headers(const std::string& session = {}) {
  header_list h{{"Content-Type", "application/json"},
                {"Accept", "application/json, text/event-stream"}};
  if (!session.empty()) {
    h.emplace_back("Mcp-Session-Id", session);
    h.emplace_back("MCP-Protocol-Version", "2025-11-25");
  }
  return h;
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

}  // namespace

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
