#include "pons/http/connection_table.hpp"

#include <algorithm>
#include <cstring>

namespace pons::http {

address_key ipv4_key(const std::array<unsigned char, 4>& bytes) {
  address_key k{};
  k[10] = 0xff;
  k[11] = 0xff;
  std::copy(bytes.begin(), bytes.end(), k.begin() + 12);
  return k;
}

address_key ipv6_key(const std::array<unsigned char, 16>& bytes) {
  static constexpr unsigned char mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(bytes.data(), mapped_prefix, sizeof mapped_prefix) == 0) {
    return ipv4_key({bytes[12], bytes[13], bytes[14], bytes[15]});
  }
  address_key k{};
  std::copy(bytes.begin(), bytes.begin() + 8, k.begin());
  return k;
}

std::size_t connection_table::key_hash::operator()(const address_key& k) const noexcept {
  // FNV-1a: the keys are short and an attacker picks them, so no identity hash on a few bytes.
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : k) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return static_cast<std::size_t>(h);
}

connection_table::connection_table(connection_limits limits) : limits_(limits) {
  limits_.max_connections = std::max<std::size_t>(limits_.max_connections, 1);
  limits_.max_per_address =
      std::clamp<std::size_t>(limits_.max_per_address, 1, limits_.max_connections);
}

connection_table::admission connection_table::admit(const address_key& address) {
  admission a;
  // The address first: a client at its own limit replaces its own oldest silent connection,
  // never another client's.
  if (auto it = addresses_.find(address);
      it != addresses_.end() && it->second.count >= limits_.max_per_address) {
    a.address_full = true;
    if (it->second.waiting.empty()) {
      a.what = admission::verdict::refuse;
    } else {
      a.what = admission::verdict::admit_after_closing;
      a.close_first = &it->second.waiting.front();
    }
    return a;
  }
  if (size_ >= limits_.max_connections) {
    if (waiting_.empty()) {
      a.what = admission::verdict::refuse;
    } else {
      a.what = admission::verdict::admit_after_closing;
      a.close_first = &waiting_.front();
    }
  }
  return a;
}

void connection_table::add(entry& e, const address_key& address) {
  if (e.registered()) return;
  auto& state = addresses_[address];
  state.key = address;
  ++state.count;
  ++size_;
  e.address_ = &state;
  waiting_.push_back(e);
  state.waiting.push_back(e);
}

void connection_table::set_busy(entry& e) {
  if (!e.registered() || !e.waiting()) return;
  waiting_.erase(waiting_.iterator_to(e));
  e.address_->waiting.erase(e.address_->waiting.iterator_to(e));
}

void connection_table::set_waiting(entry& e) {
  if (!e.registered()) return;
  set_busy(e);
  waiting_.push_back(e);
  e.address_->waiting.push_back(e);
}

void connection_table::remove(entry& e) {
  if (!e.registered()) return;
  set_busy(e);
  --size_;
  if (--e.address_->count == 0) {
    const address_key key = e.address_->key;  // a copy: the state goes with the erase
    addresses_.erase(key);
  }
  e.address_ = nullptr;
}

connection_table::entry* connection_table::oldest_waiting() {
  return waiting_.empty() ? nullptr : &waiting_.front();
}

}  // namespace pons::http
