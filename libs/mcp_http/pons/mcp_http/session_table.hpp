#pragma once
// Which MCP sessions exist, when each was last used and whether one is busy (a request or a
// stream open): the bounded bookkeeping of the Streamable HTTP transport. Pure: the caller
// passes the time in, and closes what the table says to close.

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pons::mcp_http {

/// Limits of the session table.
struct session_limits {
  std::size_t max_sessions = 64;
  std::chrono::milliseconds idle_timeout{30 * 60 * 1000};  // unused this long: closed
};

/// Session ids with their last use and busy count.
class session_table {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  /// A table with `limits`.
  explicit session_table(session_limits limits) : limits_(limits) {}

  /// What add() decided.
  struct admission {
    bool admitted = false;
    std::optional<std::string> evict;  // close this idle session first (already removed)
  };
  /// Adds `id` at `now`. When the table is full, the session idle longest (not busy) makes room;
  /// when every session is busy, the new one is refused.
  admission add(std::string id, time_point now);

  /// True when `id` is in the table.
  bool contains(std::string_view id) const;

  /// Marks `id` used at `now` and busy once more (a request or a stream). False when unknown.
  bool acquire(std::string_view id, time_point now);
  /// Ends one acquire() of `id` at `now` (unknown ids are ignored).
  void release(std::string_view id, time_point now);

  /// Removes `id`; false when it was not there.
  bool remove(std::string_view id);

  /// Removes and returns the sessions not busy and unused for idle_timeout at `now`.
  std::vector<std::string> expire(time_point now);

  /// Number of sessions.
  std::size_t size() const { return entries_.size(); }
  /// The limits in force.
  const session_limits& limits() const { return limits_; }

 private:
  struct entry {
    time_point last_used;
    std::size_t busy = 0;
  };
  session_limits limits_;
  std::map<std::string, entry, std::less<>> entries_;
};

}  // namespace pons::mcp_http
