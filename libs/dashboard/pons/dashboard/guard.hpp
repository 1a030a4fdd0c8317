#pragma once
// The route guard of the dashboard and its JSON API: a request is let through with a session
// (the pons_session cookie) or an API key (Authorization: Bearer), and yields who is asking:
// their role and the account they see. A state-changing request made with a session must come
// from this site and carry the session's CSRF token (header X-CSRF-Token or form field
// csrf_token). An API key needs no CSRF token: a browser never adds it on its own.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "pons/dashboard/locked_database.hpp"
#include "pons/http/server.hpp"
#include "pons/store/session_repository.hpp"
#include "pons/store/user_repository.hpp"

namespace pons::dashboard {

/// Who a request comes from.
struct principal {
  enum class via { session, api_key };
  via how = via::session;
  std::int64_t id = 0;  // the user's id, or the key's
  std::string email;    // a session's user; empty for a key
  store::user_role role = store::user_role::member;
  std::string waba_id;     // the one account they see; "" = every account
  std::string csrf_token;  // a session's token; empty for a key
  bool can_send = false;   // a session's user, or a key with the send scope

  /// True when the role has at least what `needed` has.
  bool may(store::user_role needed) const { return role <= needed; }
  /// "user:3" or "key:7", for log lines.
  std::string label() const;
};

/// The guard's verdict: a principal, or a refusal to answer as is.
struct guard_verdict {
  int status = 0;  // 0: allowed; else 401, 403 or 503
  principal who;
  std::vector<http::header_field> headers;  // WWW-Authenticate, Retry-After
  std::string message;                      // why, for the answer; never a secret
};

/// True for methods that change state (anything but GET, HEAD and OPTIONS).
bool changes_state(std::string_view method);

/// The CSRF token a request carries: its X-CSRF-Token field, else a urlencoded form's
/// csrf_token field; empty when neither.
std::string presented_csrf_token(const http::server_request& req);

/// Checks sessions and API keys against the database.
class guard {
 public:
  guard(std::shared_ptr<locked_database> db, store::session_limits limits);

  /// Who sent `req`, or why not: 401 without a live session or a valid key, 403 for a
  /// state-changing request with a session but from another site or without its CSRF token,
  /// 503 when the store cannot answer.
  guard_verdict check(const http::server_request& req) const;

  /// As check(), then 403 unless the principal's role has at least `needed`.
  guard_verdict require(const http::server_request& req, store::user_role needed) const;

  /// As require(), then 403 for an API key: what people manage (keys, users, the webhook log)
  /// is managed by a signed-in user.
  guard_verdict require_user(const http::server_request& req, store::user_role needed) const;

 private:
  guard_verdict by_key(std::string_view token) const;
  guard_verdict by_session(const http::server_request& req, std::string_view secret) const;

  std::shared_ptr<locked_database> db_;
  store::session_limits limits_;
};

}  // namespace pons::dashboard
