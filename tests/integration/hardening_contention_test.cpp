// Two processes writing one database: pons-webhook ingests under load while another process
// (forked from the test, using the store API as pons-mcp does for sends and mark-read) writes
// outbound messages, marks them sent and marks the conversation read. Nobody may see
// SQLITE_BUSY: every webhook is answered 200, the other writer never fails, no row is lost. A
// second case does the same with the real pons-mcp sending through the fake Graph API.
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "graph_harness.hpp"
#include "hardening_support.hpp"
#include "pons/store/conversation_repository.hpp"
#include "pons/store/database.hpp"
#include "pons/store/message_repository.hpp"

using namespace pons;
using namespace pons::test;
using namespace pons::test::hardening;
using namespace std::chrono_literals;

namespace {

// The second writer: runs in a forked child, returns the number of failed operations.
int run_other_writer(const std::string& db_path, int iterations) {
  auto db = store::database::open(db_path);
  if (!db) {
    std::fprintf(stderr, "contention: open failed: %s\n", db.error().message().c_str());
    return 1;
  }
  int failures = 0;
  for (int i = 0; i < iterations; ++i) {
    store::outbound_message m;
    m.phone_number_id = default_phone_number_id;
    m.waba_id = "102290129340398";
    m.to.wa_id = "16505551234";
    m.type = "text";
    m.text = "reply " + std::to_string(i);
    m.idempotency_key = "contention-" + std::to_string(i);
    auto now = std::chrono::system_clock::now();
    auto inserted = store::insert_outbound_pending(*db, m, now);
    if (!inserted) {
      std::fprintf(stderr, "contention: insert %d: %s\n", i, inserted.error().message().c_str());
      ++failures;
      continue;
    }
    auto sent = store::mark_outbound_sent(*db, inserted->position.id,
                                          "wamid.contention.out." + std::to_string(i), now);
    if (!sent) {
      std::fprintf(stderr, "contention: sent %d: %s\n", i, sent.error().message().c_str());
      ++failures;
    }
    auto row = store::get_message(*db, inserted->position.id);
    if (!row || !*row) {
      ++failures;
      continue;
    }
    if (auto r = store::mark_conversation_read(*db, (*row)->conversation_id); !r) {
      std::fprintf(stderr, "contention: read %d: %s\n", i, r.error().message().c_str());
      ++failures;
    }
  }
  return failures;
}

}  // namespace

TEST_CASE("Webhook ingest and a second writing process never surface SQLITE_BUSY",
          "[hardening][contention]") {
  constexpr int senders = 4;
  constexpr int posts_per_sender = 60;
  constexpr int other_iterations = 300;
  webhook_process service;
  REQUIRE(service.started());

  // Fork before any thread exists in this process.
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    int failures = run_other_writer(service.db_path(), other_iterations);
    std::fflush(stderr);
    ::_exit(failures == 0 ? 0 : 1);
  }

  std::vector<std::vector<int>> statuses(senders);
  std::vector<std::thread> threads;
  auto started = std::chrono::steady_clock::now();
  for (int s = 0; s < senders; ++s) {
    threads.emplace_back([&, s] {
      http_connection conn(service.port());
      for (int i = 0; i < posts_per_sender; ++i) {
        std::string body = numbered_payload(
            "wamid.contention.in." + std::to_string(s) + "." + std::to_string(i), 2);
        int status = 0;
        if (conn.send_request("POST", "/webhook/meta", body, signed_headers(body))) {
          if (auto r = conn.read_response(30s)) status = r->status;
        }
        statuses[s].push_back(status);
      }
    });
  }
  for (auto& t : threads) t.join();
  int child_status = 0;
  REQUIRE(::waitpid(child, &child_status, 0) == child);
  auto elapsed = std::chrono::steady_clock::now() - started;

  CHECK(WIFEXITED(child_status));
  CHECK(WEXITSTATUS(child_status) == 0);
  int ok = 0;
  for (const auto& per_sender : statuses)
    for (int st : per_sender) {
      CHECK(st == 200);
      if (st == 200) ++ok;
    }
  CHECK(ok == senders * posts_per_sender);
  CHECK(service.count("SELECT count(*) FROM messages WHERE direction = 'inbound' AND wamid LIKE "
                      "'wamid.contention.in.%'") == senders * posts_per_sender * 2);
  CHECK(service.count("SELECT count(*) FROM messages WHERE direction = 'outbound' AND status = "
                      "'sent'") == other_iterations);
  CHECK(service.count("SELECT count(*) FROM conversations") == 1);
  CHECK(service.log().find("busy") == std::string::npos);
  CHECK(service.get("/health")->status == 200);
  std::printf("hardening-contention: webhooks=%d outbound=%d seconds=%.1f\n", ok, other_iterations,
              std::chrono::duration<double>(elapsed).count());
}

