// Secrets: after an end-to-end run (the fake Graph API delivering signed webhooks with media to
// pons-webhook, hostile requests, a handshake, a forwarding target, a pons-mcp session that
// replies through the fake with the token and marks read), neither the logs nor the database files
// hold the access token, the app secret or the verify token, and a forwarding target's secret is
// only in its own column.
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "graph_harness.hpp"
#include "hardening_support.hpp"
#include "pons/forward/target_repository.hpp"
#include "pons/store/database.hpp"

using namespace pons;
using namespace pons::test;
using namespace pons::test::hardening;
using namespace std::chrono_literals;

namespace {

std::string random_secret(const std::string& label) {
  std::random_device rd;
  std::string out = label + "-";
  const char* alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
  for (int i = 0; i < 24; ++i) out += alphabet[rd() % 57];
  return out;
}

// Where a secret was found ("" when nowhere).
std::string find_in(const std::vector<std::pair<std::string, std::string>>& sources,
                    const std::string& secret) {
  std::string where;
  for (const auto& [name, text] : sources)
    if (text.find(secret) != std::string::npos) where += name + " ";
  return where;
}

}  // namespace

TEST_CASE("No secret reaches the logs or the database", "[hardening][secrets]") {
  const std::string access_token = random_secret("EAAtoken");
  const std::string app_secret = random_secret("appsecret");
  const std::string verify_token = random_secret("verify");

  graph_test::temp_dir fake_dir;
  temp_dir dir;
  std::string db_path = dir.file("pons.db");
  std::string webhook_log = dir.file("webhook.log");
  std::string mcp_log = dir.file("mcp.log");

  // The fake Graph API needs the webhook's URL and the webhook needs the fake's base URL: start
  // the webhook on a port it picks, then the fake pointing at it.
  std::vector<std::string> env{"WA_ACCESS_TOKEN=" + access_token,
                               "WA_APP_SECRET=" + app_secret,
                               "WA_WEBHOOK_VERIFY_TOKEN=" + verify_token,
                               std::string("WA_PHONE_NUMBER_ID=") + default_phone_number_id,
                               "WA_WABA_ID=102290129340398",
                               "HOME=" + dir.path()};
  std::string port_file = dir.file("port");
  auto webhook = process::start(
      PONS_WEBHOOK_BIN,
      {"serve", "--bind", "127.0.0.1", "--port", "0", "--port-file", port_file, "--db", db_path},
      env, {}, webhook_log);
  auto port = wait_for_port_file(port_file, webhook);
  REQUIRE(port);

  // A forwarding target with a secret, added the way the admin command does.
  std::string target_secret;
  {
    auto db = store::database::open(db_path);
    REQUIRE(db.has_value());
    forward::target_spec spec;
    spec.url = "http://127.0.0.1:9/never";
    spec.description = "secrets test";
    auto added = forward::add_target(*db, spec, std::chrono::system_clock::now());
    REQUIRE(added.has_value());
    target_secret = added->secret;
    REQUIRE(target_secret.size() >= 16);
  }

  graph_test::fake_graph_process fake(
      fake_dir,
      {"--app-secret", app_secret, "--webhook-url",
       "http://127.0.0.1:" + std::to_string(*port) + "/webhook/meta", "--waba-id",
       "102290129340398"},
      access_token);

  // Customers write (a text and a photo): the fake signs and delivers them.
  fake.control("POST", "/_fake/inbound",
               R"({"from":"16505551234","phone_number_id":")" +
                   std::string(default_phone_number_id) + R"(","text":"hello with a secret?"})");
  fake.control("POST", "/_fake/inbound",
               R"({"from":"16505551234","phone_number_id":")" +
                   std::string(default_phone_number_id) + R"(","image":{"caption":"a photo"}})");
  // Hostile and odd requests that make the service log refusals.
  auto body = payload({text_message("wamid.secrets.1", "direct")});
  CHECK(http_request(*port, "POST", "/webhook/meta", body, signed_headers(body, app_secret))
            ->status == 200);
  CHECK(http_request(*port, "POST", "/webhook/meta", body, signed_headers(body, "wrong"))->status ==
        404);
  CHECK(http_request(*port, "POST", "/webhook/meta", "{bad", signed_headers("{bad", app_secret))
            ->status == 400);
  // Handshakes carry the verify token in the query string: right and wrong.
  CHECK(http_request(*port, "GET",
                     "/webhook/meta?hub.mode=subscribe&hub.verify_token=" + verify_token +
                         "&hub.challenge=12345")
            ->body == "12345");
  CHECK(http_request(*port, "GET",
                     "/webhook/meta?hub.mode=subscribe&hub.verify_token=" + verify_token +
                         "x&hub.challenge=1")
            ->status == 404);
  CHECK(http_request(*port, "GET", "/metrics")->status == 200);

  // Let the media worker fetch the photo (with the token) and the deliverer try the target.
  db_probe probe(db_path);
  for (int i = 0; i < 100 && probe.integer("SELECT count(*) FROM messages") < 3; ++i)
    std::this_thread::sleep_for(50ms);
  CHECK(probe.integer("SELECT count(*) FROM messages") == 3);
  std::this_thread::sleep_for(500ms);

  // A pons-mcp session on the same database with the same environment: it reads, replies
  // through the fake Graph API (with the token) and marks the customer's message read.
  std::string mcp_out;
  {
    auto mcp_env = env;
    mcp_env.push_back("WA_GRAPH_BASE_URL=" + fake.base_url());
    mcp_session mcp({"--db", db_path}, mcp_env, mcp_log);
    std::vector<std::string> failures;
    auto call = [&](std::int64_t id, const std::string& method, boost::json::object params) {
      auto r = mcp.request(id, method, std::move(params));
      if (!r || r->as_object().contains("error") ||
          (r->at("result").is_object() && r->at("result").as_object().contains("isError")))
        failures.push_back(method + ": " + (r ? boost::json::serialize(*r) : "no answer"));
      if (r) mcp_out += boost::json::serialize(*r) + "\n";
    };
    call(1, "initialize",
         {{"protocolVersion", "2025-11-25"},
          {"capabilities", boost::json::object{}},
          {"clientInfo", {{"name", "secrets"}, {"version", "1"}}}});
    mcp.send(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
    call(2, "tools/list", {});
    call(3, "tools/call", {{"name", "list_conversations"}, {"arguments", boost::json::object{}}});
    call(4, "tools/call",
         {{"name", "send_text"}, {"arguments", {{"to", "+16505551234"}, {"text", "hi back"}}}});
    auto first = probe.column(
        "SELECT wamid FROM messages WHERE direction = 'inbound' AND type = 'text' ORDER BY id");
    REQUIRE(!first.empty());
    call(5, "tools/call", {{"name", "mark_read"}, {"arguments", {{"message_id", first[0]}}}});
    call(6, "tools/call", {{"name", "get_messages"}, {"arguments", boost::json::object{}}});
    CHECK(failures == std::vector<std::string>{});
  }
  CHECK(probe.integer("SELECT count(*) FROM messages WHERE direction = 'outbound' AND status = "
                      "'sent'") == 1);

  CHECK(webhook.stop(10s) == 0);

  std::vector<std::pair<std::string, std::string>> sources{
      {"webhook stderr", read_text_file(webhook_log)},
      {"pons-mcp stderr", read_text_file(mcp_log)},
      {"pons-mcp stdout", mcp_out},
      {"database", read_text_file(db_path)},
      {"database -wal", read_text_file(db_path + "-wal")},
      {"database -shm", read_text_file(db_path + "-shm")},
  };
  REQUIRE(!sources[0].second.empty());
  REQUIRE(!sources[3].second.empty());
  CHECK(find_in(sources, access_token).empty());
  CHECK(find_in(sources, app_secret).empty());
  CHECK(find_in(sources, verify_token).empty());
  // The target's secret is stored (the database is 0600) but nowhere else: not in the logs, not
  // in any other column of any table.
  // The search itself works: the stored target secret is found in the database files.
  CHECK(find_in(sources, target_secret).find("database") != std::string::npos);
  for (std::size_t i = 0; i < 3; ++i)
    CHECK(sources[i].second.find(target_secret) == std::string::npos);
  db_probe db(db_path);
  for (const auto& table :
       db.column("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                 "AND sql NOT LIKE 'CREATE VIRTUAL%'")) {
    for (const auto& col : db.column("SELECT name FROM pragma_table_info('" + table + "')")) {
      if (table == "webhook_targets" && col == "secret") continue;
      INFO(table << "." << col);
      for (const auto& secret : {target_secret, access_token, app_secret, verify_token}) {
        CHECK(db.integer("SELECT count(*) FROM \"" + table + "\" WHERE instr(CAST(\"" + col +
                         "\" AS TEXT), '" + secret + "') > 0") == 0);
      }
    }
  }
}
