#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "pons/auth/bearer.hpp"

using namespace pons::auth;

namespace {

const std::string key = "pons_AbCdEfGhIjKl_" + std::string(43, 'z');

}  // namespace

TEST_CASE("bearer: a well-formed token is read, in any case of the scheme", "[auth][keys]") {
  for (std::string field : {"Bearer " + key, "bearer " + key, "BEARER   " + key}) {
    auto c = parse_bearer(field);
    CHECK(c.status == bearer_status::present);
    CHECK(c.token == key);
  }
  // b64token characters and trailing '=' are accepted (the key's own check comes later).
  auto padded = parse_bearer("Bearer a-b.c_d~e+f/g==");
  CHECK(padded.status == bearer_status::present);
  CHECK(padded.token == "a-b.c_d~e+f/g==");
}

TEST_CASE("bearer: no header, another scheme, or a bad token are told apart", "[auth][keys]") {
  CHECK(parse_bearer("").status == bearer_status::missing);
  CHECK(parse_bearer("Basic dXNlcjpwYXNz").status == bearer_status::other_scheme);
  CHECK(parse_bearer("Bearer2 " + key).status == bearer_status::other_scheme);
  CHECK(parse_bearer("Bearer\t" + key).status == bearer_status::other_scheme);
  const std::vector<std::string> bad{"Bearer",
                                     "Bearer ",
                                     "Bearer " + key + " ",
                                     "Bearer " + key + " extra",
                                     "Bearer \"" + key + "\"",
                                     "Bearer a=b",
                                     "Bearer =",
                                     "Bearer " + key + ",",
                                     "Bearer t\xC3\xA9st",
                                     "Bearer " + std::string(1025, 'a')};
  for (const auto& field : bad) {
    INFO(field);
    auto c = parse_bearer(field);
    CHECK(c.status == bearer_status::malformed);
    CHECK(c.token.empty());
  }
  CHECK(parse_bearer("Bearer " + std::string(1024, 'a')).status == bearer_status::present);
}

TEST_CASE("bearer: a request with several Authorization fields is malformed", "[auth][keys]") {
  const std::string one = "Bearer " + key;
  std::vector<std::string_view> none;
  CHECK(parse_authorization(none).status == bearer_status::missing);
  std::vector<std::string_view> single{one};
  CHECK(parse_authorization(single).status == bearer_status::present);
  std::vector<std::string_view> two{one, one};
  CHECK(parse_authorization(two).status == bearer_status::malformed);
}
