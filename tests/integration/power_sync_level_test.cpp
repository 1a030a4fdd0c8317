// Checkpoints copy the WAL into the database file and then let the WAL be reused; only a
// connection with synchronous NORMAL or FULL syncs the database file before that. So every
// SQLite connection either binary opens must run at NORMAL or FULL, never OFF: a preloaded
// library (tests/support/sync_shims/sync_level_check.cpp) records each connection's level when
// it commits and when it closes, while pons-webhook (writer, checkpointer, media worker,
// template syncer, deliverer, the targets command) and pons-mcp (sends, mark-read) do their work.
#include <algorithm>
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "hardening_support.hpp"
#include "support/command_run.hpp"
#include "support/forward_receiver.hpp"

using namespace pons::test;
using namespace pons::test::hardening;
using namespace std::chrono_literals;

namespace {

constexpr const char* graph_token = "sync-level-token";

// "pid=1 connection=0x2 synchronous=2" lines: connection -> levels seen.
std::map<std::string, std::set<int>> levels_in(const std::string& report) {
  std::map<std::string, std::set<int>> levels;
  std::istringstream in(read_text_file(report));
  std::string pid, connection, level;
  while (in >> pid >> connection >> level) {
    const auto value = level.substr(level.find('=') + 1);
    levels[pid + " " + connection].insert(std::stoi(value));
  }
  return levels;
}

// Connections that ran at any level but NORMAL (1) or FULL (2).
std::vector<std::string> unsafe(const std::map<std::string, std::set<int>>& levels) {
  std::vector<std::string> out;
  for (const auto& [connection, seen] : levels)
    for (int level : seen)
      if (level != 1 && level != 2)
        out.push_back(connection + " synchronous=" + std::to_string(level));
  return out;
}

std::vector<std::string> preload(const std::string& report) {
  return {std::string("LD_PRELOAD=") + PONS_SYNC_LEVEL_LIB, "PONS_SYNC_LEVEL_REPORT=" + report,
          "ASAN_OPTIONS=verify_asan_link_order=0"};
}

template <typename F>
bool eventually(F done) {
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

}  // namespace

TEST_CASE("the synchronous-level check sees a connection at OFF", "[hardening][power]") {
  temp_dir dir;
  const auto report = dir.file("sqlite3.report");
  auto r = run_command("/usr/bin/sqlite3",
                       {dir.file("off.db"),
                        "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF; "
                        "CREATE TABLE t(x); INSERT INTO t VALUES (1);"},
                       preload(report), dir.path(), dir.path());
  REQUIRE(r.code == 0);
  const auto levels = levels_in(report);
  REQUIRE(levels.size() == 1);
  CHECK(levels.begin()->second.count(0) == 1);
  CHECK(unsafe(levels).size() == 1);
}

TEST_CASE("every SQLite connection of pons-webhook and pons-mcp syncs (NORMAL or FULL)",
          "[hardening][power]") {
  temp_dir dir;
  const auto webhook_report = dir.file("webhook.report");
  const auto cli_report = dir.file("cli.report");
  const auto mcp_report = dir.file("mcp.report");

  auto graph =
      process::start(std::string(PONS_BINARY_DIR) + "/tests/support/fake_graph/pons-fake-graph",
                     {"--port", "0", "--port-file", dir.file("fake.port"), "--token", graph_token,
                      "--app-secret", default_app_secret},
                     {}, {}, dir.file("fake.log"));
  auto graph_port = wait_for_port_file(dir.file("fake.port"), graph);
  REQUIRE(graph_port);
  const auto graph_url = "http://127.0.0.1:" + std::to_string(*graph_port);
  auto env = default_webhook_env();
  env.erase(
      std::remove_if(env.begin(), env.end(),
                     [](const std::string& e) { return e.rfind("WA_ACCESS_TOKEN=", 0) == 0; }),
      env.end());
  env.push_back(std::string("WA_ACCESS_TOKEN=") + graph_token);
  env.push_back("WA_GRAPH_BASE_URL=" + graph_url);
  env.push_back("HOME=" + dir.path());
  const auto db_path = dir.file("data/pons.db");

  // Media downloads and template syncs on (their workers have connections of their own).
  auto webhook_env = env;
  for (auto& e : preload(webhook_report)) webhook_env.push_back(e);
  auto service = process::start(PONS_WEBHOOK_BIN,
                                {"serve", "--bind", "127.0.0.1", "--port", "0", "--port-file",
                                 dir.file("port"), "--db", db_path},
                                webhook_env, {}, dir.file("webhook.log"));
  auto port = wait_for_port_file(dir.file("port"), service);
  REQUIRE(port);

  // A forwarding target, added by the admin command (a connection of its own too).
  pons::forward_test::receiver target(
      [](const auto&, std::size_t) { return pons::forward_test::reply{200}; });
  auto cli_env = env;
  for (auto& e : preload(cli_report)) cli_env.push_back(e);
  auto added =
      run_command(PONS_WEBHOOK_BIN, {"targets", "add", "--url", target.url(), "--db", db_path},
                  cli_env, dir.path(), dir.path());
  REQUIRE(added.code == 0);

  // The customer writes (a text and a photo) through the fake Graph API's signed webhooks.
  auto control = [&](const std::string& path, const std::string& json) {
    return http_request(*graph_port, "POST", path, json, {{"Content-Type", "application/json"}});
  };
  REQUIRE(control("/_fake/config", R"({"webhook_url":"http://127.0.0.1:)" + std::to_string(*port) +
                                       R"(/webhook/meta"})")
              ->status == 200);
  auto text = control("/_fake/inbound", R"({"from":"16505551234","text":"hello"})");
  REQUIRE(text);
  REQUIRE(text->status == 200);
  REQUIRE(
      control(
          "/_fake/inbound",
          R"({"from":"16505551234","image":{"data_base64":"aGVsbG8gbWVkaWE=","mime_type":"image/png"}})")
          ->status == 200);
  db_probe db(db_path);
  REQUIRE(eventually(
      [&] { return db.integer("SELECT count(*) FROM media WHERE state = 'done'") == 1; }));
  REQUIRE(eventually([&] { return target.requests().size() >= 2; }));

