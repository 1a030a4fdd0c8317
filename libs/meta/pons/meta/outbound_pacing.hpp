#pragma once
// Client-side pacing of sends, so Meta's throughput limits are met by waiting instead of by
// errors: at most 80 messages/s per business number by default (130429), and Meta's pair rate
// of one message per 6 s per recipient with bursts of up to 45 (131056). Token buckets that may
// go negative: a negative balance is a queue, and reserve() says how long to wait. This file
// paces recipients within one process; the number's bucket is kept in the database by the
// outbound sender, so that every process sending from one number shares it. Pure apart from a
// mutex (shared by the sending threads of one process); time is passed in.

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace pons::meta {

/// Pacing limits (Meta's defaults).
struct pacing_config {
  double number_rate = 80;            // messages per second per business number (shared)
  double number_burst = 80;           // how many may go at once after idling (shared)
  double recipient_rate = 1.0 / 6.0;  // messages per second to one recipient from one number
  double recipient_burst = 45;
  std::size_t max_tracked_recipients = 10000;  // idle buckets beyond this are forgotten
};

/// A token bucket whose balance may go negative (queued reservations).
class token_bucket {
 public:
  token_bucket(double rate_per_second, double burst, std::chrono::steady_clock::time_point now)
      : rate_(rate_per_second), burst_(burst), tokens_(burst), last_(now) {}

  /// Takes one token; returns how long the caller must wait before acting (0 = now).
  std::chrono::milliseconds reserve(std::chrono::steady_clock::time_point now);
  /// Returns a token taken by reserve() whose action did not happen.
  void release() { tokens_ += 1; }
  /// True when the bucket is full again at `now` (nothing to remember).
  bool idle(std::chrono::steady_clock::time_point now) const;

 private:
  void refill(std::chrono::steady_clock::time_point now);
  double rate_;
  double burst_;
  double tokens_;
  std::chrono::steady_clock::time_point last_;
};

/// Per-recipient pacing for one process. Thread-safe.
class send_pacer {
 public:
  explicit send_pacer(pacing_config config = {}) : config_(config) {}

  /// Reserves a send from `phone_number_id` to `recipient`; returns the wait before sending.
  std::chrono::milliseconds reserve(std::string_view phone_number_id, std::string_view recipient,
                                    std::chrono::steady_clock::time_point now);
  /// Gives back a reservation that was not used (e.g. the caller would not wait that long).
  void release(std::string_view phone_number_id, std::string_view recipient);

  /// The limits in use (the number's are applied by the caller, through the database).
  const pacing_config& config() const { return config_; }

 private:
  pacing_config config_;
  std::mutex mutex_;
  std::map<std::string, token_bucket, std::less<>> recipients_;
};

}  // namespace pons::meta
