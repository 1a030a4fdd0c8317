#include "pons/dashboard/login_service.hpp"

#include <fmt/format.h>
#include <sodium.h>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <chrono>
#include <optional>

#include "pons/dashboard/answers.hpp"
#include "pons/dashboard/cookie.hpp"
#include "pons/dashboard/login_page.hpp"
#include "pons/dashboard/request_origin.hpp"
#include "pons/dashboard/worker_call.hpp"
#include "pons/http/media_type.hpp"
#include "pons/http/query.hpp"
#include "pons/mcp/worker_pool.hpp"
#include "pons/store/password_hash.hpp"
#include "pons/store/user_repository.hpp"

namespace pons::dashboard {

namespace net = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::string_view wrong_credentials = "Wrong email or password.";

enum class body_kind { form, json, other };

body_kind kind_of(const http::server_request& req) {
  const auto type = req.header("Content-Type");
  if (http::has_media_type(type, "application/x-www-form-urlencoded")) return body_kind::form;
  if (http::has_media_type(type, "application/json")) return body_kind::json;
  return body_kind::other;
}

// An error in the form the request was sent in: the login page for a form, JSON otherwise.
http::server_response refusal(body_kind kind, int status, std::string_view message,
                              std::string_view next = {}) {
  if (kind == body_kind::form) return html_answer(status, login_page(message, next));
  return json_answer(status, json::object{{"error", message}});
}

// What a password check on a worker found.
struct login_outcome {
  enum class verdict { signed_in, wrong, disabled, store_failed } what = verdict::wrong;
  store::created_session session;
};

}  // namespace

struct login_service::impl : std::enable_shared_from_this<impl> {
  impl(net::io_context& i, login_options o, std::shared_ptr<locked_database> d)
      : io(i),
        options(std::move(o)),
        db(std::move(d)),
        access(db, options.sessions),
        throttle(options.limits),
        workers(options.hash_workers, options.hash_queue) {}

  net::io_context& io;
  login_options options;
  std::shared_ptr<locked_database> db;
  dashboard::guard access;
  login_throttle throttle;
  mcp::worker_pool workers;

  // Runs on a worker: the same work, and nearly the same time, for an unknown email as for a
  // wrong password, so neither the answer nor its delay tells them apart.
  login_outcome check(const std::string& email, const std::string& password) {
    login_outcome out;
    store::result<store::user_credentials> found = store::user_errc::not_found;
    {
      std::lock_guard lock(db->mutex);
      found = store::find_credentials(db->db, email);
    }
    if (!found) {
      if (found.error() != store::user_errc::not_found) {
        out.what = login_outcome::verdict::store_failed;
        return out;
      }
      store::verify_password_of_nobody(password);
      return out;
    }
    if (!store::verify_password(found->password_hash, password)) return out;
    // Only the holder of the password learns that the user is disabled.
    if (!found->who.disabled_at.empty()) {
      out.what = login_outcome::verdict::disabled;
      return out;
    }
    const auto now = std::chrono::system_clock::now();
    std::lock_guard lock(db->mutex);
    auto made = store::create_session(db->db, found->who.id, now, options.sessions);
    if (!made) {
      out.what = login_outcome::verdict::store_failed;
      return out;
    }
    (void)store::note_user_login(db->db, found->who.id, now);
    out.what = login_outcome::verdict::signed_in;
    out.session = std::move(*made);
    return out;
  }

  // Hands the check to a worker; nullopt when every worker is busy and the queue is full.
  net::awaitable<std::optional<login_outcome>> check_on_worker(std::string email,
                                                               std::string password) {
    // A named job, moved in: GCC 12 destroys a lambda written as a coroutine's argument twice.
    auto job = [self = shared_from_this(), email = std::move(email),
                password = std::move(password)]() mutable {
      auto outcome = self->check(email, password);
      sodium_memzero(password.data(), password.size());
      return outcome;
    };
    co_return co_await on_worker(workers, std::move(job));
  }

  net::awaitable<http::server_response> get_login(http::server_request& req) {
    co_return html_answer(
        200, login_page({}, return_path(http::query_param(req.query, "next").value_or(""))));
  }

