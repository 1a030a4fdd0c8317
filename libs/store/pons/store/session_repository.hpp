#pragma once
// Server-side sessions of the dashboard. A session id is 256 random bits handed to the browser
// once, in a cookie; only its SHA-256 is stored, so a copy of the database opens no session.
// Each session carries a CSRF token that every state-changing request must echo.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "pons/store/error.hpp"
#include "pons/store/timestamp.hpp"
#include "pons/store/user_repository.hpp"

namespace pons::store {

class database;

/// How long sessions live.
struct session_limits {
  /// From login, whatever the activity.
  std::chrono::seconds lifetime{std::chrono::hours(12)};
  /// Without a request.
  std::chrono::seconds idle{std::chrono::hours(2)};
};

/// How often at most a session's last-seen time is written (a request does not cost a write).
inline constexpr std::chrono::seconds session_seen_resolution{60};

/// A live session and who it belongs to.
struct dashboard_session {
  std::int64_t id = 0;
  user who;
  std::string csrf_token;  // echoed by every state-changing request
  std::string created_at;
  std::string last_seen_at;
  std::string expires_at;
};

/// A new session and its id: the only time the id exists outside the browser.
struct created_session {
  dashboard_session session;
  std::string secret;  // the cookie value; never log it
};

/// Starts a session for `user_id` (43 base64url characters from libsodium's randombytes). Also
/// deletes the sessions that have expired, so the table stays small without a sweeper.
result<created_session> create_session(database& db, std::int64_t user_id, time_point now,
                                       const session_limits& limits = {});

/// The live session whose id is `secret`: found by the SHA-256 of it, expired, idle and
/// disabled users' sessions excluded (store_errc::not_found). Notes the use at most once a
/// session_seen_resolution.
result<dashboard_session> find_session(database& db, std::string_view secret, time_point now,
                                       const session_limits& limits = {});

/// Ends the session whose id is `secret`; true when there was one.
result<bool> end_session(database& db, std::string_view secret);

/// Sessions stored (expired ones included until the next login sweeps them).
result<std::int64_t> count_sessions(database& db);

/// True when `presented` is `expected`, compared in constant time.
bool same_token(std::string_view expected, std::string_view presented) noexcept;

}  // namespace pons::store
