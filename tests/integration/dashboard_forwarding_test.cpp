// Forwarding targets, their deliveries and the accounts page's data from the dashboard's API on
// the real pons-webhook, with a real loopback receiver checking every signature: an admin adds
// a target (its secret shown once), sends a test event, rotates the secret, edits, disables and
// removes it; a dead delivery shows its attempts and is retried; members and keys manage none;
// an admin of one account sees only targets of its numbers.
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>

#include "pons/forward/target_repository.hpp"
#include "support/dashboard_session.hpp"
#include "support/forward_receiver.hpp"
#include "support/webhook_payloads.hpp"

namespace json = boost::json;
using namespace std::chrono_literals;
using pons::forward_test::received;
using pons::forward_test::receiver;
using pons::forward_test::reply;
using pons::test::dashboard;
using pons::test::http_request;
using pons::test::status_of;

namespace {

json::object body_of(const std::optional<pons::test::http_response>& r) {
  REQUIRE(r);
  INFO(r->body);
  return json::parse(r->body).as_object();
}

std::string with_id(std::int64_t id, const std::string& rest = {}) {
  return "{\"id\":" + std::to_string(id) + rest + "}";
}

// The dashboard with deliveries picked up quickly and sent to loopback.
dashboard forwarding_dashboard() {
  auto env = pons::test::default_webhook_env();
  env.push_back("PONS_FORWARD_POLL_MS=20");
  env.push_back("PONS_FORWARD_BACKOFF_SCALE=0.001");
  return dashboard({}, env);
}

// The deliveries of `target` once one is in `state`; empty when none gets there in time.
json::array deliveries_once(dashboard& d, const dashboard::session& s, std::int64_t target,
                            const std::string& state) {
  for (int i = 0; i < 400; ++i) {
    auto r = d.request("GET", "/api/v1/deliveries?target=" + std::to_string(target), s.cookie);
    auto list = body_of(r).at("deliveries").as_array();
    for (const auto& x : list)
      if (x.at("state") == state.c_str()) return list;
    std::this_thread::sleep_for(25ms);
  }
  return {};
}

}  // namespace

