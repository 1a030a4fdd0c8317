#pragma once
// The events of one SSE stream of /mcp: those waiting to be written and, for a stream a client
// may resume, the last ones written. A client that reconnects with Last-Event-ID gets again what
// was written after the event it names (it may have been lost with the connection), then the
// rest. Pure: no I/O, no clock.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

namespace pons::mcp_http {

/// An SSE event id: which stream of the session, and which event of it.
struct event_id {
  std::uint64_t stream = 0;
  std::uint64_t seq = 0;  // 1 for the first event; 0 names the stream's start (priming event)

  /// "<stream>-<seq>", unique among the streams of one session.
  std::string text() const;
  /// Reads what text() wrote; nullopt for anything else.
  static std::optional<event_id> parse(std::string_view text);
};

class stream_events {
 public:
  /// `keep_written`: how many written events stay for a resumption (0: not resumable).
  explicit stream_events(std::size_t keep_written = 0) : keep_(keep_written) {}

  /// Queues a message at the end.
  void push(std::string message) { queue_.push_back(std::move(message)); }

  bool empty() const { return queue_.empty(); }
  std::size_t size() const { return queue_.size(); }

  /// The next message to write (not empty()).
  std::string& front() { return queue_.front(); }
  /// The sequence number of front().
  std::uint64_t front_seq() const { return written_ + 1; }

  /// front() went out: it leaves the queue and is kept for a resumption.
  void pop_written();

  /// Puts the events written after `last_received` back at the front of the queue, so they go
  /// out again. False, changing nothing, when some of them are no longer kept or
  /// `last_received` was never written.
  bool rewind(std::uint64_t last_received);

 private:
  std::deque<std::string> queue_;
  std::deque<std::string> kept_;  // the last written, oldest first; kept_.back() is written_
  std::uint64_t written_ = 0;
  std::size_t keep_;
};

}  // namespace pons::mcp_http
