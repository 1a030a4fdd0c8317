#pragma once
// Login attempts, limited per email and per client address with a token bucket each (the
// buckets of auth/token_bucket.hpp): guessing one person's password is slow from everywhere,
// and one address cannot try many people. Time is passed in.

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "pons/auth/token_bucket.hpp"

namespace pons::dashboard {

/// How many attempts are allowed: per email, and per address.
struct login_limits {
  auth::rate_limit per_user{5, 1.0 / 60};
  auth::rate_limit per_address{20, 1.0 / 6};
};

/// Buckets per key (an email or an address), bounded in number; thread-safe.
class keyed_buckets {
 public:
  keyed_buckets(auth::rate_limit limit, std::size_t max_keys);

  /// Takes one attempt from `key`'s bucket (made full on first use).
  auth::rate_decision take(const std::string& key, auth::bucket_clock::time_point now);

 private:
  auth::rate_limit limit_;
  std::size_t max_keys_;
  std::mutex mutex_;
  std::unordered_map<std::string, auth::token_bucket> buckets_;
};

/// Both limits of a login attempt.
class login_throttle {
 public:
  explicit login_throttle(login_limits limits = {}, std::size_t max_keys = 16384);

  /// Takes an attempt for `email_key` (lowercased) from `address`. Refused when either bucket is
  /// empty; then retry_after is the longer wait. Both buckets are charged either way, so
  /// spreading guesses over addresses or emails gains nothing.
  auth::rate_decision take(std::string_view email_key, std::string_view address,
                           auth::bucket_clock::time_point now);

 private:
  keyed_buckets users_;
  keyed_buckets addresses_;
};

/// The address an attempt is counted against: an IPv6 address by its /64 (one subscriber's
/// block), an IPv4 address whole.
std::string throttle_address(std::string_view peer_address);

}  // namespace pons::dashboard