  net::awaitable<http::server_response> post_login(http::server_request& req) {
    const auto kind = kind_of(req);
    if (kind == body_kind::other) {
      co_return json_answer(415, json::object{{"error",
                                               "send the email and password as a form "
                                               "(application/x-www-form-urlencoded) or as JSON"}});
    }
    if (req.body.size() > options.body_limit) {
      co_return refusal(kind, 413, "The sign-in request is too large.");
    }
    if (!same_origin_or_none(req)) {
      co_return refusal(kind, 403, "This sign-in came from another site's page and was refused.");
    }
    std::string email;
    std::string password;
    // Where a form sign-in goes on to: the page that sent the visitor here (an OAuth consent
    // page), else the inbox.
    std::string next;
    if (kind == body_kind::form) {
      next = return_path(http::query_param(req.body, "next").value_or(""));
      email = http::query_param(req.body, "email").value_or(std::string());
      password = http::query_param(req.body, "password").value_or(std::string());
    } else {
      boost::system::error_code ec;
      auto v = json::parse(req.body, ec);
      const auto* o = ec ? nullptr : v.if_object();
      const auto* e = o ? o->if_contains("email") : nullptr;
      const auto* p = o ? o->if_contains("password") : nullptr;
      if (e && e->is_string()) email = std::string(e->as_string());
      if (p && p->is_string()) password = std::string(p->as_string());
    }
    sodium_memzero(req.body.data(), req.body.size());
    if (email.empty() || password.empty() || email.size() > 254 ||
        password.size() > store::max_password_size) {
      co_return refusal(kind, 400, "Enter your email and password.", next);
    }
    auto rate = throttle.take(store::email_key(email), throttle_address(req.peer_address),
                              auth::bucket_clock::now());
    if (!rate.allowed) {
      auto r = refusal(
          kind, 429,
          fmt::format("Too many sign-in attempts: try again in {} s.", rate.retry_after.count()));
      r.headers.emplace_back("Retry-After", std::to_string(rate.retry_after.count()));
      r.log_note = "login=throttled";
      co_return r;
    }
    auto outcome = co_await check_on_worker(std::move(email), std::move(password));
    if (!outcome || outcome->what == login_outcome::verdict::store_failed) {
      auto r = refusal(kind, 503, "Signing in is not possible just now: try again shortly.", next);
      r.headers.emplace_back("Retry-After", "1");
      co_return r;
    }
    if (outcome->what == login_outcome::verdict::wrong) {
      auto r = refusal(kind, 401, wrong_credentials, next);
      r.log_note = "login=refused";
      co_return r;
    }
    if (outcome->what == login_outcome::verdict::disabled) {
      auto r = refusal(kind, 403, "This user is disabled: ask an owner of this Pons.", next);
      r.log_note = "login=disabled";
      co_return r;
    }
    // The session the browser had, if any, ends: one browser, one session.
    if (auto previous = cookie_value(req, session_cookie_name)) {
      std::lock_guard lock(db->mutex);
      (void)store::end_session(db->db, *previous);
    }
    const auto& s = outcome->session.session;
    const auto role = std::string(store::to_string(s.who.role));
    // A form goes on to the inbox; JSON gets who signed in and the CSRF token.
    auto r = kind == body_kind::form
                 ? html_answer(303, "<p><a href=\"/\">Continue</a></p>\n")
                 : json_answer(200, json::object{{"email", s.who.email},
                                                 {"role", role},
                                                 {"account", s.who.waba_id.empty()
                                                                 ? json::value(nullptr)
                                                                 : json::value(s.who.waba_id)},
                                                 {"csrfToken", s.csrf_token}});
    if (kind == body_kind::form) r.headers.emplace_back("Location", next.empty() ? "/" : next);
    r.headers.emplace_back(
        "Set-Cookie", session_cookie(outcome->session.secret, options.sessions.lifetime.count(),
                                     came_over_https(req)));
    r.log_note = fmt::format("login=ok principal=user:{}", s.who.id);
    co_return r;
  }

  net::awaitable<http::server_response> post_logout(http::server_request& req) {
    auto v = access.check(req);
    if (v.status != 0) co_return from_verdict(v);
    if (v.who.how != principal::via::session) {
      co_return json_answer(400, json::object{{"error", "an API key has no session to end"}});
    }
    auto secret = cookie_value(req, session_cookie_name).value_or(std::string());
    {
      std::lock_guard lock(db->mutex);
      if (auto ended = store::end_session(db->db, secret); !ended) {
        auto r = json_answer(503, json::object{{"error", "try again shortly"}});
        r.headers.emplace_back("Retry-After", "1");
        co_return r;
      }
    }
    http::server_response r;
    if (kind_of(req) == body_kind::form) {
      r = html_answer(303, login_page("You have signed out."));
      r.headers.emplace_back("Location", "/login");
    } else {
      r = json_answer(200, json::object{{"signedOut", true}});
    }
    r.headers.emplace_back("Set-Cookie", cleared_session_cookie(came_over_https(req)));
    r.log_note = "logout=ok principal=" + v.who.label();
    co_return r;
  }

  net::awaitable<http::server_response> get_session(http::server_request& req) {
    auto v = access.check(req);
    if (v.status != 0) co_return from_verdict(v);
    json::object o{
        {"via", v.who.how == principal::via::session ? "session" : "api_key"},
        {"role", store::to_string(v.who.role)},
        {"account", v.who.waba_id.empty() ? json::value(nullptr) : json::value(v.who.waba_id)},
        {"canSend", v.who.can_send}};
    if (v.who.how == principal::via::session) {
      o["email"] = v.who.email;
      o["csrfToken"] = v.who.csrf_token;
    }
    co_return json_answer(200, o);
  }
};

login_service::login_service(std::shared_ptr<impl> i) : impl_(std::move(i)) {}

login_service::~login_service() {
  stop();
}

store::result<std::unique_ptr<login_service>> login_service::open(net::io_context& io,
                                                                  login_options options) {
  store::open_options oo;
  oo.busy_timeout_ms = options.busy_timeout_ms;
  auto db = store::database::open(options.db_path, oo);
  if (!db) return db.error();
  // Its writes are sessions and last logins: a power cut that loses one signs someone out.
  if (auto r = db->relax_durability(); !r) return r.error();
  auto shared = std::make_shared<locked_database>(std::move(*db));
  auto i = std::make_shared<impl>(io, std::move(options), std::move(shared));
  return std::unique_ptr<login_service>(new login_service(std::move(i)));
}

void login_service::add_routes(http::router& routes) {
  auto i = impl_;
  routes.add("GET", "/login", [i](http::server_request& r) { return i->get_login(r); });
  routes.add("POST", "/login", [i](http::server_request& r) { return i->post_login(r); });
  routes.add("POST", "/logout", [i](http::server_request& r) { return i->post_logout(r); });
  routes.add("GET", "/api/v1/session", [i](http::server_request& r) { return i->get_session(r); });
}

const dashboard::guard& login_service::access() const {
  return impl_->access;
}

std::shared_ptr<locked_database> login_service::database() const {
  return impl_->db;
}

void login_service::stop() {
  impl_->workers.stop();
}

}  // namespace pons::dashboard
