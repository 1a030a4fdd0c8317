#include "pons/domain/window.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <limits>

using pons::domain::refresh_window;
using pons::domain::service_window;
using pons::domain::service_window_seconds;

namespace {
constexpr std::int64_t t0 = 1751142888;  // a Meta webhook timestamp
constexpr std::int64_t one_day = 24 * 60 * 60;
}  // namespace

TEST_CASE("no inbound message means no window", "[window]") {
  service_window w;
  CHECK_FALSE(w.ever_opened());
  CHECK(w.expires_at() == 0);
  CHECK_FALSE(w.is_open(t0));
  CHECK_FALSE(w.is_open(0));
  CHECK(w.seconds_remaining(t0) == 0);
}

TEST_CASE("an inbound message opens the window for exactly 24 hours", "[window]") {
  auto w = refresh_window({}, t0);
  CHECK(service_window_seconds == one_day);
  CHECK(w.ever_opened());
  CHECK(w.expires_at() == t0 + one_day);
  CHECK(w.is_open(t0));
  CHECK(w.seconds_remaining(t0) == one_day);
  CHECK(w.is_open(t0 + one_day - 1));
  CHECK(w.seconds_remaining(t0 + one_day - 1) == 1);
  CHECK_FALSE(w.is_open(t0 + one_day));
  CHECK(w.seconds_remaining(t0 + one_day) == 0);
  CHECK_FALSE(w.is_open(t0 + 3 * one_day));
  CHECK(w.seconds_remaining(t0 + 3 * one_day) == 0);
}

TEST_CASE("each inbound message refreshes the window: older ones never shorten it", "[window]") {
  auto w = refresh_window({}, t0);
  w = refresh_window(w, t0 + 20 * 3600);
  CHECK(w.expires_at() == t0 + 20 * 3600 + one_day);
  CHECK(w.is_open(t0 + one_day + 3600));
  // A late, out-of-order webhook for an earlier message.
  w = refresh_window(w, t0 + 3600);
  CHECK(w.last_inbound_unix == t0 + 20 * 3600);
  // Absent or garbage timestamps change nothing.
  w = refresh_window(w, 0);
  w = refresh_window(w, -5);
  CHECK(w.last_inbound_unix == t0 + 20 * 3600);
  // A message after the window closed reopens it.
  w = refresh_window(w, t0 + 5 * one_day);
  CHECK(w.is_open(t0 + 5 * one_day + 10));
}

TEST_CASE("clock skew never reports more than 24 hours left", "[window]") {
  auto w = refresh_window({}, t0 + 600);  // stamped 10 minutes ahead of our clock
  CHECK(w.is_open(t0));
  CHECK(w.seconds_remaining(t0) == one_day);
}

TEST_CASE("timestamps near the int64 limit do not overflow", "[window]") {
  auto w = refresh_window({}, std::numeric_limits<std::int64_t>::max() - 10);
  CHECK(w.expires_at() == std::numeric_limits<std::int64_t>::max());
  CHECK(w.is_open(t0));
  CHECK(w.seconds_remaining(t0) == one_day);
}

TEST_CASE("chrono overloads agree with the integer ones", "[window]") {
  using namespace std::chrono;
  auto w = refresh_window({}, t0);
  sys_seconds now{seconds{t0 + 3600}};
  CHECK(w.is_open(now));
  CHECK(w.remaining(now) == hours{23});
  const sys_seconds closed{seconds{t0 + one_day}};
  CHECK_FALSE(w.is_open(closed));
  CHECK(w.remaining(closed) == seconds(0));
}
