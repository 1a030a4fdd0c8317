#include "pons/webhook/parse_budget.hpp"

#include <algorithm>

namespace pons::webhook {

parse_budget::parse_budget(std::size_t bytes_per_second, std::size_t burst, clock::time_point now)
    : rate_(static_cast<double>(bytes_per_second)),
      burst_(static_cast<double>(burst)),
      available_(burst_),
      last_(now) {}

bool parse_budget::take(std::size_t bytes, clock::time_point now) {
  // A clock that did not move (or a caller's earlier time) refills nothing.
  if (now > last_) {
    available_ =
        std::min(burst_, available_ + rate_ * std::chrono::duration<double>(now - last_).count());
    last_ = now;
  }
  const auto wanted = static_cast<double>(bytes);
  if (wanted > available_) return false;
  available_ -= wanted;
  return true;
}

}  // namespace pons::webhook
