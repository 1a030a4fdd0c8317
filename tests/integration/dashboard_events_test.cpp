// The dashboard's live change feed (GET /api/v1/events) on the real pons-webhook: a signed-in
// user's stream opens with `ready` and names a conversation soon after a webhook stores a
// message; no session, no stream; a key of another account hears nothing of this one's
// conversations; the per-principal limit; SIGTERM ends open streams and the service exits 0.
#include <signal.h>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <ctime>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "pons/store/api_key_repository.hpp"
#include "pons/store/database.hpp"
#include "support/dashboard_session.hpp"
#include "support/webhook_payloads.hpp"

namespace json = boost::json;
using namespace std::chrono_literals;
using pons::test::cookie_pair;
using pons::test::dashboard;
using pons::test::header_list;
using pons::test::http_connection;
using pons::test::status_of;

namespace {

// Hang protection only: every wait below ends as soon as what it waits for arrives.
constexpr auto patience = 60s;

// An open GET /api/v1/events: the connection, read raw (the body is chunked).
std::unique_ptr<http_connection> open_events(std::uint16_t port, const header_list& headers) {
  auto c = std::make_unique<http_connection>(port);
  REQUIRE(c->send_request("GET", "/api/v1/events", {}, headers));
  return c;
}

// Opens a stream and waits for its `ready` event.
std::unique_ptr<http_connection> ready_stream(std::uint16_t port, const header_list& headers) {
  auto c = open_events(port, headers);
  INFO(c->received());
  REQUIRE(c->read_until("event: ready\ndata: {}\n\n", patience));
  return c;
}

// The data of every `changed` event read so far on `stream`.
std::vector<json::object> changed_events(const http_connection& stream) {
  std::vector<json::object> out;
  std::istringstream lines(stream.received());
  std::string line;
  bool changed = false;
  while (std::getline(lines, line)) {
    if (changed && line.rfind("data: ", 0) == 0)
      out.push_back(json::parse(line.substr(6)).as_object());
    changed = line == "event: changed";
  }
  return out;
}

bool names(const json::object& event, std::int64_t conversation) {
  for (const auto& id : event.at("conversations").as_array())
    if (id.as_int64() == conversation) return true;
  return false;
}

std::string lowercase(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A text message from a customer to `number`, signed with `secret`; answered 200.
void receive_message(pons::test::webhook_process& svc, const std::string& number,
                     const std::string& secret, const std::string& wamid,
                     const std::string& waba = "102290129340398") {
  auto body = pons::test::simple_payload(
      number,
      {pons::test::text_message_json(wamid, "16505551234", "Is it ready?", std::time(nullptr))}, {},
      waba);
  auto r = svc.post(body, secret);
  REQUIRE(r);
  REQUIRE(r->status == 200);
}

std::int64_t conversation_of(const pons::test::webhook_process& svc, const std::string& number) {
  auto id = svc.count("SELECT id FROM conversations WHERE phone_number_id = '" + number + "'");
  REQUIRE(id > 0);
  return id;
}

std::string session_cookie(dashboard& d, const std::string& email, const std::string& role) {
  return cookie_pair(d.signed_in(email, role, "a long enough password").header("set-cookie"));
}

}  // namespace

TEST_CASE("dashboard events: a signed-in user's stream names the conversation a webhook changed",
          "[dashboard][events]") {
  dashboard d;
  const auto cookie = session_cookie(d, "mo@example.com", "member");
  auto stream = ready_stream(d.svc.port(), {{"Cookie", cookie}, {"Accept", "text/event-stream"}});
  const auto head = lowercase(stream->received());
  CHECK(head.rfind("http/1.1 200", 0) == 0);
  CHECK(head.find("content-type: text/event-stream") != std::string::npos);
  CHECK(head.find("cache-control: no-store") != std::string::npos);
  CHECK(head.find("content-security-policy: ") != std::string::npos);
  CHECK(head.find("x-content-type-options: nosniff") != std::string::npos);
  CHECK(stream->received().find("retry: 2000\n") != std::string::npos);

  receive_message(d.svc, pons::test::default_phone_number_id, pons::test::default_app_secret,
                  "wamid.FEED1");
  const auto id = conversation_of(d.svc, pons::test::default_phone_number_id);
  const auto expected = "\"conversations\":[" + std::to_string(id) + "]";
  INFO(stream->received());
  REQUIRE(stream->read_until(expected, patience));
  auto events = changed_events(*stream);
  REQUIRE(!events.empty());
  CHECK(names(events.back(), id));
  // The first poll that saw it also saw the inbox grow.
  CHECK(events.front().at("new_conversations") == true);
}

TEST_CASE("dashboard events: no session or key, no stream", "[dashboard][events]") {
  dashboard d;
  auto r = pons::test::http_request(d.svc.port(), "GET", "/api/v1/events", {},
                                    {{"Accept", "text/event-stream"}});
  CHECK(status_of(r) == 401);
  CHECK(r->header("content-type") == "application/json");
  CHECK(r->body.find("event:") == std::string::npos);
  // A cookie that names no session is no better.
  auto forged = pons::test::http_request(d.svc.port(), "GET", "/api/v1/events", {},
                                         {{"Cookie", "pons_session=not-a-session"}});
  CHECK(status_of(forged) == 401);
}

TEST_CASE("dashboard events: a key of another account hears nothing of this one's conversations",
          "[dashboard][events]") {
  // Two accounts: A owns number 1001 (WABA 111), B owns 2002 (WABA 222).
  pons::test::temp_dir dir;
  const auto cfg = dir.file("accounts.json");
  pons::test::write_text_file(cfg, R"({"accounts":[
    {"waba_id":"111","app_secret":"secret-a","verify_token":"token-a","access_token":"token-a",
     "phone_numbers":["1001"]},
    {"waba_id":"222","app_secret":"secret-b","verify_token":"token-b","access_token":"token-b",
     "phone_numbers":["2002"]}]})",
                              0600);
  dashboard d({"--config", cfg, "--no-media"}, {});

  std::string key_b;
  {
    auto db = pons::store::database::open(d.svc.db_path());
    REQUIRE(db.has_value());
    pons::store::api_key_spec spec;
    spec.name = "account B's script";
    spec.scopes = {"read"};
    spec.waba_id = "222";
    auto made = pons::store::create_api_key(*db, spec, std::chrono::system_clock::now());
    REQUIRE(made.has_value());
    key_b = made->secret;
  }
  const auto owner = session_cookie(d, "owner@example.com", "owner");
  auto everything = ready_stream(d.svc.port(), {{"Cookie", owner}});
  auto only_b = ready_stream(d.svc.port(), {{"Authorization", "Bearer " + key_b}});

  // A's message first, and seen by the owner's stream before B's is sent: the feed sends
  // events in order, so were B's stream to hear of A's conversation, it would before B's.
  receive_message(d.svc, "1001", "secret-a", "wamid.FEED.A", "111");
  const auto a = conversation_of(d.svc, "1001");
  INFO(everything->received());
  REQUIRE(everything->read_until("\"conversations\":[" + std::to_string(a) + "]", patience));

  receive_message(d.svc, "2002", "secret-b", "wamid.FEED.B", "222");
  const auto b = conversation_of(d.svc, "2002");
  INFO(only_b->received());
  REQUIRE(only_b->read_until("\"conversations\":[" + std::to_string(b) + "]", patience));
  for (const auto& event : changed_events(*only_b)) CHECK_FALSE(names(event, a));
}

