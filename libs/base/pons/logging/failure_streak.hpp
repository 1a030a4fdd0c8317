#pragma once
// When a failure that repeats is worth a log line. A poller whose database is down fails the
// same way on every poll, several times a second: the first failure of a streak is logged, then
// one line a minute saying how many were left out, and the end of the streak once. Pure: time is
// passed in.

#include <chrono>
#include <cstddef>

namespace pons::logging {

class failure_streak {
 public:
  using clock = std::chrono::steady_clock;

  explicit failure_streak(std::chrono::seconds every = std::chrono::seconds(60)) : every_(every) {}

  /// A failure at `now`: true when it should be logged (the first of a streak, or the first
  /// after `every` since the last line). skipped() then says how many were left out before it.
  bool failed(clock::time_point now);
  /// A success: true when it ends a streak (worth one line saying so).
  bool succeeded();
  /// Failures not logged since the last line that was.
  std::size_t skipped() const { return skipped_before_; }
  /// Failures in the current streak (0 when the last attempt succeeded).
  std::size_t failures() const { return failures_; }

 private:
  std::chrono::seconds every_;
  std::size_t failures_ = 0;
  std::size_t skipped_ = 0;
  std::size_t skipped_before_ = 0;
  clock::time_point last_logged_{};
};

}  // namespace pons::logging
