#include "pons/logging/failure_streak.hpp"

namespace pons::logging {

bool failure_streak::failed(clock::time_point now) {
  ++failures_;
  if (failures_ == 1 || now - last_logged_ >= every_) {
    skipped_before_ = skipped_;
    skipped_ = 0;
    last_logged_ = now;
    return true;
  }
  ++skipped_;
  return false;
}

bool failure_streak::succeeded() {
  const bool ended = failures_ > 0;
  failures_ = 0;
  skipped_ = 0;
  skipped_before_ = 0;
  return ended;
}

}  // namespace pons::logging
