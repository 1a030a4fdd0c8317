#include "pons/webhook/parse_budget.hpp"

#include <catch2/catch.hpp>

using pons::webhook::parse_budget;
using namespace std::chrono_literals;

TEST_CASE("parse budget: starts full, refuses what does not fit, refills with time",
          "[parse_budget]") {
  const auto t0 = parse_budget::clock::time_point{} + 1h;
  parse_budget b(1000, 4000, t0);
  CHECK(b.take(3000, t0));
  CHECK_FALSE(b.take(1001, t0));  // 1000 left: refused whole, nothing taken
  CHECK(b.take(1000, t0));
  CHECK_FALSE(b.take(1, t0));
  CHECK_FALSE(b.take(600, t0 + 500ms));  // 500 refilled
  CHECK(b.take(500, t0 + 500ms));
  CHECK(b.take(4000, t0 + 1h));  // refills up to the burst, never past it
  CHECK_FALSE(b.take(1, t0 + 1h));
  CHECK_FALSE(b.take(4001, t0 + 2h));  // larger than the burst: never
  CHECK(b.take(4000, t0 + 2h));
  // A clock going backwards refills nothing and breaks nothing.
  CHECK_FALSE(b.take(1, t0));
  CHECK(b.take(1000, t0 + 2h + 1s));
}

TEST_CASE("parse budget: a flood gets rate times time, whatever its number of requests",
          "[parse_budget]") {
  const auto t0 = parse_budget::clock::time_point{} + 1h;
  parse_budget b(8 << 20, 8 << 20, t0);
  std::size_t parsed = 0;
  // 100 bodies of 4 MiB per second for 10 seconds, in simulated time.
  for (int i = 0; i < 1000; ++i) {
    const auto now = t0 + std::chrono::milliseconds(10 * i);
    if (b.take(4 << 20, now)) parsed += 4 << 20;
  }
  // At most the burst plus the refill over 10 s.
  CHECK(parsed <= (8u << 20) + 10 * (8u << 20));
  CHECK(parsed >= 10 * (8u << 20) - (4u << 20));
}
