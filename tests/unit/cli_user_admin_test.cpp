#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "pons/cli/user_admin.hpp"
#include "pons/store/account_repository.hpp"
#include "pons/store/database.hpp"
#include "pons/store/password_hash.hpp"
#include "pons/store/session_repository.hpp"
#include "pons/store/user_repository.hpp"
#include "support/admin_cli.hpp"

using namespace pons::cli;
using pons::store::database;
using pons::test::cli_result;

namespace {

const pons::store::time_point now = pons::test::admin_cli_now;

cli_result run(database& db, std::vector<std::string_view> args, std::string stdin_text = {},
               bool terminal = false) {
  std::istringstream in(stdin_text);
  std::ostringstream out, err;
  const int code = run_users_command(args, db, now, password_source{in, terminal}, out, err);
  return {code, out.str(), err.str()};
}

struct fixture : pons::test::admin_db {
  std::string hash_of(std::string_view email) {
    auto c = pons::store::find_credentials(db, email);
    REQUIRE(c.has_value());
    return c->password_hash;
  }
};

}  // namespace

TEST_CASE("users cli: add reads the password from stdin and stores only its hash", "[cli][users]") {
  fixture f;
  auto r = run(f.db, {"users", "add", "ana@example.com", "--role", "owner"}, "a long password\n");
  REQUIRE(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("ana@example.com") && Catch::Contains("owner"));
  CHECK_THAT(r.out + r.err, !Catch::Contains("a long password"));
  CHECK(pons::store::verify_password(f.hash_of("ana@example.com"), "a long password"));
}

TEST_CASE("users cli: a wrong role, a missing role and a password flag are usage errors",
          "[cli][users]") {
  fixture f;
  auto wrong =
      run(f.db, {"users", "add", "ana@example.com", "--role", "root"}, "a long password\n");
  CHECK(wrong.code == 2);
  CHECK_THAT(wrong.err, Catch::Contains("owner, admin and member"));
  CHECK(run(f.db, {"users", "add", "ana@example.com"}, "a long password\n").code == 2);
  auto flag = run(
      f.db, {"users", "add", "ana@example.com", "--role", "owner", "--password", "hunter2hunter2"});
  CHECK(flag.code == 2);
  CHECK_THAT(flag.err, !Catch::Contains("hunter2hunter2"));
  CHECK(pons::store::list_users(f.db)->empty());
}

TEST_CASE("users cli: an empty password from a pipe is refused, at a terminal one is generated",
          "[cli][users]") {
  fixture f;
  auto piped = run(f.db, {"users", "add", "ana@example.com", "--role", "member"}, "\n");
  CHECK(piped.code == 2);
  CHECK(pons::store::list_users(f.db)->empty());
  auto short_one = run(f.db, {"users", "add", "ana@example.com", "--role", "member"}, "short\n");
  CHECK(short_one.code == 2);
  CHECK_THAT(short_one.err, !Catch::Contains("short\n"));

  auto typed = run(f.db, {"users", "add", "ana@example.com", "--role", "member"}, "\n", true);
  REQUIRE(typed.code == 0);
  // The generated password: the one line of the output with 24 base62 characters.
  std::istringstream lines(typed.out);
  std::string line, generated;
  while (std::getline(lines, line)) {
    auto start = line.find_first_not_of(' ');
    if (start != std::string::npos && line.size() - start == 24) generated = line.substr(start);
  }
  REQUIRE(generated.size() == 24);
  CHECK(pons::store::verify_password(f.hash_of("ana@example.com"), generated));
}

TEST_CASE("users cli: list never shows a hash, passwd and remove", "[cli][users]") {
  fixture f;
  REQUIRE(
      run(f.db,
          {"users", "add", "ana@example.com", "--role", "admin", "--account", "100000000000001"},
          "a long password\n")
          .code == 0);
  auto list = run(f.db, {"users", "list", "--json"});
  REQUIRE(list.code == 0);
  CHECK_THAT(list.out, !Catch::Contains("argon2"));
  auto doc = boost::json::parse(list.out).as_array();
  REQUIRE(doc.size() == 1);
  CHECK(doc[0].at("email") == "ana@example.com");
  CHECK(doc[0].at("role") == "admin");
  CHECK(doc[0].at("account") == "100000000000001");
  CHECK_THAT(run(f.db, {"users", "list"}).out, !Catch::Contains("argon2"));

  const auto before = f.hash_of("ana@example.com");
  REQUIRE(run(f.db, {"users", "passwd", "ANA@example.com"}, "another long password\n").code == 0);
  CHECK(f.hash_of("ana@example.com") != before);
  CHECK(pons::store::verify_password(f.hash_of("ana@example.com"), "another long password"));
  CHECK(run(f.db, {"users", "passwd", "nobody@example.com"}, "another long password\n").code == 1);

  REQUIRE(run(f.db, {"users", "remove", "ana@example.com"}).code == 0);
  CHECK(pons::store::list_users(f.db)->empty());
  CHECK(run(f.db, {"users", "remove", "ana@example.com"}).code == 1);
}

TEST_CASE("users cli: an existing email is refused before a password is read", "[cli][users]") {
  fixture f;
  REQUIRE(
      run(f.db, {"users", "add", "ana@example.com", "--role", "owner"}, "a long password\n").code ==
      0);
  auto again = run(f.db, {"users", "add", "Ana@Example.com", "--role", "member"}, "");
  CHECK(again.code == 1);
  CHECK_THAT(again.err, Catch::Contains("exists"));
}

TEST_CASE("users cli: disable ends the sessions, enable lets the user back", "[cli][users]") {
  fixture f;
  REQUIRE(run(f.db, {"users", "add", "ana@example.com", "--role", "member"}, "a long password\n")
              .code == 0);
  auto ana = pons::store::find_user(f.db, "ana@example.com");
  REQUIRE(ana.has_value());
  auto s = pons::store::create_session(f.db, ana->id, now);
  REQUIRE(s.has_value());
  REQUIRE(run(f.db, {"users", "disable", "ana@example.com"}).code == 0);
  CHECK_FALSE(pons::store::find_session(f.db, s->secret, now).has_value());
  CHECK_FALSE(pons::store::find_user(f.db, "ana@example.com")->disabled_at.empty());
  CHECK_THAT(run(f.db, {"users", "list"}).out, Catch::Contains("disabled"));
  REQUIRE(run(f.db, {"users", "enable", "ana@example.com"}).code == 0);
  CHECK(pons::store::find_user(f.db, "ana@example.com")->disabled_at.empty());
  CHECK(run(f.db, {"users", "disable", "nobody@example.com"}).code == 1);
}
