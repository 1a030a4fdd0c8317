#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <sstream>
#include <string>
#include <vector>

#include "pons/cli/key_admin.hpp"
#include "pons/store/account_repository.hpp"
#include "pons/store/api_key_repository.hpp"
#include "pons/store/database.hpp"
#include "support/admin_cli.hpp"

using namespace pons::cli;
using pons::store::database;
using pons::store::test::temp_dir;
using pons::test::cli_result;
using namespace std::chrono_literals;

namespace {

const pons::store::time_point now = pons::test::admin_cli_now;

cli_result run(database& db, std::vector<std::string_view> args, pons::store::time_point at = now) {
  std::ostringstream out, err;
  const int code = run_keys_command(args, db, at, out, err);
  return {code, out.str(), err.str()};
}

struct fixture : pons::test::admin_db {
  fixture() : admin_db("Pons Test") {}
};

// The key printed by `keys create`: the one word starting with pons_ and 61 characters long.
std::string printed_key(const std::string& out) {
  std::istringstream words(out);
  std::string w;
  while (words >> w) {
    if (w.rfind("pons_", 0) == 0 && w.size() == 61) return w;
  }
  return {};
}

}  // namespace

TEST_CASE("keys CLI: create prints the key once, and list shows its prefix but never the key",
          "[cli][keys]") {
  fixture f;
  auto made = run(f.db, {"keys", "create", "--name", "laptop", "--scopes", "read,send", "--account",
                         "100000000000001", "--expires-days", "30"});
  INFO(made.err);
  REQUIRE(made.code == 0);
  const std::string key = printed_key(made.out);
  REQUIRE_FALSE(key.empty());
  CHECK(made.out.find("shown once") != std::string::npos);
  CHECK(made.out.find("Authorization: Bearer") != std::string::npos);
  CHECK(made.err.empty());
  // The printed key works, with what was asked for.
  auto verified = pons::store::verify_api_key(f.db, key, now);
  REQUIRE(verified.has_value());
  CHECK(verified->has_scope("send"));
  CHECK(verified->waba_id == "100000000000001");
  CHECK(verified->expires_at == "2026-12-25T14:00:00.000Z");

  auto list = run(f.db, {"keys", "list"});
  REQUIRE(list.code == 0);
  CHECK(list.out.find("laptop") != std::string::npos);
  CHECK(list.out.find(key.substr(0, 17)) != std::string::npos);
  CHECK(list.out.find(key) == std::string::npos);
  CHECK(list.out.find(key.substr(18)) == std::string::npos);
  CHECK(list.out.find("LAST USED") != std::string::npos);
  CHECK(list.out.find("active") != std::string::npos);

  auto json_list = run(f.db, {"keys", "list", "--json"});
  REQUIRE(json_list.code == 0);
  CHECK(json_list.out.find(key.substr(18)) == std::string::npos);
  auto a = boost::json::parse(json_list.out).as_array();
  REQUIRE(a.size() == 1);
  const auto& k = a[0].as_object();
  CHECK(k.at("id") == 1);
  CHECK(k.at("name") == "laptop");
  CHECK(k.at("prefix") == key.substr(0, 17).c_str());
  CHECK(boost::json::serialize(k.at("scopes")) == R"(["read","send"])");
  CHECK(k.at("account") == "100000000000001");
  CHECK(k.at("createdAt") == "2026-11-25T14:00:00.000Z");
  CHECK(k.at("lastUsedAt").is_null());
  CHECK(k.at("expiresAt") == "2026-12-25T14:00:00.000Z");
  CHECK(k.at("state") == "active");
  CHECK_FALSE(k.contains("secret"));
  // Thirty days on, the same key is listed as expired.
  auto later = run(f.db, {"keys", "list", "--json"}, now + 24h * 30);
  CHECK(boost::json::parse(later.out).at(0).at("state") == "expired");
}

TEST_CASE("keys CLI: --json create returns the key as secret, and revoke stops it", "[cli][keys]") {
  fixture f;
  auto made = run(f.db, {"keys", "create", "--json", "--name=ci", "--scopes=read"});
  REQUIRE(made.code == 0);
  auto o = boost::json::parse(made.out).as_object();
  const std::string key(o.at("secret").as_string());
  CHECK(key.size() == 61);
  CHECK(o.at("key").at("account").is_null());
  CHECK(boost::json::serialize(o.at("key").at("scopes")) == R"(["read"])");
  REQUIRE(pons::store::verify_api_key(f.db, key, now).has_value());

  auto revoked = run(f.db, {"keys", "revoke", "1"});
  REQUIRE(revoked.code == 0);
  CHECK(revoked.out.find("revoked") != std::string::npos);
  auto refused = pons::store::verify_api_key(f.db, key, now);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error() == pons::store::api_key_errc::revoked);
  auto again = run(f.db, {"keys", "revoke", "1", "--json"});
  REQUIRE(again.code == 0);
  CHECK(boost::json::parse(again.out).at("alreadyRevoked") == true);
  CHECK(boost::json::parse(run(f.db, {"keys", "list", "--json"}).out).at(0).at("state") ==
        "revoked");
}

