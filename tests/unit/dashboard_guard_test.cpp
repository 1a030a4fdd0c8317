#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "pons/dashboard/guard.hpp"
#include "pons/store/account_repository.hpp"
#include "pons/store/api_key_repository.hpp"
#include "pons/store/database.hpp"
#include "pons/store/session_repository.hpp"
#include "pons/store/user_repository.hpp"
#include "unit/store_test_util.hpp"

using namespace pons::dashboard;
using pons::http::server_request;
using pons::store::user_role;

namespace {

struct fixture {
  pons::store::test::temp_dir dir;
  std::shared_ptr<locked_database> db = std::make_shared<locked_database>(
      std::move(pons::store::database::open(dir.file("pons.db")).value()));
  guard g{db, {}};
  pons::store::created_session session;
  std::string key;

  fixture() {
    const auto now = std::chrono::system_clock::now();
    pons::store::account_record a;
    a.waba_id = "100000000000001";
    REQUIRE(upsert_account(db->db, a, now).has_value());
    auto u = pons::store::create_user(db->db, {"ana@example.com", user_role::member, a.waba_id},
                                      "a long password", now);
    REQUIRE(u.has_value());
    auto s = pons::store::create_session(db->db, u->id, now);
    REQUIRE(s.has_value());
    session = *s;
    auto k = pons::store::create_api_key(db->db, {"script", {"read", "send"}, {}, {}}, now);
    REQUIRE(k.has_value());
    key = k->secret;
  }

  server_request with_cookie(std::string method, std::vector<pons::http::header_field> h = {}) {
    server_request r;
    r.method = std::move(method);
    r.peer_address = "127.0.0.1";
    r.headers = std::move(h);
    r.headers.emplace_back("Cookie", "pons_session=" + session.secret);
    return r;
  }
};

}  // namespace

TEST_CASE("guard: a session yields its user, role and account", "[dashboard][guard]") {
  fixture f;
  auto v = f.g.check(f.with_cookie("GET"));
  REQUIRE(v.status == 0);
  CHECK(v.who.how == principal::via::session);
  CHECK(v.who.email == "ana@example.com");
  CHECK(v.who.role == user_role::member);
  CHECK(v.who.waba_id == "100000000000001");
  CHECK(v.who.csrf_token == f.session.session.csrf_token);
  CHECK(v.who.label() == "user:" + std::to_string(v.who.id));
}

TEST_CASE("guard: nothing, a forged cookie or a bad key is 401", "[dashboard][guard]") {
  fixture f;
  server_request none;
  none.method = "GET";
  CHECK(f.g.check(none).status == 401);
  server_request forged = none;
  forged.headers.emplace_back("Cookie", "pons_session=" + std::string(43, 'A'));
  CHECK(f.g.check(forged).status == 401);
  server_request bad_key = none;
  bad_key.headers.emplace_back("Authorization", "Bearer pons_nope");
  CHECK(f.g.check(bad_key).status == 401);
  server_request basic = none;
  basic.headers.emplace_back("Authorization", "Basic YTpi");
  CHECK(f.g.check(basic).status == 401);
}

TEST_CASE("guard: an API key counts as a member and needs no CSRF token", "[dashboard][guard]") {
  fixture f;
  server_request r;
  r.method = "POST";
  r.headers.emplace_back("Authorization", "Bearer " + f.key);
  auto v = f.g.check(r);
  REQUIRE(v.status == 0);
  CHECK(v.who.how == principal::via::api_key);
  CHECK(v.who.role == user_role::member);
  CHECK(v.who.can_send);
  CHECK(v.who.email.empty());
  CHECK(f.g.require(r, user_role::admin).status == 403);
}

TEST_CASE("guard: a state-changing request with a session needs its CSRF token",
          "[dashboard][guard][csrf]") {
  fixture f;
  CHECK(f.g.check(f.with_cookie("POST")).status == 403);
  CHECK(f.g.check(f.with_cookie("DELETE", {{"X-CSRF-Token", "wrong"}})).status == 403);
  CHECK(f.g.check(f.with_cookie("POST", {{"X-CSRF-Token", f.session.session.csrf_token}})).status ==
        0);
  CHECK(f.g.check(f.with_cookie("POST", {{"X-CSRF-Token", f.session.session.csrf_token},
                                         {"Host", "pons.example"},
                                         {"Origin", "https://evil.example"}}))
            .status == 403);
}

TEST_CASE("guard: require refuses a lower role with 403", "[dashboard][guard]") {
  fixture f;
  CHECK(f.g.require(f.with_cookie("GET"), user_role::member).status == 0);
  CHECK(f.g.require(f.with_cookie("GET"), user_role::admin).status == 403);
  CHECK(f.g.require(f.with_cookie("GET"), user_role::owner).status == 403);
  principal p;
  p.role = user_role::owner;
  CHECK(p.may(user_role::admin));
  CHECK(p.may(user_role::member));
  p.role = user_role::admin;
  CHECK_FALSE(p.may(user_role::owner));
}
