// API keys from the dashboard on the real pons-webhook: an owner makes one (its secret shown
// once, and it works), lists them without secrets, revokes one (it stops working); members and
// keys manage none; an admin of one account makes keys for that account only.
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <string>

#include "support/dashboard_session.hpp"

namespace json = boost::json;
using pons::test::dashboard;
using pons::test::header_list;
using pons::test::http_request;
using pons::test::http_response;
using pons::test::status_of;

namespace {

int tools_with(dashboard& d, const std::string& key) {
  return status_of(http_request(d.svc.port(), "GET", "/api/v1/tools/list_conversations", "",
                                {{"Authorization", "Bearer " + key}}));
}

}  // namespace

TEST_CASE("dashboard keys: an owner makes, lists and revokes a key, and it works until revoked",
          "[dashboard][keys]") {
  dashboard d;
  const auto owner = d.sign_in("ana@example.com", "owner");
  auto made = d.post_json(owner, "/api/v1/keys", R"({"name":"reports","scopes":["read"]})");
  REQUIRE(status_of(made) == 201);
  auto answer = json::parse(made->body).as_object();
  const std::string secret(answer.at("secret").as_string());
  CHECK(secret.starts_with("pons_"));
  CHECK(tools_with(d, secret) == 200);

  auto listed = d.request("GET", "/api/v1/keys", owner.cookie);
  REQUIRE(status_of(listed) == 200);
  CHECK(listed->body.find(secret) == std::string::npos);
  auto keys = json::parse(listed->body).at("keys").as_array();
  REQUIRE(keys.size() == 1);
  CHECK(keys[0].at("name") == "reports");
  CHECK(keys[0].at("state") == "active");
  // The log names the key by id, never by its secret.
  CHECK(d.svc.log().find(secret) == std::string::npos);

  const auto id = keys[0].at("id").as_int64();
  // Without the CSRF token nothing is revoked.
  CHECK(status_of(d.request("POST", "/api/v1/keys/revoke", owner.cookie,
                            {{"Content-Type", "application/json"}},
                            "{\"id\":" + std::to_string(id) + "}")) == 403);
  CHECK(tools_with(d, secret) == 200);
  auto revoked = d.post_json(owner, "/api/v1/keys/revoke", "{\"id\":" + std::to_string(id) + "}");
  CHECK(status_of(revoked) == 200);
  CHECK(json::parse(revoked->body).at("key").at("state") == "revoked");
  CHECK(tools_with(d, secret) == 401);

  CHECK(status_of(d.post_json(owner, "/api/v1/keys", R"({"name":"","scopes":["read"]})")) == 400);
  CHECK(status_of(d.post_json(owner, "/api/v1/keys", R"({"name":"x","scopes":["write"]})")) == 400);
  CHECK(status_of(d.post_json(owner, "/api/v1/keys/revoke", R"({"id":999})")) == 404);
}

TEST_CASE("dashboard keys: members and keys manage none, an account's admin only its own",
          "[dashboard][keys]") {
  dashboard d;
  const auto member = d.sign_in("mo@example.com", "member");
  CHECK(status_of(d.request("GET", "/api/v1/keys", member.cookie)) == 403);
  CHECK(status_of(d.post_json(member, "/api/v1/keys", R"({"name":"x","scopes":["read"]})")) == 403);

  const auto owner = d.sign_in("ana@example.com", "owner");
  auto made = d.post_json(owner, "/api/v1/keys", R"({"name":"all","scopes":["read","send"]})");
  REQUIRE(status_of(made) == 201);
  const std::string secret(json::parse(made->body).at("secret").as_string());
  CHECK(status_of(http_request(d.svc.port(), "GET", "/api/v1/keys", "",
                               {{"Authorization", "Bearer " + secret}})) == 403);

  // An admin limited to the configured account.
  const auto admin = d.sign_in_to_account("al@example.com", "admin", "102290129340398");
  auto own = d.post_json(admin, "/api/v1/keys", R"({"name":"mine","scopes":["read"]})");
  REQUIRE(status_of(own) == 201);
  CHECK(json::parse(own->body).at("key").at("account") == "102290129340398");
  auto listed = d.request("GET", "/api/v1/keys", admin.cookie);
  REQUIRE(status_of(listed) == 200);
  auto keys = json::parse(listed->body).at("keys").as_array();
  REQUIRE(keys.size() == 1);  // not the owner's key for every account
  CHECK(keys[0].at("name") == "mine");
  const auto owners_key = json::parse(made->body).at("key").at("id").as_int64();
  CHECK(status_of(d.post_json(admin, "/api/v1/keys/revoke",
                              "{\"id\":" + std::to_string(owners_key) + "}")) == 404);
  CHECK(tools_with(d, secret) == 200);
}
