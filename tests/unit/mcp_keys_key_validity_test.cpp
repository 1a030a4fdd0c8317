// Whether a key's sessions may go on, against a real key store: a key in force, revoked (by
// another connection, as `pons-webhook keys revoke` does), expired or gone, and principals that
// are not keys.
#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "pons/mcp_keys/key_validity.hpp"
#include "pons/store/api_key_repository.hpp"
#include "pons/store/database.hpp"
#include "unit/store_test_util.hpp"

using namespace pons;
using namespace std::chrono_literals;
using pons::store::test::temp_dir;

TEST_CASE("a key principal is named by its id, and only such a name is read back",
          "[mcp_keys][backends]") {
  CHECK(mcp_keys::key_principal(7) == "key:7");
  CHECK(mcp_keys::key_id_of("key:7") == 7);
  CHECK(mcp_keys::key_id_of("key:123456789012") == 123456789012);
  for (const char* other : {"conformance", "key:", "key:7x", "key: 7", "Key:7", "a", ""}) {
    CHECK_FALSE(mcp_keys::key_id_of(other).has_value());
  }
}

TEST_CASE("a key stays valid until it is revoked, expires or is gone", "[mcp_keys][backends]") {
  temp_dir dir;
  const auto path = pons::store::test::test_database_location(dir);
  auto db = std::move(store::database::open(path).value());
  const auto now = std::chrono::system_clock::now();
  auto in_force = store::create_api_key(db, {"in force", {"read"}, {}, {}}, now);
  auto later = store::create_api_key(db, {"later", {"read"}, {}, now + 24h}, now);
  auto past = store::create_api_key(db, {"past", {"read"}, {}, now - 1h}, now - 2h);
  REQUIRE(in_force.has_value());
  REQUIRE(later.has_value());
  REQUIRE(past.has_value());

  auto valid = mcp_keys::key_validity(path);
  REQUIRE(valid.has_value());
  const auto& still_valid = *valid;
  CHECK(still_valid(mcp_keys::key_principal(in_force->key.id)));
  CHECK(still_valid(mcp_keys::key_principal(later->key.id)));
  CHECK_FALSE(still_valid(mcp_keys::key_principal(past->key.id)));
  CHECK_FALSE(still_valid("key:999"));  // no such key (deleted)
  CHECK(still_valid("conformance"));    // not a key: not ours to judge

  // Revoked through another connection, as the CLI does from its own process.
  REQUIRE(store::revoke_api_key(db, in_force->key.id, now).has_value());
  CHECK_FALSE(still_valid(mcp_keys::key_principal(in_force->key.id)));
  CHECK(still_valid(mcp_keys::key_principal(later->key.id)));
}
