#include "pons/dashboard/login_throttle.hpp"

#include <algorithm>
#include <boost/asio/ip/address.hpp>

namespace pons::dashboard {

keyed_buckets::keyed_buckets(auth::rate_limit limit, std::size_t max_keys)
    : limit_(limit), max_keys_(std::max<std::size_t>(max_keys, 1)) {}

auth::rate_decision keyed_buckets::take(const std::string& key,
                                        auth::bucket_clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_) {
      std::erase_if(buckets_, [&](const auto& entry) { return entry.second.full(now); });
    }
    // Still full of busy keys: memory stays bounded at the price of one forgotten bucket.
    if (buckets_.size() >= max_keys_) buckets_.erase(buckets_.begin());
    it = buckets_.emplace(key, auth::token_bucket(limit_, now)).first;
  }
  return it->second.take(now);
}

login_throttle::login_throttle(login_limits limits, std::size_t max_keys)
    : users_(limits.per_user, max_keys), addresses_(limits.per_address, max_keys) {}

auth::rate_decision login_throttle::take(std::string_view email_key, std::string_view address,
                                         auth::bucket_clock::time_point now) {
  auto by_user = users_.take(std::string(email_key), now);
  auto by_address = addresses_.take(std::string(address), now);
  if (by_user.allowed && by_address.allowed) return by_user;
  return {false, std::max(by_user.allowed ? std::chrono::seconds(0) : by_user.retry_after,
                          by_address.allowed ? std::chrono::seconds(0) : by_address.retry_after)};
}

std::string throttle_address(std::string_view peer_address) {
  boost::system::error_code ec;
  auto a = boost::asio::ip::make_address(std::string(peer_address), ec);
  if (ec) return std::string(peer_address);
  if (a.is_v6() && !a.to_v6().is_v4_mapped()) {
    auto bytes = a.to_v6().to_bytes();
    std::fill(bytes.begin() + 8, bytes.end(), 0);
    return boost::asio::ip::address_v6(bytes).to_string() + "/64";
  }
  if (a.is_v6())
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6()).to_string();
  return a.to_string();
}

}  // namespace pons::dashboard
