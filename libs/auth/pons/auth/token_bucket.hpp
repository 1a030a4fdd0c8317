#pragma once
// Rate limits per API key: a token bucket each, refilled continuously. Pure: the caller passes
// the time in (a steady clock), so tests step it by hand.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>

namespace pons::auth {

/// The clock a bucket is read against (monotonic: a wall-clock step must not refill it).
using bucket_clock = std::chrono::steady_clock;

/// How many calls a key may make: `burst` at once, then `per_second` on average.
struct rate_limit {
  double burst = 120;
  double per_second = 2;
};

/// The answer to one call.
struct rate_decision {
  bool allowed = true;
  /// When refused: how long until one call is allowed again, in whole seconds, at least 1 (the
  /// Retry-After of the 429).
  std::chrono::seconds retry_after{0};
};

/// One bucket: full at the start, one token per call.
class token_bucket {
 public:
  /// A full bucket at `now`.
  token_bucket(rate_limit limit, bucket_clock::time_point now);

  /// Takes one token when there is one.
  rate_decision take(bucket_clock::time_point now);

  /// True when the bucket has refilled completely by `now` (forgetting it loses nothing).
  bool full(bucket_clock::time_point now) const;

 private:
  double tokens_at(bucket_clock::time_point now) const;

  rate_limit limit_;
  double tokens_;
  bucket_clock::time_point updated_;
};

/// A bucket per key id, thread-safe. Holds at most `max_keys` buckets: full ones are forgotten
/// first, since a new bucket is full too.
class key_rate_limiter {
 public:
  explicit key_rate_limiter(rate_limit limit, std::size_t max_keys = 4096);

  /// Takes one token from the key's bucket (made full on first use).
  rate_decision take(std::int64_t key_id, bucket_clock::time_point now);

  /// Buckets held.
  std::size_t size() const;

 private:
  rate_limit limit_;
  std::size_t max_keys_;
  mutable std::mutex mutex_;
  std::unordered_map<std::int64_t, token_bucket> buckets_;
};

}  // namespace pons::auth
