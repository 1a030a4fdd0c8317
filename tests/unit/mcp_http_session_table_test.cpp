#include <catch2/catch.hpp>

#include "pons/mcp_http/session_table.hpp"

using namespace pons::mcp_http;
using namespace std::chrono_literals;

namespace {
const session_table::time_point t0{};
}

TEST_CASE("a full table closes the session idle longest, never a busy one", "[mcp_http]") {
  session_table table({2, 60s});
  CHECK(table.add("a", "p", t0).admitted);
  CHECK(table.add("b", "p", t0 + 1s).admitted);
  CHECK(table.acquire("a", t0 + 2s));  // a used later than b, and busy
  table.release("a", t0 + 3s);
  auto third = table.add("c", "p", t0 + 4s);
  CHECK(third.admitted);
  REQUIRE(third.evict);
  CHECK(*third.evict == "b");
  CHECK_FALSE(table.contains("b"));
  CHECK(table.size() == 2);

  // Both busy: nobody makes room, the newcomer is refused.
  CHECK(table.acquire("a", t0 + 5s));
  CHECK(table.acquire("c", t0 + 5s));
  auto refused = table.add("d", "p", t0 + 6s);
  CHECK_FALSE(refused.admitted);
  CHECK_FALSE(refused.evict);
  CHECK(table.size() == 2);
}

TEST_CASE("idle sessions expire, busy ones and recently used ones stay", "[mcp_http]") {
  session_table table({10, 60s});
  table.add("idle", "p", t0);
  table.add("busy", "p", t0);
  table.add("recent", "p", t0);
  CHECK(table.acquire("busy", t0 + 1s));
  CHECK(table.acquire("recent", t0 + 30s));
  table.release("recent", t0 + 30s);
  auto gone = table.expire(t0 + 60s);
  CHECK(gone == std::vector<std::string>{"idle"});
  CHECK(table.expire(t0 + 89s).empty());
  CHECK(table.expire(t0 + 90s) == std::vector<std::string>{"recent"});
  table.release("busy", t0 + 100s);
  CHECK(table.expire(t0 + 159s).empty());
  CHECK(table.expire(t0 + 160s) == std::vector<std::string>{"busy"});
  CHECK(table.size() == 0);
}

TEST_CASE("unknown ids are refused or ignored", "[mcp_http]") {
  session_table table({4, 60s});
  CHECK_FALSE(table.acquire("nope", t0));
  table.release("nope", t0);
  CHECK_FALSE(table.remove("nope"));
  table.add("x", "p", t0);
  CHECK(table.remove("x"));
  CHECK_FALSE(table.contains("x"));
}

TEST_CASE("a principal at its limit gives up its own idle session, never another's", "[mcp_http]") {
  session_table table({10, 60s, 2});
  CHECK(table.add("a1", "a", t0).admitted);
  CHECK(table.add("b1", "b", t0).admitted);  // older than a2 and idle: still not a's to take
  CHECK(table.add("a2", "a", t0 + 1s).admitted);
  CHECK(table.count_of("a") == 2);

  auto third = table.add("a3", "a", t0 + 2s);
  CHECK(third.admitted);
  REQUIRE(third.evict);
  CHECK(*third.evict == "a1");
  CHECK(table.contains("b1"));
  CHECK(table.count_of("a") == 2);

  // Both of a's sessions busy: refused, as a's own, while b may still open one.
  CHECK(table.acquire("a2", t0 + 3s));
  CHECK(table.acquire("a3", t0 + 3s));
  auto refused = table.add("a4", "a", t0 + 4s);
  CHECK_FALSE(refused.admitted);
  CHECK(refused.principal_full);
  CHECK_FALSE(refused.evict);
  CHECK(table.add("b2", "b", t0 + 4s).admitted);
  CHECK(table.size() == 4);

  // A full table refusing everyone is not the principal's limit.
  session_table full({1, 60s, 4});
  CHECK(full.add("x", "x", t0).admitted);
  CHECK(full.acquire("x", t0));
  auto busy = full.add("y", "y", t0);
  CHECK_FALSE(busy.admitted);
  CHECK_FALSE(busy.principal_full);
}