  // pons-mcp replies and marks the message read.
  {
    auto mcp_env = env;
    for (auto& e : preload(mcp_report)) mcp_env.push_back(e);
    mcp_session mcp({"--db", db_path}, mcp_env, dir.file("mcp.log"));
    REQUIRE(mcp.request(1, "initialize",
                        {{"protocolVersion", "2025-11-25"},
                         {"capabilities", boost::json::object{}},
                         {"clientInfo", {{"name", "sync-level"}, {"version", "1"}}}}));
    mcp.send(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
    auto sent = mcp.request(
        2, "tools/call",
        {{"name", "send_text"}, {"arguments", {{"to", "+16505551234"}, {"text", "hi"}}}});
    REQUIRE(sent);
    CHECK(!sent->at("result").as_object().contains("isError"));
    const auto wamid = boost::json::parse(text->body).at("wamid").as_string();
    auto read =
        mcp.request(3, "tools/call", {{"name", "mark_read"}, {"arguments", {{"wamid", wamid}}}});
    REQUIRE(read);
    CHECK(!read->at("result").as_object().contains("isError"));
    mcp.close_input();
  }
  CHECK(service.stop(30s) == 0);

  const auto webhook_levels = levels_in(webhook_report);
  const auto cli_levels = levels_in(cli_report);
  const auto mcp_levels = levels_in(mcp_report);
  INFO("pons-webhook: " << read_text_file(webhook_report));
  INFO("targets add: " << read_text_file(cli_report));
  INFO("pons-mcp: " << read_text_file(mcp_report));
  // Writer, checkpointer, media worker, template syncer and deliverer at least.
  CHECK(webhook_levels.size() >= 5);
  CHECK(cli_levels.size() >= 1);
  CHECK(mcp_levels.size() >= 1);
  CHECK(unsafe(webhook_levels).empty());
  CHECK(unsafe(cli_levels).empty());
  CHECK(unsafe(mcp_levels).empty());
}
