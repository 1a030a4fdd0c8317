#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "pons/dashboard/cookie.hpp"
#include "pons/dashboard/guard.hpp"
#include "pons/dashboard/login_throttle.hpp"
#include "pons/dashboard/request_origin.hpp"

using namespace pons::dashboard;
using namespace std::chrono_literals;

namespace {

pons::http::server_request request(std::string peer,
                                   std::vector<pons::http::header_field> headers) {
  pons::http::server_request r;
  r.method = "POST";
  r.peer_address = std::move(peer);
  r.headers = std::move(headers);
  return r;
}

}  // namespace

TEST_CASE("dashboard cookie: read among others, written with its attributes",
          "[dashboard][cookie]") {
  auto r = request("127.0.0.1", {{"Cookie", "a=1; pons_session=abc; b=2"}});
  CHECK(cookie_value(r, "pons_session") == "abc");
  CHECK_FALSE(cookie_value(r, "other").has_value());
  CHECK(session_cookie("abc", 60, false) ==
        "pons_session=abc; Max-Age=60; Path=/; HttpOnly; SameSite=Strict");
  CHECK(session_cookie("abc", 60, true) ==
        "pons_session=abc; Max-Age=60; Path=/; HttpOnly; SameSite=Strict; Secure");
  CHECK_THAT(cleared_session_cookie(false), Catch::StartsWith("pons_session=; Max-Age=0"));
}

TEST_CASE("dashboard origin: X-Forwarded-Proto counts only from loopback", "[dashboard][origin]") {
  CHECK(came_over_https(request("127.0.0.1", {{"X-Forwarded-Proto", "https"}})));
  CHECK(came_over_https(request("::1", {{"X-Forwarded-Proto", "HTTPS, http"}})));
  CHECK_FALSE(came_over_https(request("203.0.113.9", {{"X-Forwarded-Proto", "https"}})));
  CHECK_FALSE(came_over_https(request("127.0.0.1", {{"X-Forwarded-Proto", "http"}})));
  CHECK_FALSE(came_over_https(request("127.0.0.1", {})));
  CHECK(is_loopback_address("::ffff:127.0.0.1"));
  CHECK_FALSE(is_loopback_address("128.0.0.1"));
}

TEST_CASE("dashboard origin: another site's Origin is refused", "[dashboard][origin]") {
  CHECK(same_origin_or_none(request("203.0.113.9", {{"Host", "pons.example"}})));
  CHECK(same_origin_or_none(
      request("203.0.113.9", {{"Host", "pons.example"}, {"Origin", "https://pons.example"}})));
  CHECK_FALSE(same_origin_or_none(
      request("203.0.113.9", {{"Host", "pons.example"}, {"Origin", "https://evil.example"}})));
  CHECK_FALSE(same_origin_or_none(request("203.0.113.9", {{"Host", "pons.example"},
                                                          {"Origin", "https://evil.example"},
                                                          {"X-Forwarded-Host", "evil.example"}})));
  CHECK(same_origin_or_none(request("127.0.0.1", {{"Host", "127.0.0.1:8080"},
                                                  {"Origin", "https://pons.example"},
                                                  {"X-Forwarded-Host", "pons.example"}})));
}

TEST_CASE("dashboard csrf: the token comes from the header or the form field",
          "[dashboard][csrf]") {
  auto h = request("127.0.0.1", {{"X-CSRF-Token", "t1"}});
  CHECK(presented_csrf_token(h) == "t1");
  auto form = request("127.0.0.1", {{"Content-Type", "application/x-www-form-urlencoded"}});
  form.body = "a=b&csrf_token=t%2D2";
  CHECK(presented_csrf_token(form) == "t-2");
  auto json = request("127.0.0.1", {{"Content-Type", "application/json"}});
  json.body = R"({"csrf_token":"t3"})";
  CHECK(presented_csrf_token(json).empty());
  CHECK(changes_state("POST"));
  CHECK(changes_state("DELETE"));
  CHECK_FALSE(changes_state("GET"));
}

TEST_CASE("dashboard throttle: per email and per address", "[dashboard][throttle]") {
  login_throttle t({{3, 1.0 / 60}, {5, 1.0 / 60}});
  const auto t0 = pons::auth::bucket_clock::now();
  for (int i = 0; i < 3; ++i) CHECK(t.take("ana@example.com", "198.51.100.1", t0).allowed);
  auto refused = t.take("ana@example.com", "198.51.100.2", t0);
  CHECK_FALSE(refused.allowed);
  CHECK(refused.retry_after >= 1s);
  // The address has used three of its five.
  CHECK(t.take("bo@example.com", "198.51.100.1", t0).allowed);
  CHECK(t.take("cy@example.com", "198.51.100.1", t0).allowed);
  CHECK_FALSE(t.take("dee@example.com", "198.51.100.1", t0).allowed);
  // Refilled after a minute.
  CHECK(t.take("ana@example.com", "198.51.100.3", t0 + 61s).allowed);
}

TEST_CASE("dashboard throttle: an IPv6 address counts by its /64", "[dashboard][throttle]") {
  CHECK(throttle_address("2001:db8:1:2:3:4:5:6") == throttle_address("2001:db8:1:2:ffff::1"));
  CHECK(throttle_address("2001:db8:1:2::1") != throttle_address("2001:db8:1:3::1"));
  CHECK(throttle_address("198.51.100.7") == "198.51.100.7");
  CHECK(throttle_address("::ffff:198.51.100.7") == "198.51.100.7");
}
