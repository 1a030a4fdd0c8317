#include "pons/auth/token_bucket.hpp"

#include <algorithm>
#include <cmath>

namespace pons::auth {

token_bucket::token_bucket(rate_limit limit, bucket_clock::time_point now)
    : limit_(limit), tokens_(limit.burst), updated_(now) {}

double token_bucket::tokens_at(bucket_clock::time_point now) const {
  // A clock that seems to go back (a caller mixing time points) refills nothing.
  const double elapsed = std::max(0.0, std::chrono::duration<double>(now - updated_).count());
  return std::min(limit_.burst, tokens_ + elapsed * limit_.per_second);
}

rate_decision token_bucket::take(bucket_clock::time_point now) {
  tokens_ = tokens_at(now);
  if (now > updated_) updated_ = now;
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    return {true, std::chrono::seconds(0)};
  }
  if (limit_.per_second <= 0) return {false, std::chrono::seconds(3600)};
  const double wait = (1.0 - tokens_) / limit_.per_second;
  return {false, std::chrono::seconds(
                     std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(wait))))};
}

bool token_bucket::full(bucket_clock::time_point now) const {
  return tokens_at(now) >= limit_.burst;
}

key_rate_limiter::key_rate_limiter(rate_limit limit, std::size_t max_keys)
    : limit_(limit), max_keys_(std::max<std::size_t>(max_keys, 1)) {}

rate_decision key_rate_limiter::take(std::int64_t key_id, bucket_clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(key_id);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_) {
      std::erase_if(buckets_, [&](const auto& entry) { return entry.second.full(now); });
    }
    // Still full of busy keys: the new key takes the place of one of them; it may gain a little
    // burst, but memory stays bounded.
    if (buckets_.size() >= max_keys_) buckets_.erase(buckets_.begin());
    it = buckets_.emplace(key_id, token_bucket(limit_, now)).first;
  }
  return it->second.take(now);
}

std::size_t key_rate_limiter::size() const {
  std::lock_guard lock(mutex_);
  return buckets_.size();
}

}  // namespace pons::auth
