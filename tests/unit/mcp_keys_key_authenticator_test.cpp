// The API-key authenticator of /mcp against a real key store: each refusal with its status and
// challenge, what an allowed key hands the transport, the scope check, the rate, and no key in
// any message.
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "pons/mcp_keys/key_authenticator.hpp"
#include "pons/store/account_repository.hpp"
#include "pons/store/api_key_repository.hpp"
#include "pons/store/database.hpp"
#include "unit/store_test_util.hpp"

using namespace pons;
using pons::store::test::temp_dir;

namespace {

const std::string metadata =
    "resource_metadata=\"http://pons.test:8080/.well-known/oauth-protected-resource/mcp\"";

mcp::registry tools() {
  mcp::registry reg;
  for (auto [name, needed] : {std::pair{"look", mcp::scope::read}, {"act", mcp::scope::send}}) {
    mcp::tool_def t;
    t.name = name;
    t.description = "A tool.";
    t.input_schema = boost::json::object{{"type", "object"}};
    t.required_scope = needed;
    t.handler = [](const boost::json::object&, mcp::call_context&) {
      return mcp::tool_result::text("ran");
    };
    reg.add_tool(std::move(t));
  }
  return reg;
}

struct fixture {
  temp_dir dir;
  std::string path = pons::store::test::test_database_location(dir);
  store::database db = std::move(store::database::open(path).value());
  mcp::registry reg = tools();

  fixture() {
    store::account_record a;
    a.waba_id = "111";
    REQUIRE(store::upsert_account(db, a, std::chrono::system_clock::now()).has_value());
  }

  store::created_api_key key(std::vector<std::string> scopes, std::string waba = {}) {
    auto made = store::create_api_key(db, {"unit", std::move(scopes), std::move(waba), {}},
                                      std::chrono::system_clock::now());
    REQUIRE(made.has_value());
    return std::move(*made);
  }

  mcp_http::authenticator authenticator(mcp_keys::key_auth_options o = {}) {
    auto a = mcp_keys::key_authenticator(path, reg, std::move(o));
    REQUIRE(a.has_value());
    return std::move(*a);
  }
};

http::server_request request(std::vector<http::header_field> extra = {}) {
  http::server_request r;
  r.method = "POST";
  r.target = r.path = "/mcp";
  r.headers = {{"Host", "pons.test:8080"}};
  r.headers.insert(r.headers.end(), extra.begin(), extra.end());
  return r;
}

std::string challenge(const mcp_http::auth_decision& d) {
  for (const auto& [name, value] : d.headers)
    if (name == "WWW-Authenticate") return value;
  return {};
}

boost::json::value call(std::string_view tool) {
  return boost::json::parse(R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":")" +
                            std::string(tool) + R"("}})");
}

}  // namespace

TEST_CASE("key authenticator: no key, another scheme or a malformed header is 401",
          "[mcp_keys][keys][backends]") {
  fixture f;
  auto auth = f.authenticator();
  for (const auto& headers : std::vector<std::vector<http::header_field>>{
           {}, {{"Authorization", "Basic dXNlcjpwYXNz"}}}) {
    auto d = auth(request(headers));
    CHECK(d.status == 401);
    CHECK(challenge(d) == "Bearer " + metadata + ", scope=\"read\"");
    CHECK_THAT(d.message, Catch::Contains("keys create"));
  }
  auto twice = auth(request({{"Authorization", "Bearer a"}, {"authorization", "Bearer b"}}));
  CHECK(twice.status == 401);
  CHECK_THAT(challenge(twice), Catch::StartsWith("Bearer error=\"invalid_token\""));
}

TEST_CASE("key authenticator: unknown, wrong-secret and revoked keys are 401 invalid_token",
          "[mcp_keys][keys][backends]") {
  fixture f;
  auto auth = f.authenticator();
  auto made = f.key({"read"});
  auto wrong = made.secret;
  wrong.back() = wrong.back() == 'A' ? 'B' : 'A';
  for (const auto& presented : {std::string("pons_not_a_key"), wrong}) {
    auto d = auth(request({{"Authorization", "Bearer " + presented}}));
    CHECK(d.status == 401);
    CHECK_THAT(challenge(d), Catch::StartsWith("Bearer error=\"invalid_token\""));
    CHECK_THAT(challenge(d), Catch::EndsWith(metadata));
    CHECK(d.message.find(presented) == std::string::npos);
  }
  REQUIRE(store::revoke_api_key(f.db, made.key.id, std::chrono::system_clock::now()).has_value());
  auto revoked = auth(request({{"Authorization", "Bearer " + made.secret}}));
  CHECK(revoked.status == 401);
  CHECK_THAT(revoked.message, Catch::Contains("revoked"));
  CHECK(revoked.message.find(made.secret) == std::string::npos);
}

TEST_CASE("key authenticator: a valid key names its principal, account and scopes, and its use",
          "[mcp_keys][keys][backends]") {
  fixture f;
  auto auth = f.authenticator();
  auto made = f.key({"read"}, "111");
  auto d = auth(request({{"authorization", "bearer " + made.secret}}));
  REQUIRE(d.status == 0);
  CHECK(d.principal == "key:" + std::to_string(made.key.id));
  CHECK(d.principal.find(made.secret) == std::string::npos);
  CHECK((d.account.waba_id == std::optional<std::string>("111")));
  CHECK((d.scopes == std::optional<std::vector<mcp::scope>>(std::vector{mcp::scope::read})));
  CHECK_FALSE(store::get_api_key(f.db, made.key.id)->last_used_at.empty());

  REQUIRE(d.check);
  CHECK_FALSE(d.check(call("look")));
  auto refused = d.check(call("act"));
  REQUIRE(refused);
  CHECK(refused->status == 403);
  REQUIRE(refused->headers.size() == 1);
  CHECK_THAT(refused->headers[0].second,
             Catch::StartsWith("Bearer error=\"insufficient_scope\", scope=\"read send\""));
  CHECK_THAT(refused->message,
             Catch::Contains("the tool act needs an API key with the send scope"));
  CHECK_THAT(refused->message, Catch::Contains("--scopes read,send"));

  auto sender = f.key({"read", "send"});
  auto s = auth(request({{"Authorization", "Bearer " + sender.secret}}));
  REQUIRE(s.status == 0);
  CHECK(s.account.everything());
  CHECK_FALSE(s.check(call("act")));
}

TEST_CASE("key authenticator: a key beyond its rate is 429 with Retry-After, others are not",
          "[mcp_keys][keys][backends]") {
  fixture f;
  mcp_keys::key_auth_options o;
  o.rate = {2, 0.01};
  o.public_url = "https://pons.example.com/mcp";
  auto auth = f.authenticator(o);
  auto busy = f.key({"read"});
  auto quiet = f.key({"read"});
  auto as = [&](const store::created_api_key& k) {
    return auth(request({{"Authorization", "Bearer " + k.secret}}));
  };
  CHECK(as(busy).status == 0);
  CHECK(as(busy).status == 0);
  auto over = as(busy);
  CHECK(over.status == 429);
  REQUIRE(over.headers.size() == 1);
  CHECK(over.headers[0].first == "Retry-After");
  CHECK(std::stoi(over.headers[0].second) >= 1);
  CHECK(as(quiet).status == 0);
  // The configured public URL is what challenges name.
  CHECK(challenge(auth(request())) ==
        "Bearer resource_metadata=\"https://pons.example.com/.well-known/"
        "oauth-protected-resource/mcp\", scope=\"read\"");
}
