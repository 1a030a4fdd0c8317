// failure_streak: which failures of a repeating streak are worth a log line.
#include <catch2/catch.hpp>

#include "pons/logging/failure_streak.hpp"

using pons::logging::failure_streak;
using namespace std::chrono_literals;

TEST_CASE("a failure streak is logged at its start, then once a minute, and its end once",
          "[logging]") {
  failure_streak streak(60s);
  const auto t0 = failure_streak::clock::time_point{} + 1h;
  CHECK_FALSE(streak.succeeded());  // nothing to end yet

  CHECK(streak.failed(t0));
  CHECK(streak.skipped() == 0);
  for (int i = 1; i <= 9; ++i) CHECK_FALSE(streak.failed(t0 + i * 100ms));
  CHECK(streak.failures() == 10);
  // A minute after the last line: one more, saying how many were left out.
  CHECK(streak.failed(t0 + 60s));
  CHECK(streak.skipped() == 9);
  CHECK(streak.failures() == 11);
  CHECK_FALSE(streak.failed(t0 + 61s));

  CHECK(streak.succeeded());
  CHECK(streak.failures() == 0);
  CHECK_FALSE(streak.succeeded());
  // A new streak starts with a line of its own, however soon.
  CHECK(streak.failed(t0 + 62s));
  CHECK(streak.skipped() == 0);
}
