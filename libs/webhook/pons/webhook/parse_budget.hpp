#pragma once
// How much JSON from unauthenticated bodies pons-webhook parses: a token bucket of bytes. With
// more app secrets than it tries blindly over the raw bytes, a body whose hinted secret does not
// verify it must be parsed to learn whose it claims to be; that work is paid from this budget, so
// a flood of forged bodies costs a bounded share of a core whatever their number. Time is passed
// in. Not thread-safe (the io thread owns it).

#include <chrono>
#include <cstddef>

namespace pons::webhook {

/// A token bucket of bytes, full at the start.
class parse_budget {
 public:
  using clock = std::chrono::steady_clock;

  /// Refills `bytes_per_second` up to `burst` bytes (a body larger than `burst` never fits).
  parse_budget(std::size_t bytes_per_second, std::size_t burst, clock::time_point now);

  /// Takes `bytes` when they are available at `now` and returns true; else takes nothing.
  bool take(std::size_t bytes, clock::time_point now);

  /// Bytes available at the last take() (for tests and metrics).
  double available() const { return available_; }

 private:
  double rate_;
  double burst_;
  double available_;
  clock::time_point last_;
};

}  // namespace pons::webhook
