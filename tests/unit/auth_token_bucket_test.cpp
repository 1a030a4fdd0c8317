#include <catch2/catch.hpp>
#include <chrono>

#include "pons/auth/token_bucket.hpp"

using namespace pons::auth;
using namespace std::chrono_literals;

namespace {

// A fixed start: the buckets never read the clock themselves.
const bucket_clock::time_point t0{std::chrono::hours(1000)};

}  // namespace

TEST_CASE("token bucket: a burst, then the refill rate, then Retry-After", "[auth][keys]") {
  token_bucket b({3, 0.5}, t0);
  CHECK(b.full(t0));
  for (int i = 0; i < 3; ++i) CHECK(b.take(t0).allowed);
  auto refused = b.take(t0);
  CHECK_FALSE(refused.allowed);
  // One token takes 2 s at 0.5 a second.
  CHECK(refused.retry_after == 2s);
  auto later = b.take(t0 + 1s);
  CHECK_FALSE(later.allowed);
  CHECK(later.retry_after == 1s);
  CHECK(b.take(t0 + 2s).allowed);
  CHECK_FALSE(b.take(t0 + 2s).allowed);
  // It never holds more than the burst, however long it rests.
  CHECK(b.full(t0 + 1h));
  for (int i = 0; i < 3; ++i) CHECK(b.take(t0 + 1h).allowed);
  CHECK_FALSE(b.take(t0 + 1h).allowed);
}

TEST_CASE("token bucket: Retry-After is whole seconds and at least one", "[auth][keys]") {
  token_bucket fast({1, 10}, t0);
  CHECK(fast.take(t0).allowed);
  auto r = fast.take(t0);
  CHECK_FALSE(r.allowed);
  CHECK(r.retry_after == 1s);
  CHECK(fast.take(t0 + 100ms).allowed);
  // A time point before the last one refills nothing.
  token_bucket b({1, 1}, t0);
  CHECK(b.take(t0).allowed);
  CHECK_FALSE(b.take(t0 - 10s).allowed);
}

TEST_CASE("key rate limiter: one bucket per key, bounded in number", "[auth][keys]") {
  key_rate_limiter limiter({2, 1}, 3);
  CHECK(limiter.take(1, t0).allowed);
  CHECK(limiter.take(1, t0).allowed);
  CHECK_FALSE(limiter.take(1, t0).allowed);
  // Another key has a bucket of its own.
  CHECK(limiter.take(2, t0).allowed);
  CHECK(limiter.take(3, t0).allowed);
  CHECK(limiter.size() == 3);
  // A fourth key at the bound: the buckets that refilled are forgotten (a new one is full too),
  // and key 1 keeps its state while it is not full.
  CHECK(limiter.take(4, t0 + 1500ms).allowed);
  CHECK(limiter.size() <= 3);
  CHECK(limiter.take(1, t0 + 1500ms).allowed);
  CHECK_FALSE(limiter.take(1, t0 + 1500ms).allowed);
}