TEST_CASE("pons-mcp sends and marks read through the fake Graph API while webhooks pour in",
          "[hardening][contention]") {
  constexpr int contacts = 24;
  constexpr int senders = 3;
  constexpr int posts_per_sender = 40;
  graph_test::temp_dir fake_dir;
  webhook_process service(default_webhook_env(), {"--no-media"});
  REQUIRE(service.started());

  // Customers who wrote just now (their 24-hour windows are open), one message each.
  auto now_s = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
  for (int c = 0; c < contacts; ++c) {
    std::string wa_id = "1650555" + std::to_string(1000 + c);
    std::string msg = R"({"from":")" + wa_id + R"(","id":"wamid.contention.first.)" +
                      std::to_string(c) + R"(","timestamp":")" + std::to_string(now_s) +
                      R"(","type":"text","text":{"body":"hello"}})";
    auto body = payload({msg}, {}, default_phone_number_id, wa_id);
    REQUIRE(service.post(body)->status == 200);
  }

  graph_test::fake_graph_process fake(fake_dir, {"--app-secret", default_app_secret},
                                      "contention-token");
  std::string mcp_log = service.dir().file("mcp.log");
  mcp_session mcp({"--db", service.db_path()},
                  {"WA_ACCESS_TOKEN=contention-token", "WA_GRAPH_BASE_URL=" + fake.base_url(),
                   std::string("WA_PHONE_NUMBER_ID=") + default_phone_number_id,
                   "WA_WABA_ID=102290129340398", "HOME=" + service.dir().path()},
                  mcp_log);
  REQUIRE(mcp.request(1, "initialize",
                      {{"protocolVersion", "2025-11-25"},
                       {"capabilities", boost::json::object{}},
                       {"clientInfo", {{"name", "contention"}, {"version", "1"}}}}));
  mcp.send(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");

  // Webhook load on keep-alive connections while the assistant works.
  std::vector<std::vector<int>> statuses(senders);
  std::vector<std::thread> threads;
  for (int s = 0; s < senders; ++s) {
    threads.emplace_back([&, s] {
      http_connection conn(service.port());
      for (int i = 0; i < posts_per_sender; ++i) {
        std::string body = numbered_payload(
            "wamid.contention.mcp." + std::to_string(s) + "." + std::to_string(i), 2);
        int status = 0;
        if (conn.send_request("POST", "/webhook/meta", body, signed_headers(body))) {
          if (auto r = conn.read_response(30s)) status = r->status;
        }
        statuses[s].push_back(status);
      }
    });
  }
  std::vector<std::string> tool_failures;
  std::int64_t id = 10;
  for (int c = 0; c < contacts; ++c) {
    auto call = [&](const std::string& tool, boost::json::object args) {
      auto r = mcp.request(++id, "tools/call", {{"name", tool}, {"arguments", std::move(args)}});
      if (!r || r->as_object().contains("error") ||
          r->at("result").as_object().contains("isError")) {
        tool_failures.push_back(tool + ": " + (r ? boost::json::serialize(*r) : "no answer"));
      }
    };
    call("send_text",
         {{"to", "+1650555" + std::to_string(1000 + c)}, {"text", "reply " + std::to_string(c)}});
    call("mark_read", {{"message_id", "wamid.contention.first." + std::to_string(c)}});
  }
  for (auto& t : threads) t.join();
  mcp.close_input();

  INFO("pons-mcp stderr: " << read_text_file(mcp_log));
  CHECK(tool_failures == std::vector<std::string>{});
  int ok = 0;
  for (const auto& per_sender : statuses)
    for (int st : per_sender) ok += st == 200;
  CHECK(ok == senders * posts_per_sender);
  CHECK(service.count("SELECT count(*) FROM messages WHERE direction = 'inbound'") ==
        contacts + senders * posts_per_sender * 2);
  CHECK(service.count("SELECT count(*) FROM messages WHERE direction = 'outbound' AND status = "
                      "'sent' AND wamid IS NOT NULL") == contacts);
  CHECK(service.count("SELECT count(*) FROM messages WHERE direction = 'inbound' AND wamid LIKE "
                      "'wamid.contention.first.%' AND status = 'read'") == contacts);
  auto log = read_text_file(mcp_log) + service.log();
  CHECK(log.find("busy") == std::string::npos);
  CHECK(log.find("SQLITE_BUSY") == std::string::npos);
}