TEST_CASE("keys CLI: usage errors are exit 2 with one line naming the help page", "[cli][keys]") {
  fixture f;
  auto check_usage = [&](std::vector<std::string_view> args, std::string_view says,
                         std::string_view page) {
    auto r = run(f.db, args);
    INFO(r.err);
    CHECK(r.code == 2);
    CHECK(r.out.empty());
    CHECK(r.err.find(says) != std::string::npos);
    CHECK(r.err.find(std::string("see 'pons-webhook ") + std::string(page) + " --help'") !=
          std::string::npos);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  };
  check_usage({"keys"}, "needs a command", "keys");
  check_usage({"keys", "rotate"}, "unknown command", "keys");
  check_usage({"keys", "create", "--scopes", "read"}, "--name", "keys create");
  check_usage({"keys", "create", "--name", "x"}, "--scopes", "keys create");
  check_usage({"keys", "create", "--name", "x", "--scopes", "send"}, "read scope", "keys create");
  check_usage({"keys", "create", "--name", "x", "--scopes", "read,admin"}, "unknown scope 'admin'",
              "keys create");
  check_usage({"keys", "create", "--name", "x", "--scopes", "read", "--expires-days", "0"},
              "1-3650", "keys create");
  check_usage({"keys", "create", "--name", "x", "--scopes", "read", "--account", "abc"}, "WABA id",
              "keys create");
  check_usage({"keys", "create", "--name", "x", "--scopes", "read", "--bogus"},
              "does not take --bogus", "keys create");
  check_usage({"keys", "create", "--name"}, "--name needs a value", "keys create");
  check_usage({"keys", "list", "extra"}, "takes no arguments", "keys list");
  check_usage({"keys", "list", "--name", "x"}, "does not take --name", "keys list");
  check_usage({"keys", "revoke"}, "exactly one ID", "keys revoke");
  check_usage({"keys", "revoke", "abc"}, "not an ID", "keys revoke");
  CHECK(pons::store::list_api_keys(f.db)->empty());
}

TEST_CASE("keys CLI: failures are exit 1 and say what to do", "[cli][keys]") {
  fixture f;
  auto unknown =
      run(f.db, {"keys", "create", "--name", "x", "--scopes", "read", "--account", "999"});
  CHECK(unknown.code == 1);
  CHECK(unknown.err.find("no account with WABA id 999") != std::string::npos);
  CHECK(unknown.err.find("100000000000001 (Pons Test)") != std::string::npos);
  auto bad_name = run(f.db, {"keys", "create", "--name", "", "--scopes", "read"});
  CHECK(bad_name.code == 1);
  CHECK(bad_name.err.find("1 to 100 printable characters") != std::string::npos);
  auto missing = run(f.db, {"keys", "revoke", "42"});
  CHECK(missing.code == 1);
  CHECK(missing.err.find("keys list") != std::string::npos);
  CHECK(pons::store::list_api_keys(f.db)->empty());
}

TEST_CASE("keys CLI: every command has its own help page", "[cli][keys]") {
  fixture f;
  auto group = run(f.db, {"keys", "--help"});
  CHECK(group.code == 0);
  CHECK(group.out.find("usage: pons-webhook keys COMMAND") != std::string::npos);
  for (std::string_view verb : {"create", "list", "revoke"}) {
    auto page = run(f.db, {"keys", verb, "--help"});
    CHECK(page.code == 0);
    CHECK(page.out.find(std::string("usage: pons-webhook keys ") + std::string(verb)) !=
          std::string::npos);
    CHECK(page.err.empty());
  }
  CHECK(run(f.db, {"keys", "create", "--help"}).out.find("--expires-days") != std::string::npos);
  // Help never needs the database, nor a valid rest of the line.
  std::ostringstream out, err;
  auto env = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  std::vector<std::string_view> args{"keys", "create", "--bogus", "--help"};
  CHECK(run_key_admin(args, env, "/nonexistent", out, err) == 0);
  CHECK(out.str().find("usage: pons-webhook keys create") != std::string::npos);
}

TEST_CASE("keys CLI: run_key_admin opens the database --db names", "[cli][keys]") {
  temp_dir dir;
  auto env = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  const std::string db = dir.file("sub/pons.db");
  std::ostringstream out, err;
  std::vector<std::string_view> args{"keys",     "create", "--name", "x",
                                     "--scopes", "read",   "--db",   db};
  REQUIRE(run_key_admin(args, env, "/", out, err) == 0);
  CHECK_FALSE(printed_key(out.str()).empty());
  auto opened = database::open(db);
  REQUIRE(opened.has_value());
  CHECK(pons::store::list_api_keys(*opened)->size() == 1);
}
