#include <catch2/catch.hpp>
#include <cstring>

#include "pons/mcp/tools/decode_budget.hpp"

using namespace pons::mcp;
using namespace pons::mcp::detail;

TEST_CASE("decode_budget charges stb's allocations and refuses past its limit", "[image]") {
  CHECK(decode_budget::current() == nullptr);
  {
    decode_budget budget(1000);
    CHECK(decode_budget::current() == &budget);
    void* a = budget_malloc(600);
    REQUIRE(a);
    // Zeroed, like calloc.
    CHECK(static_cast<unsigned char*>(a)[599] == 0);
    CHECK(budget.in_use() == 600);
    CHECK(budget_malloc(500) == nullptr);
    CHECK(budget.exceeded());
    CHECK(budget.in_use() == 600);

    // A refused realloc keeps the old block intact.
    std::memset(a, 7, 600);
    CHECK(budget_realloc(a, 1200) == nullptr);
    CHECK(static_cast<unsigned char*>(a)[599] == 7);
    void* b = budget_realloc(a, 900);
    REQUIRE(b);
    CHECK(static_cast<unsigned char*>(b)[599] == 7);
    CHECK(budget.in_use() == 900);
    CHECK(budget.peak() == 900);
    budget_free(b);
    CHECK(budget.in_use() == 0);
    CHECK(budget.peak() == 900);

    {
      decode_budget inner(10);
      CHECK(decode_budget::current() == &inner);
      CHECK(budget_malloc(11) == nullptr);
    }
    CHECK(decode_budget::current() == &budget);
  }
  CHECK(decode_budget::current() == nullptr);
  // Without a budget nothing is refused, and a block outlives the budget it was charged to.
  void* free_standing = budget_malloc(4096);
  REQUIRE(free_standing);
  budget_free(free_standing);
  budget_free(nullptr);
}
