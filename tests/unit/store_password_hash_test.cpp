#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "pons/store/password_hash.hpp"

using namespace pons::store;

TEST_CASE("password hash: the right password verifies, any other does not", "[store][password]") {
  const std::string password = "correct horse battery staple";
  auto hash = hash_password(password);
  REQUIRE(hash.has_value());
  CHECK(hash->rfind("$argon2id$", 0) == 0);
  CHECK(hash->find(password) == std::string::npos);
  CHECK(verify_password(*hash, password));
  CHECK_FALSE(verify_password(*hash, "correct horse battery stapl"));
  CHECK_FALSE(verify_password(*hash, "Correct horse battery staple"));
  CHECK_FALSE(verify_password(*hash, ""));
  CHECK_FALSE(verify_password("not a hash", password));
  CHECK_FALSE(verify_password("", password));
}

TEST_CASE("password hash: each hash has its own salt", "[store][password]") {
  auto a = hash_password("the same password twice");
  auto b = hash_password("the same password twice");
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());
  CHECK(*a != *b);
  CHECK(verify_password(*a, "the same password twice"));
  CHECK(verify_password(*b, "the same password twice"));
}

TEST_CASE("password hash: acceptable passwords", "[store][password]") {
  CHECK(acceptable_password("twelve chars"));
  CHECK_FALSE(acceptable_password("eleven char"));
  CHECK_FALSE(acceptable_password(std::string(1025, 'x')));
  CHECK(acceptable_password(std::string(1024, 'x')));
  CHECK_FALSE(acceptable_password("twelve chars\n"));
  CHECK_FALSE(acceptable_password(std::string("twelve\0chars", 12)));
  CHECK(acceptable_password("pässwörd with ümlauts"));
}

TEST_CASE("password hash: generated passwords are long, base62 and differ", "[store][password]") {
  std::set<std::string> seen;
  for (int i = 0; i < 20; ++i) {
    auto p = generate_password();
    CHECK(p.size() == 24);
    CHECK(p.find_first_not_of("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") ==
          std::string::npos);
    CHECK(acceptable_password(p));
    seen.insert(p);
  }
  CHECK(seen.size() == 20);
}
