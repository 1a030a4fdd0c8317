#pragma once
// Records what each MCP client pulled (mcp_pull_cursors) on a background thread, so a durable
// write (an fsync) never sits on the get_messages response path. Writes are at most one
// transaction per interval: a busy client's pulls coalesce instead of taking the database's
// write lock from pons-webhook's writer hundreds of times a second.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

namespace pons::mcp {

/// Coalesces pull records per (client, number) and writes them in the background.
class pull_recorder {
 public:
  /// Writes to the database at `path` (its own connection, opened on first use), at most once
  /// per `interval`.
  explicit pull_recorder(std::string path,
                         std::chrono::milliseconds interval = std::chrono::milliseconds(1000));
  /// Writes what is pending, then stops.
  ~pull_recorder();
  pull_recorder(const pull_recorder&) = delete;
  pull_recorder& operator=(const pull_recorder&) = delete;

  /// Queues "client pulled up to message `last_id` of number `phone_number_id` at `pulled_at`".
  void record(const std::string& client, const std::string& phone_number_id,
              const std::string& pulled_at, std::int64_t last_id);

  /// Blocks until everything queued so far is written, without waiting for the interval (tests,
  /// shutdown).
  void flush();

  /// Transactions written so far.
  std::size_t writes() const;

 private:
  void run();

  std::string path_;
  std::chrono::milliseconds interval_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::map<std::pair<std::string, std::string>, std::pair<std::string, std::int64_t>> pending_;
  std::size_t writing_ = 0;
  std::size_t flushes_waiting_ = 0;
  std::size_t writes_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace pons::mcp
