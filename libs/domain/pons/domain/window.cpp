#include "pons/domain/window.hpp"

#include <algorithm>
#include <limits>

namespace pons::domain {

std::int64_t window_expires_at(std::int64_t last_inbound_unix) noexcept {
  if (last_inbound_unix <= 0) return 0;
  // Garbage timestamps near the int64 limit must not overflow.
  if (last_inbound_unix > std::numeric_limits<std::int64_t>::max() - service_window_seconds)
    return std::numeric_limits<std::int64_t>::max();
  return last_inbound_unix + service_window_seconds;
}

std::int64_t service_window::expires_at() const noexcept {
  return window_expires_at(last_inbound_unix);
}

bool service_window::is_open(std::int64_t now_unix) const noexcept {
  return ever_opened() && now_unix < expires_at();
}

std::int64_t service_window::seconds_remaining(std::int64_t now_unix) const noexcept {
  if (!is_open(now_unix)) return 0;
  // A message stamped ahead of our clock (skew) does not make the window longer than 24 hours.
  return std::min(expires_at() - now_unix, service_window_seconds);
}

service_window refresh_window(service_window current, std::int64_t inbound_unix) noexcept {
  if (inbound_unix > current.last_inbound_unix) current.last_inbound_unix = inbound_unix;
  return current;
}

}  // namespace pons::domain
