#pragma once
// Signed webhook load for the power-loss check: several keep-alive connections, each sending
// distinct payloads of 1 to 4 messages (wamids "wamid.pl.<connection>.<n>.<i>") to whichever
// pons-webhook is up. Like Meta, a payload that was not answered 200 is sent again (to the next
// incarnation if need be) until it is, or until it has been tried max_attempts times.

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace pons::power_loss {

/// One payload and what became of it.
struct webhook_sent {
  std::string prefix;  // its wamids are prefix + ".0", ".1", ...
  int messages = 0;
  int attempts = 0;
  bool acknowledged = false;  // answered 200 (by some attempt)
};

/// The load generators.
class webhook_load {
 public:
  static constexpr int max_attempts = 20;

  /// `connections` senders, each pausing up to `pause_ms` (at random) after each acknowledged
  /// payload; `seed` picks the payload sizes and pauses.
  webhook_load(int connections, int pause_ms, std::uint64_t seed);
  ~webhook_load();
  webhook_load(const webhook_load&) = delete;
  webhook_load& operator=(const webhook_load&) = delete;

  /// Sends to `port` from now on; 0 while no service is up.
  void serve_on(std::uint16_t port) { port_.store(port); }
  /// Payloads answered 200 so far.
  std::uint64_t acknowledged() const { return acknowledged_.load(); }
  /// Stops the senders (each finishes the request in flight) and waits for them.
  void finish();
  /// Every payload sent, after finish().
  std::vector<webhook_sent> payloads() const;

 private:
  void run(int index, std::uint64_t seed);

  const int pause_ms_;
  std::atomic<std::uint16_t> port_{0};
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> acknowledged_{0};
  mutable std::mutex mu_;
  std::vector<webhook_sent> payloads_;
  std::vector<std::thread> threads_;
};

}  // namespace pons::power_loss
