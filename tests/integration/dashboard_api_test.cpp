// The dashboard's JSON API over the tools (/api/v1/tools/NAME) on the real pons-webhook: what a
// signed-in user and an API key may call, arguments from a query string or a JSON body, the
// tools' own answers and refusals, CSRF on sends, and account limits.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <ctime>
#include <string>
#include <vector>

#include "pons/store/api_key_repository.hpp"
#include "pons/store/database.hpp"
#include "support/dashboard_session.hpp"
#include "support/webhook_payloads.hpp"

namespace json = boost::json;
using pons::test::cookie_pair;
using pons::test::csrf_of;
using pons::test::dashboard;
using pons::test::header_list;
using pons::test::http_request;
using pons::test::http_response;
using pons::test::status_of;

namespace {

// A dashboard with one inbound text message stored (sends are dry runs: no Graph API here).
struct inbox_with_a_message : dashboard {
  inbox_with_a_message() : dashboard({"--mcp-dry-run"}) {
    auto body = pons::test::simple_payload(
        pons::test::default_phone_number_id,
        // Sent now, so the customer service window is open.
        {pons::test::text_message_json("wamid.API1", "16505551234", "Is my order <b>ready</b>?",
                                       std::time(nullptr))});
    auto r = svc.post(body);
    REQUIRE(r);
    REQUIRE(r->status == 200);
  }

  std::string sign_in(const std::string& email, const std::string& role) {
    auto r = signed_in(email, role, "a long enough password");
    csrf = csrf_of(r);
    return cookie_pair(r.header("set-cookie"));
  }

  std::string csrf;
};

json::object body_of(const std::optional<http_response>& r) {
  REQUIRE(r);
  INFO(r->body);
  return json::parse(r->body).as_object();
}

std::string key_for(const pons::test::webhook_process& svc, std::vector<std::string> scopes,
                    std::string waba = {}) {
  auto db = pons::store::database::open(svc.db_path());
  REQUIRE(db.has_value());
  // An account of someone else on this Pons: a key may name only an account recorded here.
  REQUIRE(
      db->exec("INSERT OR IGNORE INTO accounts (waba_id, created_at, updated_at) "
               "VALUES ('999000111222333', '2026-01-01T00:00:00.000Z', "
               "'2026-01-01T00:00:00.000Z')"));
  pons::store::api_key_spec spec;
  spec.name = "dashboard api test";
  spec.scopes = std::move(scopes);
  spec.waba_id = std::move(waba);
  auto made = pons::store::create_api_key(*db, spec, std::chrono::system_clock::now());
  REQUIRE(made.has_value());
  return made->secret;
}

header_list bearer(const std::string& key) {
  return {{"Authorization", "Bearer " + key}};
}

}  // namespace

TEST_CASE("dashboard api: a signed-in member reads conversations and messages through the tools",
          "[dashboard][api]") {
  inbox_with_a_message d;
  const auto cookie = d.sign_in("mo@example.com", "member");

  auto list = d.request("GET", "/api/v1/tools/list_conversations", cookie);
  CHECK(status_of(list) == 200);
  auto conversations = body_of(list).at("conversations").as_array();
  REQUIRE(conversations.size() == 1);
  const auto& first = conversations[0].as_object();
  CHECK(first.at("contact").at("name") == "Sheena Nelson");
  CHECK(first.at("unread_count") == 1);
  const auto id = first.at("id").as_int64();

  auto messages = d.request(
      "GET", "/api/v1/tools/get_messages?conversation_id=" + std::to_string(id) + "&limit=10",
      cookie);
  CHECK(status_of(messages) == 200);
  auto listed = body_of(messages).at("messages").as_array();
  REQUIRE(listed.size() == 1);
  // The text comes back as it was written, markup and all: the pages render it as text.
  CHECK(listed[0].at("text") == "Is my order <b>ready</b>?");

  // The same call as a POST with a JSON body (it reads, so it needs the CSRF token too).
  header_list with_token{{"Content-Type", "application/json"}, {"X-CSRF-Token", d.csrf}};
  auto posted = d.request("POST", "/api/v1/tools/get_messages", cookie, with_token,
                          json::serialize(json::object{{"conversation_id", id}}));
  CHECK(status_of(posted) == 200);
  CHECK(body_of(posted).at("messages").as_array().size() == 1);

  // Nobody signed in: refused before any tool runs.
  CHECK(status_of(d.request("GET", "/api/v1/tools/list_conversations", "")) == 401);
}

