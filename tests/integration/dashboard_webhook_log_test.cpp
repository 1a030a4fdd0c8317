// The webhook log from the dashboard on the real pons-webhook: what Meta sent (a forgery is
// never written), how each was answered, filtered by signature and status; admins and owners
// only.
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <ctime>
#include <string>

#include "support/dashboard_session.hpp"
#include "support/webhook_payloads.hpp"

namespace json = boost::json;
using pons::test::cookie_pair;
using pons::test::dashboard;
using pons::test::status_of;

TEST_CASE("dashboard webhook log: every request with its answer, filtered, for admins",
          "[dashboard][webhook_log]") {
  dashboard d;
  auto signed_body = pons::test::simple_payload(
      pons::test::default_phone_number_id,
      {pons::test::text_message_json("wamid.LOG1", "16505551234", "logged", std::time(nullptr))});
  REQUIRE(status_of(d.svc.post(signed_body)) == 200);
  // A duplicate of it (Meta retries) and a forgery without a signature, which is never written.
  REQUIRE(status_of(d.svc.post(signed_body)) == 200);
  REQUIRE(status_of(d.svc.post(signed_body, std::nullopt)) == 404);

  const auto admin = cookie_pair(
      d.signed_in("al@example.com", "admin", "a long enough password").header("set-cookie"));
  auto all = d.request("GET", "/api/v1/webhook-log", admin);
  REQUIRE(status_of(all) == 200);
  auto requests = json::parse(all->body).at("requests").as_array();
  INFO(all->body);
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].at("duplicates") == 1);  // newest first
  CHECK(requests[1].at("status") == 200);
  CHECK(requests[1].at("signature") == "valid");
  CHECK(requests[1].at("messages") == 1);
  CHECK(std::string(requests[1].at("body").as_string()).find("wamid.LOG1") != std::string::npos);

  auto valid = d.request("GET", "/api/v1/webhook-log?signature=valid&status=200", admin);
  REQUIRE(status_of(valid) == 200);
  CHECK(json::parse(valid->body).at("requests").as_array().size() == 2);
  auto none = d.request("GET", "/api/v1/webhook-log?signature=invalid", admin);
  REQUIRE(status_of(none) == 200);
  CHECK(json::parse(none->body).at("requests").as_array().empty());
  auto one = d.request("GET", "/api/v1/webhook-log?limit=1", admin);
  REQUIRE(status_of(one) == 200);
  CHECK(json::parse(one->body).at("requests").as_array().size() == 1);

  CHECK(status_of(d.request("GET", "/api/v1/webhook-log?signature=forged", admin)) == 400);
  CHECK(status_of(d.request("GET", "/api/v1/webhook-log?status=abc", admin)) == 400);
  CHECK(status_of(d.request("GET", "/api/v1/webhook-log?limit=0", admin)) == 400);

  const auto member = cookie_pair(
      d.signed_in("mo@example.com", "member", "a long enough password").header("set-cookie"));
  CHECK(status_of(d.request("GET", "/api/v1/webhook-log", member)) == 403);
  CHECK(status_of(d.request("GET", "/api/v1/webhook-log", "")) == 401);
}
