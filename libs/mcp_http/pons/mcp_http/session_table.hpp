#pragma once
// Which MCP sessions exist, whose they are, when each was last used and whether one is busy (a
// request or a stream open): the bounded bookkeeping of the Streamable HTTP transport. Pure: the
// caller passes the time in, and closes what the table says to close.

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
  // Sessions of one principal (an API key) at once, so that one key cannot take every session.
  std::size_t max_per_principal = 16;
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
    bool principal_full = false;       // refused: every session of the principal is busy
    std::optional<std::string> evict;  // close this idle session first (already removed)
  };
  /// Adds `id` of `principal` at `now`. A principal at its limit gives up its own session idle
  /// longest (not busy), else is refused; a full table gives up the session idle longest of
  /// anyone's, else refuses.
  admission add(std::string id, std::string_view principal, time_point now);

  /// Sessions of `principal`.
  std::size_t count_of(std::string_view principal) const;

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
    std::string principal;
    time_point last_used;
    std::size_t busy = 0;
  };
  using entries = std::map<std::string, entry, std::less<>>;
  // The idle session unused longest, of `principal` only when given; end() when all are busy.
  entries::iterator oldest_idle(const std::string_view* principal);

  session_limits limits_;
  entries entries_;
};

}  // namespace pons::mcp_http
