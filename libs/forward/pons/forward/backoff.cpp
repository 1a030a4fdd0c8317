#include "pons/forward/backoff.hpp"

#include <algorithm>
#include <cmath>

namespace pons::forward {

std::chrono::milliseconds backoff_delay(const backoff_policy& policy, int failed_attempts,
                                        double draw) {
  const int exponent = std::clamp(failed_attempts - 1, 0, 40);  // 2^40 * 5 s is far past any cap
  const double base =
      std::min(static_cast<double>(policy.initial.count()) * std::ldexp(1.0, exponent),
               static_cast<double>(policy.cap.count()));
  const double jittered = base * (1.0 - policy.jitter * std::clamp(draw, 0.0, 1.0));
  const double scaled = jittered * (policy.scale > 0 ? policy.scale : 1.0);
  return std::chrono::milliseconds(std::max<long long>(1, std::llround(scaled)));
}

}  // namespace pons::forward
