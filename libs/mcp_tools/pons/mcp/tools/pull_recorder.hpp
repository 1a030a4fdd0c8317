#pragma once
// Records what each MCP client pulled (mcp_pull_cursors) on a background thread, so a durable
// write (an fsync) never sits on the get_messages response path.

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
  /// Writes to the database at `path` (its own connection, opened on first use).
  explicit pull_recorder(std::string path);
  /// Writes what is pending, then stops.
  ~pull_recorder();
  pull_recorder(const pull_recorder&) = delete;
  pull_recorder& operator=(const pull_recorder&) = delete;

  /// Queues "client pulled up to message `last_id` of number `phone_number_id` at `pulled_at`".
  void record(const std::string& client, const std::string& phone_number_id,
              const std::string& pulled_at, std::int64_t last_id);

  /// Blocks until everything queued so far is written (tests, shutdown).
  void flush();

 private:
  void run();

  std::string path_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::map<std::pair<std::string, std::string>, std::pair<std::string, std::int64_t>> pending_;
  std::size_t writing_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace pons::mcp
