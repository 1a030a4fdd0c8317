// Dashboard users from the dashboard on the real pons-webhook: an owner adds a user (who can
// then sign in), disables and enables them, changes their role, removes them; nobody else manages
// users; an owner cannot lock themselves out; no password or hash ever comes back.
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <string>

#include "support/dashboard_session.hpp"

namespace json = boost::json;
using pons::test::cookie_pair;
using pons::test::csrf_of;
using pons::test::dashboard;
using pons::test::http_response;
using pons::test::status_of;

TEST_CASE("dashboard users: an owner adds, disables, enables and removes a user",
          "[dashboard][users]") {
  dashboard d;
  const auto owner = d.sign_in("ana@example.com", "owner", "ana's long password");

  auto added =
      d.post_json(owner, "/api/v1/users",
                  R"({"email":"bo@example.com","role":"member","password":"bo's new password"})");
  REQUIRE(status_of(added) == 201);
  CHECK(added->body.find("password") == std::string::npos);
  CHECK(status_of(d.login("bo@example.com", "bo's new password")) == 200);

  auto listed = d.request("GET", "/api/v1/users", owner.cookie);
  REQUIRE(status_of(listed) == 200);
  CHECK(listed->body.find("argon2") == std::string::npos);
  CHECK(json::parse(listed->body).at("users").as_array().size() == 2);

  CHECK(status_of(d.post_json(owner, "/api/v1/users/disable",
                              R"({"email":"bo@example.com","disabled":true})")) == 200);
  CHECK(status_of(d.login("bo@example.com", "bo's new password")) == 403);
  CHECK(status_of(d.post_json(owner, "/api/v1/users/disable",
                              R"({"email":"bo@example.com","disabled":false})")) == 200);
  CHECK(status_of(d.login("bo@example.com", "bo's new password")) == 200);
  // A new role applies from the next request, without signing in again.
  auto bo = d.login("bo@example.com", "bo's new password");
  REQUIRE(status_of(bo) == 200);
  const auto bo_cookie = cookie_pair(bo->header("set-cookie"));
  CHECK(status_of(d.request("GET", "/api/v1/keys", bo_cookie)) == 403);
  auto promoted =
      d.post_json(owner, "/api/v1/users/role", R"({"email":"bo@example.com","role":"admin"})");
  REQUIRE(status_of(promoted) == 200);
  CHECK(json::parse(promoted->body).at("user").at("role") == "admin");
  CHECK(status_of(d.request("GET", "/api/v1/keys", bo_cookie)) == 200);
  CHECK(status_of(d.post_json(owner, "/api/v1/users/role",
                              R"({"email":"bo@example.com","role":"king"})")) == 400);
  CHECK(status_of(d.post_json(owner, "/api/v1/users/role",
                              R"({"email":"ana@example.com","role":"member"})")) == 400);
  CHECK(status_of(d.post_json(owner, "/api/v1/users/remove", R"({"email":"bo@example.com"})")) ==
        200);
  CHECK(status_of(d.login("bo@example.com", "bo's new password")) == 401);

  // Bad input, each named; and no way to lock oneself out.
  CHECK(status_of(d.post_json(
            owner, "/api/v1/users",
            R"({"email":"x@example.com","role":"king","password":"long enough pw"})")) == 400);
  CHECK(status_of(d.post_json(owner, "/api/v1/users",
                              R"({"email":"x@example.com","role":"member","password":"short"})")) ==
        400);
  CHECK(status_of(d.post_json(
            owner, "/api/v1/users",
            R"({"email":"ANA@example.com","role":"member","password":"long enough pw"})")) == 409);
  CHECK(status_of(d.post_json(owner, "/api/v1/users/remove", R"({"email":"ana@example.com"})")) ==
        400);
  CHECK(status_of(d.post_json(owner, "/api/v1/users/disable",
                              R"({"email":"Ana@Example.com","disabled":true})")) == 400);
  CHECK(d.svc.log().find("long enough pw") == std::string::npos);
}

TEST_CASE("dashboard users: admins, members and keys manage no users", "[dashboard][users]") {
  dashboard d;
  for (const char* role : {"admin", "member"}) {
    const auto s = d.sign_in(std::string(role) + "@example.com", role);
    CHECK(status_of(d.request("GET", "/api/v1/users", s.cookie)) == 403);
    CHECK(status_of(d.post_json(
              s, "/api/v1/users",
              R"({"email":"z@example.com","role":"owner","password":"long enough pw"})")) == 403);
  }
  CHECK(status_of(d.login("z@example.com", "long enough pw")) == 401);
}
