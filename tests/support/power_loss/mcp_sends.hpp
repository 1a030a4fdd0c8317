#pragma once
// pons-mcp sending for the power-loss check: each incarnation of pons-mcp (started on the
// database after every power cut) sends text messages with idempotency keys through the fake
// Graph API, one call at a time, until it is killed. A send whose answer never came is sent
// again with the same key by the next incarnation (at most max_attempts times).

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace pons::test::hardening {
class mcp_session;
}

namespace pons::power_loss {

/// One send and what pons-mcp reported.
struct send_record {
  std::string key;    // its idempotency key
  std::string wamid;  // as reported when done
  int attempts = 0;
  bool done = false;  // pons-mcp answered state "sent"
};

/// The sending side.
class mcp_sends {
 public:
  static constexpr int max_attempts = 3;

  /// Sends to `to` (a customer whose 24-hour window is open); pons-mcp runs with `env`.
  mcp_sends(std::string to, std::vector<std::string> env, std::string log_path);
  ~mcp_sends();
  mcp_sends(const mcp_sends&) = delete;
  mcp_sends& operator=(const mcp_sends&) = delete;

  /// Starts a pons-mcp on `db_path` and sends from it until kill().
  void start(const std::string& db_path);
  /// SIGKILLs the running pons-mcp (a power cut) and waits for its sender.
  void kill();
  /// Sends reported done so far.
  std::uint64_t done() const { return done_.load(); }
  /// Every send tried, after kill().
  std::vector<send_record> records() const;

 private:
  void run();

  std::string to_;
  std::vector<std::string> env_;
  std::string log_path_;
  std::unique_ptr<test::hardening::mcp_session> session_;
  std::atomic<pid_t> pid_{-1};
  std::thread thread_;
  std::atomic<std::uint64_t> done_{0};
  mutable std::mutex mu_;
  std::vector<send_record> records_;
  std::vector<send_record> retry_;  // unanswered sends, for the next incarnation
  int next_key_ = 0;
  std::int64_t next_id_ = 1;
};

}  // namespace pons::power_loss