TEST_CASE("dashboard forwarding: an admin adds, tests, re-keys, edits and removes a target",
          "[dashboard][forward]") {
  receiver rx([](const received&, std::size_t) { return reply{200}; });
  auto d = forwarding_dashboard();
  const auto admin = d.sign_in("ada@example.com", "admin");

  auto made = d.post_json(
      admin, "/api/v1/targets",
      json::serialize(json::object{{"url", rx.url()},
                                   {"description", "crm"},
                                   {"eventTypes", json::array{"message.inbound.received"}},
                                   {"maxAttempts", 3}}));
  REQUIRE(status_of(made) == 201);
  auto created = body_of(made);
  const std::string secret(created.at("secret").as_string());
  CHECK(secret.size() == 64);
  const auto id = created.at("target").at("id").as_int64();
  CHECK(created.at("target").at("maxAttempts") == 3);

  auto listed = d.request("GET", "/api/v1/targets", admin.cookie);
  REQUIRE(status_of(listed) == 200);
  CHECK(listed->body.find(secret) == std::string::npos);
  auto targets = body_of(listed).at("targets").as_array();
  REQUIRE(targets.size() == 1);
  CHECK(targets[0].at("description") == "crm");
  CHECK(targets[0].at("queued") == 0);
  CHECK(body_of(listed).at("eventTypes").as_array().size() ==
        pons::forward::all_event_types.size());
  CHECK(body_of(listed).at("eventTypes").as_array().back() == "account.standing.updated");

  // A test event, signed with the secret just shown: the receiver can verify it.
  auto tested = d.post_json(admin, "/api/v1/targets/test", with_id(id));
  REQUIRE(status_of(tested) == 200);
  CHECK(body_of(tested).at("ok") == true);
  CHECK(body_of(tested).at("statusCode") == 200);
  REQUIRE(rx.wait_for(1, 10s) == 1);
  auto first = rx.requests().front();
  CHECK(first.headers.at("x-pons-event-type") == "pons.test");
  CHECK(first.headers.at("x-pons-signature") ==
        pons::forward_test::expected_signature(secret, first));
  CHECK(json::parse(first.body).at("source") == "pons dashboard");

  // A new secret: the next test event is signed with it, not the old one.
  auto rotated = d.post_json(admin, "/api/v1/targets/rotate", with_id(id));
  REQUIRE(status_of(rotated) == 200);
  const std::string fresh(body_of(rotated).at("secret").as_string());
  CHECK(fresh != secret);
  REQUIRE(status_of(d.post_json(admin, "/api/v1/targets/test", with_id(id))) == 200);
  REQUIRE(rx.wait_for(2, 10s) == 2);
  auto second = rx.requests().back();
  CHECK(second.headers.at("x-pons-signature") ==
        pons::forward_test::expected_signature(fresh, second));
  CHECK(second.headers.at("x-pons-signature") !=
        pons::forward_test::expected_signature(secret, second));

  auto edited = d.post_json(admin, "/api/v1/targets/update",
                            with_id(id, R"(,"description":"billing","enabled":false)"));
  REQUIRE(status_of(edited) == 200);
  CHECK(body_of(edited).at("target").at("description") == "billing");
  CHECK(body_of(edited).at("target").at("enabled") == false);
  CHECK(body_of(edited).at("target").at("maxAttempts") == 3);

  // What the form gets wrong is said in words, and nothing changes.
  auto bad = [&](const std::string& target, const std::string& body, int status,
                 const std::string& words) {
    auto r = d.post_json(admin, target, body);
    CHECK(status_of(r) == status);
    CHECK(r->body.find(words) != std::string::npos);
  };
  bad("/api/v1/targets", R"({"url":"ftp://example.com/x"})", 400, "url:");
  bad("/api/v1/targets", R"({"url":"http://example.com/x"})", 400, "https");
  bad("/api/v1/targets", R"({"description":"no url"})", 400, "url:");
  bad("/api/v1/targets",
      json::serialize(json::object{{"url", rx.url()}, {"eventTypes", json::array{"x"}}}), 400,
      "message.status.updated");
  bad("/api/v1/targets", json::serialize(json::object{{"url", rx.url()}, {"maxAttempts", 0}}), 400,
      "maxAttempts");
  bad("/api/v1/targets/update", with_id(id, R"(,"timeoutMs":5)"), 400, "timeoutMs");
  bad("/api/v1/targets/update", with_id(999, R"(,"enabled":true)"), 404, "no forwarding target");
  bad("/api/v1/targets/test", "{}", 400, "id");
  CHECK(
      body_of(d.request("GET", "/api/v1/targets", admin.cookie)).at("targets").as_array().size() ==
      1);

  // Without the CSRF token nothing is removed.
  CHECK(status_of(d.request("POST", "/api/v1/targets/remove", admin.cookie,
                            {{"Content-Type", "application/json"}}, with_id(id))) == 403);
  REQUIRE(status_of(d.post_json(admin, "/api/v1/targets/remove", with_id(id))) == 200);
  CHECK(
      body_of(d.request("GET", "/api/v1/targets", admin.cookie)).at("targets").as_array().empty());

  const auto log = d.svc.log();
  CHECK(log.find(secret) == std::string::npos);
  CHECK(log.find(fresh) == std::string::npos);
  CHECK(log.find("target_rotated=target:" + std::to_string(id)) != std::string::npos);
}

TEST_CASE("dashboard forwarding: a dead delivery shows its attempts and is retried by hand",
          "[dashboard][forward]") {
  // The first delivery attempt fails; everything after succeeds.
  receiver rx([](const received&, std::size_t i) { return reply{i == 0 ? 500 : 200}; });
  auto d = forwarding_dashboard();
  const auto admin = d.sign_in("ada@example.com", "admin");
  auto made = d.post_json(admin, "/api/v1/targets",
                          json::serialize(json::object{{"url", rx.url()}, {"maxAttempts", 1}}));
  REQUIRE(status_of(made) == 201);
  const auto id = body_of(made).at("target").at("id").as_int64();

  auto ingested = d.svc.post(pons::test::webhook_fixture("messages/text.json"));
  REQUIRE(ingested);
  REQUIRE(ingested->status == 200);
  auto dead = deliveries_once(d, admin, id, "dead");
  INFO(d.svc.log());
  REQUIRE(dead.size() == 1);
  const auto delivery = dead[0].at("id").as_int64();
  CHECK(dead[0].at("eventType") == "message.inbound.received");
  CHECK(dead[0].at("lastStatusCode") == 500);

  auto detail =
      d.request("GET", "/api/v1/deliveries/detail?id=" + std::to_string(delivery), admin.cookie);
  REQUIRE(status_of(detail) == 200);
  auto shown = body_of(detail).at("delivery").as_object();
  REQUIRE(shown.at("attemptLog").as_array().size() == 1);
  CHECK(shown.at("attemptLog").at(0).at("statusCode") == 500);
  CHECK(shown.at("body").at("type") == "message.inbound.received");

  auto health = body_of(d.request("GET", "/api/v1/targets", admin.cookie)).at("targets").at(0);
  CHECK(health.at("dead") == 1);
  CHECK(health.at("consecutiveFailures") == 1);

  REQUIRE(status_of(d.post_json(admin, "/api/v1/deliveries/retry", with_id(delivery))) == 200);
  auto delivered = deliveries_once(d, admin, id, "succeeded");
  REQUIRE(delivered.size() == 1);
  CHECK(delivered[0].at("attempts") == 2);
  CHECK(rx.requests().size() == 2);
  // A delivery that succeeded is not sent again.
  auto again = d.post_json(admin, "/api/v1/deliveries/retry", with_id(delivery));
  CHECK(status_of(again) == 409);
  CHECK(status_of(d.request("GET", "/api/v1/deliveries?state=lost", admin.cookie)) == 400);
  CHECK(status_of(d.request("GET", "/api/v1/deliveries/detail?id=999", admin.cookie)) == 404);
}

TEST_CASE("dashboard forwarding: members and keys manage none, an account's admin only its own",
          "[dashboard][forward]") {
  receiver rx([](const received&, std::size_t) { return reply{200}; });
  dashboard d;
  const auto member = d.sign_in("mo@example.com", "member");
  CHECK(status_of(d.request("GET", "/api/v1/targets", member.cookie)) == 403);
  CHECK(status_of(d.post_json(member, "/api/v1/targets",
                              json::serialize(json::object{{"url", rx.url()}}))) == 403);
  CHECK(status_of(d.request("GET", "/api/v1/deliveries", member.cookie)) == 403);

  const auto owner = d.sign_in("ana@example.com", "owner");
  auto every =
      d.post_json(owner, "/api/v1/targets", json::serialize(json::object{{"url", rx.url()}}));
  REQUIRE(status_of(every) == 201);
  const auto every_id = body_of(every).at("target").at("id").as_int64();
  auto key = d.post_json(owner, "/api/v1/keys", R"({"name":"k","scopes":["read","send"]})");
  REQUIRE(status_of(key) == 201);
  const std::string secret(body_of(key).at("secret").as_string());
  CHECK(status_of(http_request(d.svc.port(), "GET", "/api/v1/targets", "",
                               {{"Authorization", "Bearer " + secret}})) == 403);

  const auto admin = d.sign_in_to_account("al@example.com", "admin", "102290129340398");
  // A target of every number is not theirs to see or change.
  CHECK(
      body_of(d.request("GET", "/api/v1/targets", admin.cookie)).at("targets").as_array().empty());
  CHECK(status_of(d.post_json(admin, "/api/v1/targets/remove", with_id(every_id))) == 404);
  CHECK(status_of(d.post_json(admin, "/api/v1/targets",
                              json::serialize(json::object{{"url", rx.url()}}))) == 403);
  CHECK(status_of(d.post_json(
            admin, "/api/v1/targets",
            json::serialize(json::object{{"url", rx.url()}, {"phoneNumberId", "999999"}}))) == 403);
  auto own =
      d.post_json(admin, "/api/v1/targets",
                  json::serialize(json::object{
                      {"url", rx.url()}, {"phoneNumberId", pons::test::default_phone_number_id}}));
  REQUIRE(status_of(own) == 201);
  auto theirs = body_of(d.request("GET", "/api/v1/targets", admin.cookie)).at("targets").as_array();
  REQUIRE(theirs.size() == 1);
  CHECK(theirs[0].at("phoneNumberId") == pons::test::default_phone_number_id);
  // The owner sees both.
  CHECK(
      body_of(d.request("GET", "/api/v1/targets", owner.cookie)).at("targets").as_array().size() ==
      2);
}

TEST_CASE(
    "dashboard accounts: the configured account and number, which credentials are set, "
    "never where from",
    "[dashboard]") {
  dashboard d;
  const auto member = d.sign_in("mo@example.com", "member");
  auto r = d.request("GET", "/api/v1/accounts", member.cookie);
  REQUIRE(status_of(r) == 200);
  auto accounts = body_of(r).at("accounts").as_array();
  REQUIRE(accounts.size() == 1);
  CHECK(accounts[0].at("wabaId") == "102290129340398");
  CHECK(accounts[0].at("credentials").at("appSecret") == true);
  CHECK(accounts[0].at("credentials").at("accessToken") == true);
  auto numbers = accounts[0].at("phoneNumbers").as_array();
  REQUIRE(numbers.size() == 1);
  CHECK(numbers[0].at("phoneNumberId") == pons::test::default_phone_number_id);
  // Neither the secrets nor the names of where they come from.
  CHECK(r->body.find("WA_APP_SECRET") == std::string::npos);
  CHECK(r->body.find(pons::test::default_app_secret) == std::string::npos);
  CHECK(r->body.find("test-access-token") == std::string::npos);
  CHECK(status_of(d.request("GET", "/api/v1/accounts", "")) == 401);
}
