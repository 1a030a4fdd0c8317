#pragma once
// The stdio transport: newline-delimited JSON-RPC on a pair of file descriptors. The reader runs
// on its own thread; writes are whole lines under a mutex so messages never interleave.

#include <atomic>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>

#include "pons/mcp/engine.hpp"

namespace pons::mcp {

/// Writes each message as one line to a file descriptor (stdout for pons-mcp).
class fd_sink : public message_sink {
 public:
  /// Does not take ownership of `fd`.
  explicit fd_sink(int fd) : fd_(fd) {}
  /// Writes `message` + '\n' in full, or marks the sink closed when the peer has gone.
  void send(std::string message) override;
  /// True after a write failed (e.g. EPIPE): the client is gone.
  bool closed() const { return closed_.load(); }

 private:
  int fd_;
  std::mutex mutex_;
  std::atomic<bool> closed_{false};
};

/// Reads a file descriptor on its own thread and feeds complete lines to an engine.
class fd_reader {
 public:
  /// `on_end` runs on the reader thread when input ends (EOF or a read error).
  fd_reader(int fd, std::size_t max_line_bytes, engine& target, std::function<void()> on_end);
  /// Stops and joins the thread.
  ~fd_reader();
  fd_reader(const fd_reader&) = delete;
  fd_reader& operator=(const fd_reader&) = delete;

  /// Starts the reader thread.
  void start();
  /// Wakes the reader and joins it; lines not yet handled are dropped. Idempotent.
  void stop();

 private:
  void run();

  int fd_;
  std::size_t max_line_bytes_;
  engine& engine_;
  std::function<void()> on_end_;
  int wake_[2] = {-1, -1};
  std::thread thread_;
};

}  // namespace pons::mcp