TEST_CASE("dashboard events: one principal holds 8 streams, and a ninth ends the oldest",
          "[dashboard][events]") {
  dashboard d;
  const auto cookie = session_cookie(d, "mo@example.com", "member");
  std::vector<std::unique_ptr<http_connection>> open;
  for (int i = 0; i < 8; ++i) open.push_back(ready_stream(d.svc.port(), {{"Cookie", cookie}}));
  // A reloaded page's new stream: it is served, and the oldest (a page long gone, as a rule)
  // ends properly, while the others stay open.
  auto ninth = ready_stream(d.svc.port(), {{"Cookie", cookie}});
  REQUIRE(ninth);
  INFO(open.front()->received());
  CHECK(open.front()->read_until("\r\n0\r\n\r\n", patience));
  CHECK(!open[1]->closed_by_peer(std::chrono::milliseconds(200)));
  // Another user is not held back by the first one's streams.
  const auto other = session_cookie(d, "ana@example.com", "member");
  CHECK(ready_stream(d.svc.port(), {{"Cookie", other}}));
}

TEST_CASE("dashboard events: SIGTERM ends open streams and the service exits 0",
          "[dashboard][events]") {
  dashboard d;
  const auto cookie = session_cookie(d, "mo@example.com", "member");
  auto first = ready_stream(d.svc.port(), {{"Cookie", cookie}});
  auto second = ready_stream(d.svc.port(), {{"Cookie", cookie}});
  // Without the feed closing them, the streams would keep the service running past the wait.
  auto code = d.svc.proc().stop(30s);
  REQUIRE(code);
  CHECK(*code == 0);
  CHECK(first->closed_by_peer(patience));
  CHECK(second->closed_by_peer(patience));
  // The chunked body ended properly: a last, empty chunk.
  CHECK(first->received().find("\r\n0\r\n\r\n") != std::string::npos);
  CHECK(d.svc.log().find("stopped") != std::string::npos);
}