TEST_CASE("dashboard api: arguments that do not fit the tool are refused with the field named",
          "[dashboard][api]") {
  inbox_with_a_message d;
  const auto cookie = d.sign_in("mo@example.com", "member");
  auto not_a_number = d.request("GET", "/api/v1/tools/get_messages?limit=ten", cookie);
  CHECK(status_of(not_a_number) == 400);
  CHECK(body_of(not_a_number).at("error") == "limit: must be a whole number");

  auto unknown = d.request("GET", "/api/v1/tools/get_messages?colour=red", cookie);
  CHECK(status_of(unknown) == 400);
  CHECK(body_of(unknown).at("error") == "colour: is not an argument of this tool");

  auto twice = d.request("GET", "/api/v1/tools/get_messages?limit=1&limit=2", cookie);
  CHECK(status_of(twice) == 400);

  // The tool's own schema: a limit out of range is named as MCP names it.
  auto too_many = d.request("GET", "/api/v1/tools/get_messages?limit=100000", cookie);
  CHECK(status_of(too_many) == 400);
  CHECK(body_of(too_many).at("error").as_string().starts_with("arguments.limit"));

  header_list json_body{{"Content-Type", "application/json"}, {"X-CSRF-Token", d.csrf}};
  auto not_json = d.request("POST", "/api/v1/tools/get_messages", cookie, json_body, "{limit:");
  CHECK(status_of(not_json) == 400);
  auto not_an_object = d.request("POST", "/api/v1/tools/get_messages", cookie, json_body, "[1]");
  CHECK(status_of(not_an_object) == 400);
  header_list text_body{{"Content-Type", "text/plain"}, {"X-CSRF-Token", d.csrf}};
  CHECK(status_of(d.request("POST", "/api/v1/tools/get_messages", cookie, text_body, "{}")) == 400);
}

TEST_CASE("dashboard api: sending takes a POST with the CSRF token and goes through the send flow",
          "[dashboard][api]") {
  inbox_with_a_message d;
  const auto cookie = d.sign_in("mo@example.com", "member");
  const std::string args =
      json::serialize(json::object{{"to", "+1 650-555-1234"}, {"text", "Yes, it is."}});

  // A send is never a GET, and never without the token.
  CHECK(status_of(d.request("GET", "/api/v1/tools/send_text?to=16505551234&text=x", cookie)) ==
        405);
  auto no_token = d.request("POST", "/api/v1/tools/send_text", cookie,
                            {{"Content-Type", "application/json"}}, args);
  CHECK(status_of(no_token) == 403);
  CHECK(d.svc.count("SELECT COUNT(*) FROM messages WHERE direction = 'outbound'") == 0);

  auto sent = d.request("POST", "/api/v1/tools/send_text", cookie,
                        {{"Content-Type", "application/json"}, {"X-CSRF-Token", d.csrf}}, args);
  CHECK(status_of(sent) == 200);
  INFO(sent->body);
  CHECK(body_of(sent).at("state") == "dry_run");

  // What the tool refuses comes back in its words, as a 422.
  auto nobody = d.request("POST", "/api/v1/tools/send_text", cookie,
                          {{"Content-Type", "application/json"}, {"X-CSRF-Token", d.csrf}},
                          json::serialize(json::object{{"to", "Nobody Known"}, {"text", "Hello"}}));
  INFO(d.svc.log());
  CHECK(status_of(nobody) == 422);
  CHECK_FALSE(body_of(nobody).at("error").as_string().empty());
}

TEST_CASE("dashboard api: what is not offered, and what needs the admin role", "[dashboard][api]") {
  inbox_with_a_message d;
  const auto member = d.sign_in("mo@example.com", "member");
  // A wait would hold a worker for minutes; the pages have the events stream instead.
  CHECK(status_of(d.request("GET", "/api/v1/tools/wait_for_messages", member)) == 404);
  CHECK(status_of(d.request("GET", "/api/v1/tools/no_such_tool", member)) == 404);

  header_list json_body{{"Content-Type", "application/json"}, {"X-CSRF-Token", d.csrf}};
  auto refused = d.request("POST", "/api/v1/tools/sync_templates", member, json_body, "{}");
  CHECK(status_of(refused) == 403);
  CHECK(body_of(refused).at("error").as_string().find("admin") != std::string::npos);

  const auto admin = d.sign_in("ad@example.com", "admin");
  auto allowed = d.request("POST", "/api/v1/tools/sync_templates", admin,
                           {{"Content-Type", "application/json"}, {"X-CSRF-Token", d.csrf}}, "{}");
  // Past the role check, the tool itself answers (it cannot reach Meta here).
  CHECK(status_of(allowed) != 403);
  CHECK(status_of(allowed) != 401);
}

TEST_CASE("dashboard api: an API key is held to its scopes and its account", "[dashboard][api]") {
  inbox_with_a_message d;
  const auto reader = key_for(d.svc, {"read"});
  auto listed =
      http_request(d.svc.port(), "GET", "/api/v1/tools/list_conversations", "", bearer(reader));
  CHECK(status_of(listed) == 200);
  CHECK(body_of(listed).at("conversations").as_array().size() == 1);

  // No CSRF token for a key: a browser never sends the Authorization header by itself.
  auto headers = bearer(reader);
  headers.emplace_back("Content-Type", "application/json");
  auto send = http_request(d.svc.port(), "POST", "/api/v1/tools/send_text",
                           R"({"to":"16505551234","text":"hi"})", headers);
  CHECK(status_of(send) == 403);
  CHECK(body_of(send).at("error").as_string().find("send scope") != std::string::npos);

  const auto elsewhere = key_for(d.svc, {"read"}, "999000111222333");
  auto other_account =
      http_request(d.svc.port(), "GET", "/api/v1/tools/list_conversations", "", bearer(elsewhere));
  CHECK(status_of(other_account) == 200);
  CHECK(body_of(other_account).at("conversations").as_array().empty());

  auto wrong = http_request(d.svc.port(), "GET", "/api/v1/tools/list_conversations", "",
                            bearer("pons_not_a_real_key"));
  CHECK(status_of(wrong) == 401);
}
