#include "core/store/migrations.hpp"

#include <catch2/catch.hpp>

TEST_CASE("embedded migrations are numbered from 1 without gaps", "[store]") {
  auto all = pons::store::embedded_migrations();
  REQUIRE_FALSE(all.empty());
  for (std::size_t i = 0; i < all.size(); ++i) {
    CHECK(all[i].version == static_cast<int>(i + 1));
    CHECK_FALSE(all[i].sql.empty());
  }
}
