#pragma once
// The 24-hour customer service window. A business may send free-form messages to a user only
// within 24 hours of that user's last message; outside it only approved templates go through
// (Meta error 131047). The window opens, and is refreshed, by each inbound message's timestamp.
// Pure: the current time is always passed in.

#include <chrono>
#include <cstdint>

namespace pons::domain {

/// Length of the customer service window.
inline constexpr std::int64_t service_window_seconds = 24 * 60 * 60;

/// The window of one conversation, known by the timestamp of the user's last inbound message.
struct service_window {
  std::int64_t last_inbound_unix = 0;  ///< 0 (or less) = the user never wrote: no window

  /// True once an inbound message has opened the window at some point.
  bool ever_opened() const noexcept { return last_inbound_unix > 0; }
  /// Unix time at which the window closes (0 when it never opened).
  std::int64_t expires_at() const noexcept;
  /// True while free-form messages may be sent: now < expires_at().
  bool is_open(std::int64_t now_unix) const noexcept;
  /// Seconds left until the window closes, 0 when closed, never more than 24 hours.
  std::int64_t seconds_remaining(std::int64_t now_unix) const noexcept;

  /// The chrono forms of the above.
  bool is_open(std::chrono::sys_seconds now) const noexcept {
    return is_open(now.time_since_epoch().count());
  }
  std::chrono::seconds remaining(std::chrono::sys_seconds now) const noexcept {
    return std::chrono::seconds{seconds_remaining(now.time_since_epoch().count())};
  }
};

/// The window after an inbound message with timestamp `inbound_unix`. Webhooks arrive out of
/// order, so an older message never shortens the window; timestamps <= 0 (absent or garbage)
/// leave it unchanged.
service_window refresh_window(service_window current, std::int64_t inbound_unix) noexcept;

/// Unix time at which a window opened by an inbound message at `last_inbound_unix` closes
/// (0 when `last_inbound_unix` <= 0).
std::int64_t window_expires_at(std::int64_t last_inbound_unix) noexcept;

}  // namespace pons::domain
