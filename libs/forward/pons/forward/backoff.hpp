#pragma once
// The retry schedule of forwarding deliveries. Pure: the jitter draw is passed in.

#include <chrono>

namespace pons::forward {

/// Exponential backoff with jitter.
struct backoff_policy {
  std::chrono::milliseconds initial{5000};  // delay after the first failed attempt
  std::chrono::milliseconds cap{3600000};   // the delay never grows past this (before jitter)
  double scale = 1.0;   // multiplies every delay (tests use e.g. 0.01); must be > 0
  double jitter = 0.2;  // up to this fraction is taken off each delay, at random
};

/// The delay before the next attempt after `failed_attempts` (>= 1) failures:
/// min(initial * 2^(failed_attempts - 1), cap) * (1 - jitter * draw) * scale, with draw in [0, 1).
/// With jitter < 0.5 each delay is longer than the previous one until the cap is reached.
std::chrono::milliseconds backoff_delay(const backoff_policy& policy, int failed_attempts,
                                        double draw);

}  // namespace pons::forward
