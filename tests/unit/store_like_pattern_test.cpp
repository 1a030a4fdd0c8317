#include <catch2/catch.hpp>

#include "pons/store/database.hpp"
#include "pons/store/like_pattern.hpp"
#include "unit/store_test_util.hpp"

using namespace pons::store;

TEST_CASE("escape_like makes wildcards and the escape character literal", "[store]") {
  CHECK(escape_like("Alice") == "Alice");
  CHECK(escape_like("100%") == "100\\%");
  CHECK(escape_like("a_b") == "a\\_b");
  CHECK(escape_like("back\\slash") == "back\\\\slash");
  CHECK(escape_like("").empty());

  test::temp_dir dir;
  auto db = database::open(dir.file("like.db"));
  REQUIRE(db.has_value());
  auto matches = [&](std::string_view name, std::string_view query) {
    auto s = db->prepare("SELECT ?1 LIKE '%' || ?2 || '%' " + std::string(like_escape_clause));
    REQUIRE(s.has_value());
    s->bind(1, name).bind(2, escape_like(query));
    REQUIRE(s->step().value());
    return s->column_int64(0) == 1;
  };
  CHECK(matches("100% Cotton", "0%"));
  CHECK_FALSE(matches("Alice", "%"));
  CHECK_FALSE(matches("Alice", "_"));
  CHECK(matches("a_b", "_"));
  CHECK_FALSE(matches("a\\b", "a\\\\"));
  CHECK(matches("a\\b", "a\\b"));
  CHECK(matches("ALICE", "ali"));  // LIKE stays case-insensitive for ASCII
}
