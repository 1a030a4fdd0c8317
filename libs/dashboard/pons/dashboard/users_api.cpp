#include "pons/dashboard/users_api.hpp"

#include <fmt/format.h>
#include <sodium.h>

#include <boost/json/array.hpp>
#include <chrono>
#include <optional>

#include "pons/dashboard/answers.hpp"
#include "pons/dashboard/json_body.hpp"
#include "pons/dashboard/worker_call.hpp"
#include "pons/store/password_hash.hpp"
#include "pons/store/user_repository.hpp"

namespace pons::dashboard {

namespace net = boost::asio;
namespace json = boost::json;

namespace {

struct users_context {
  const guard& access;
  std::shared_ptr<locked_database> db;
  mcp::worker_pool& workers;
};

json::object user_json(const store::user& u) {
  return json::object{{"id", u.id},
                      {"email", u.email},
                      {"role", store::to_string(u.role)},
                      {"account", text_or_null(u.waba_id)},
                      {"createdAt", u.created_at},
                      {"lastLoginAt", text_or_null(u.last_login_at)},
                      {"disabled", !u.disabled_at.empty()}};
}

http::server_response user_problem(const boost::system::error_code& ec) {
  using store::user_errc;
  if (ec == user_errc::invalid_email) return json_error(400, "email: not an address Pons accepts");
  if (ec == user_errc::invalid_role) return json_error(400, "role: owner, admin or member");
  if (ec == user_errc::unacceptable_password)
    return json_error(400, "password: 12 to 1024 characters, no control characters");
  if (ec == user_errc::exists) return json_error(409, "a user with this email exists already");
  if (ec == user_errc::not_found) return json_error(404, "no user has this email");
  if (ec == user_errc::unknown_account)
    return json_error(400, "account: no account with this WABA id is recorded here");
  return json_error(503, "the database cannot answer just now: try again shortly");
}

net::awaitable<http::server_response> list(users_context& c, http::server_request& req) {
  auto verdict = c.access.require_user(req, store::user_role::owner);
  if (verdict.status != 0) co_return from_verdict(verdict);
  std::lock_guard lock(c.db->mutex);
  auto users = store::list_users(c.db->db);
  if (!users) co_return user_problem(users.error());
  json::array out;
  for (const auto& u : *users) out.push_back(user_json(u));
  co_return json_answer(200, json::object{{"users", std::move(out)}});
}

net::awaitable<http::server_response> add(users_context& c, http::server_request& req) {
  auto verdict = c.access.require_user(req, store::user_role::owner);
  if (verdict.status != 0) co_return from_verdict(verdict);
  auto body = json_object_body(req);
  sodium_memzero(req.body.data(), req.body.size());
  if (!body) co_return json_error(400, "send {\"email\", \"role\", \"password\"} as JSON");
  store::user_spec spec;
  spec.email = text_field(*body, "email");
  auto role = store::parse_user_role(text_field(*body, "role"));
  if (!role) co_return user_problem(store::user_errc::invalid_role);
  spec.role = *role;
  spec.waba_id = text_field(*body, "account");
  std::string password = text_field(*body, "password");
  if (!store::acceptable_password(password)) {
    sodium_memzero(password.data(), password.size());
    co_return user_problem(store::user_errc::unacceptable_password);
  }
  // Hashed on a worker without the database's lock: the listener checks sessions meanwhile.
  auto job = [password = std::move(password)]() mutable {
    auto hash = store::hash_password(password);
    sodium_memzero(password.data(), password.size());
    return hash;
  };
  auto hashed = co_await on_worker(c.workers, std::move(job));
  if (!hashed) co_return json_error(503, "Pons is busy: try again in a moment");
  if (!*hashed) co_return json_error(503, "the password could not be hashed: try again");
  std::unique_lock lock(c.db->mutex);
  auto made =
      store::create_user_with_hash(c.db->db, spec, **hashed, std::chrono::system_clock::now());
  lock.unlock();
  if (!made) co_return user_problem(made.error());
  auto r = json_answer(201, json::object{{"user", user_json(*made)}});
  r.log_note = fmt::format("user_added=user:{} principal={}", made->id, verdict.who.label());
  co_return r;
}

// An owner acting on their own account: refused, so that one way in always stays.
bool is_self(const principal& who, const std::string& email) {
  return store::email_key(email) == store::email_key(who.email);
}

net::awaitable<http::server_response> disable(users_context& c, http::server_request& req) {
  auto verdict = c.access.require_user(req, store::user_role::owner);
  if (verdict.status != 0) co_return from_verdict(verdict);
  auto body = json_object_body(req);
  const auto* flag = body ? body->if_contains("disabled") : nullptr;
  if (!flag || !flag->is_bool()) co_return json_error(400, "send {\"email\", \"disabled\": true}");
  const auto email = text_field(*body, "email");
  if (is_self(verdict.who, email))
    co_return json_error(400, "you cannot disable yourself: another owner can");
  std::lock_guard lock(c.db->mutex);
  auto changed =
      store::set_user_disabled(c.db->db, email, flag->get_bool(), std::chrono::system_clock::now());
  if (!changed) co_return user_problem(changed.error());
  co_return json_answer(200, json::object{{"user", user_json(*changed)}});
}

net::awaitable<http::server_response> change_role(users_context& c, http::server_request& req) {
  auto verdict = c.access.require_user(req, store::user_role::owner);
  if (verdict.status != 0) co_return from_verdict(verdict);
  auto body = json_object_body(req);
  if (!body) co_return json_error(400, "send {\"email\", \"role\"}");
  const auto email = text_field(*body, "email");
  auto role = store::parse_user_role(text_field(*body, "role"));
  if (!role) co_return user_problem(store::user_errc::invalid_role);
  // Stepping down is for another owner to do: a Pons keeps an owner.
  if (is_self(verdict.who, email))
    co_return json_error(400, "you cannot change your own role: another owner can");
  std::lock_guard lock(c.db->mutex);
  auto changed = store::set_user_role(c.db->db, email, *role);
  if (!changed) co_return user_problem(changed.error());
  co_return json_answer(200, json::object{{"user", user_json(*changed)}});
}

net::awaitable<http::server_response> remove(users_context& c, http::server_request& req) {
  auto verdict = c.access.require_user(req, store::user_role::owner);
  if (verdict.status != 0) co_return from_verdict(verdict);
  auto body = json_object_body(req);
  if (!body) co_return json_error(400, "send {\"email\"}");
  const auto email = text_field(*body, "email");
  if (is_self(verdict.who, email))
    co_return json_error(400, "you cannot remove yourself: another owner can");
  std::lock_guard lock(c.db->mutex);
  auto removed = store::remove_user(c.db->db, email);
  if (!removed) co_return user_problem(removed.error());
  co_return json_answer(200, json::object{{"removed", user_json(*removed)}});
}

}  // namespace

void add_users_routes(http::router& routes, const guard& access,
                      std::shared_ptr<locked_database> db, mcp::worker_pool& workers) {
  auto c = std::make_shared<users_context>(users_context{access, std::move(db), workers});
  routes.add("GET", "/api/v1/users", [c](http::server_request& r) { return list(*c, r); });
  routes.add("POST", "/api/v1/users", [c](http::server_request& r) { return add(*c, r); });
  routes.add("POST", "/api/v1/users/disable",
             [c](http::server_request& r) { return disable(*c, r); });
  routes.add("POST", "/api/v1/users/role",
             [c](http::server_request& r) { return change_role(*c, r); });
  routes.add("POST", "/api/v1/users/remove",
             [c](http::server_request& r) { return remove(*c, r); });
}

}  // namespace pons::dashboard
