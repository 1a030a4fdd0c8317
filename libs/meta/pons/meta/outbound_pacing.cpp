#include "pons/meta/outbound_pacing.hpp"

#include <algorithm>
#include <cmath>

namespace pons::meta {

void token_bucket::refill(std::chrono::steady_clock::time_point now) {
  if (now > last_) {
    double seconds = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + seconds * rate_);
    last_ = now;
  }
}

std::chrono::milliseconds token_bucket::reserve(std::chrono::steady_clock::time_point now) {
  refill(now);
  tokens_ -= 1;
  if (tokens_ >= 0 || rate_ <= 0) return std::chrono::milliseconds(0);
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(-tokens_ / rate_ * 1000)));
}

bool token_bucket::idle(std::chrono::steady_clock::time_point now) const {
  double seconds = std::chrono::duration<double>(now - last_).count();
  return tokens_ + std::max(0.0, seconds) * rate_ >= burst_;
}

std::chrono::milliseconds send_pacer::reserve(std::string_view phone_number_id,
                                              std::string_view recipient,
                                              std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto key = std::string(phone_number_id) + "|" + std::string(recipient);
  auto pair = recipients_.find(key);
  if (pair == recipients_.end()) {
    if (recipients_.size() >= config_.max_tracked_recipients) {
      std::erase_if(recipients_, [&](const auto& kv) { return kv.second.idle(now); });
    }
    pair =
        recipients_.emplace(key, token_bucket(config_.recipient_rate, config_.recipient_burst, now))
            .first;
  }
  return pair->second.reserve(now);
}

void send_pacer::release(std::string_view phone_number_id, std::string_view recipient) {
  std::lock_guard lock(mutex_);
  auto key = std::string(phone_number_id) + "|" + std::string(recipient);
  if (auto p = recipients_.find(key); p != recipients_.end()) p->second.release();
}

}  // namespace pons::meta
