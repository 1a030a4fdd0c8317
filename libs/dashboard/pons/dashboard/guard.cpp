#include "pons/dashboard/guard.hpp"

#include <fmt/format.h>

#include <boost/url/grammar/ci_string.hpp>
#include <chrono>

#include "pons/auth/bearer.hpp"
#include "pons/dashboard/cookie.hpp"
#include "pons/dashboard/request_origin.hpp"
#include "pons/http/query.hpp"
#include "pons/store/api_key_repository.hpp"

namespace pons::dashboard {

namespace {

// ASCII case-insensitive equality (header names, media types).
using boost::urls::grammar::ci_is_equal;

guard_verdict refused(int status, std::string message) {
  guard_verdict v;
  v.status = status;
  v.message = std::move(message);
  if (status == 401) v.headers.emplace_back("WWW-Authenticate", "Bearer");
  if (status == 503) v.headers.emplace_back("Retry-After", "1");
  return v;
}

bool is_form(const http::server_request& req) {
  auto type = req.header("Content-Type");
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  return ci_is_equal(type, "application/x-www-form-urlencoded");
}

}  // namespace

std::string principal::label() const {
  return fmt::format("{}:{}", how == via::session ? "user" : "key", id);
}

bool changes_state(std::string_view method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

std::string presented_csrf_token(const http::server_request& req) {
  if (req.has_header("X-CSRF-Token")) return std::string(req.header("X-CSRF-Token"));
  if (is_form(req)) return http::query_param(req.body, "csrf_token").value_or(std::string());
  return {};
}

guard::guard(std::shared_ptr<locked_database> db, store::session_limits limits)
    : db_(std::move(db)), limits_(limits) {}

guard_verdict guard::check(const http::server_request& req) const {
  std::vector<std::string_view> authorization;
  for (const auto& [name, value] : req.headers) {
    if (ci_is_equal(name, "Authorization")) authorization.push_back(value);
  }
  if (!authorization.empty()) {
    auto presented = auth::parse_authorization(authorization);
    if (presented.status != auth::bearer_status::present) {
      return refused(401, "send one Authorization: Bearer header with the whole API key");
    }
    return by_key(presented.token);
  }
  auto secret = cookie_value(req, session_cookie_name);
  if (!secret) return refused(401, "sign in first: POST /login, or send an API key");
  return by_session(req, *secret);
}

guard_verdict guard::require(const http::server_request& req, store::user_role needed) const {
  auto v = check(req);
  if (v.status != 0 || v.who.may(needed)) return v;
  return refused(403, fmt::format("this needs the {} role or higher; an owner can change roles",
                                  store::to_string(needed)));
}

guard_verdict guard::require_user(const http::server_request& req, store::user_role needed) const {
  auto v = require(req, needed);
  if (v.status != 0 || v.who.how == principal::via::session) return v;
  return refused(403, "only a signed-in user may do this, not an API key");
}

guard_verdict guard::by_key(std::string_view token) const {
  const auto now = std::chrono::system_clock::now();
  std::unique_lock lock(db_->mutex);
  auto key = store::verify_api_key(db_->db, token, now);
  if (!key) {
    if (key.error().category() == store::api_key_category()) {
      return refused(401, key.error().message());
    }
    return refused(503, "the API key could not be checked just now: try again shortly");
  }
  (void)store::note_api_key_use(db_->db, *key, now);
  lock.unlock();
  guard_verdict v;
  v.who.how = principal::via::api_key;
  v.who.id = key->id;
  // A key is a script's, not a person's: it reads (and sends with the send scope) like a
  // member, and manages nothing.
  v.who.role = store::user_role::member;
  v.who.waba_id = key->waba_id;
  v.who.can_send = key->has_scope(store::send_scope);
  return v;
}

guard_verdict guard::by_session(const http::server_request& req, std::string_view secret) const {
  const auto now = std::chrono::system_clock::now();
  std::unique_lock lock(db_->mutex);
  auto session = store::find_session(db_->db, secret, now, limits_);
  lock.unlock();
  if (!session) {
    if (session.error() == store::store_errc::not_found) {
      return refused(401, "this session has ended: sign in again");
    }
    return refused(503, "the session could not be checked just now: try again shortly");
  }
  if (changes_state(req.method)) {
    if (!same_origin_or_none(req)) {
      return refused(403, "this request came from another site's page and was refused");
    }
    if (!store::same_token(session->csrf_token, presented_csrf_token(req))) {
      return refused(403,
                     "this request needs the session's CSRF token in the X-CSRF-Token header "
                     "(or the csrf_token form field); GET /api/v1/session gives it");
    }
  }
  guard_verdict v;
  v.who.how = principal::via::session;
  v.who.id = session->who.id;
  v.who.email = session->who.email;
  v.who.role = session->who.role;
  v.who.waba_id = session->who.waba_id;
  v.who.csrf_token = session->csrf_token;
  v.who.can_send = true;
  return v;
}

}  // namespace pons::dashboard
