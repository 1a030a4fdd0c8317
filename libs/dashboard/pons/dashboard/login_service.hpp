#pragma once
// Signing in to the dashboard: GET /login (the form), POST /login (a form or JSON with email
// and password; a new session in the pons_session cookie), POST /logout, and GET
// /api/v1/session (who is signed in, and the CSRF token the pages send back). Passwords are
// checked on worker threads (an Argon2id verification takes tens of milliseconds the listener
// must not spend), after the attempt is taken from the per-email and per-address limits.

#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "pons/dashboard/guard.hpp"
#include "pons/dashboard/login_throttle.hpp"
#include "pons/http/server.hpp"
#include "pons/store/error.hpp"
#include "pons/store/session_repository.hpp"

namespace pons::dashboard {

/// Settings of the login routes.
struct login_options {
  std::string db_path;
  login_limits limits;
  store::session_limits sessions;
  /// Password checks at once (each holds 64 MiB while it runs).
  std::size_t hash_workers = 2;
  /// Checks waiting for a worker; one more is answered 503.
  std::size_t hash_queue = 32;
  /// Largest POST /login body, in bytes.
  std::size_t body_limit = 8 * 1024;
  /// How long a check waits for a lock on the database (it runs on the listener's thread).
  int busy_timeout_ms = 250;
};

/// The login routes, the guard they share with the routes to come, and the workers.
class login_service {
 public:
  /// Opens a connection to the database and starts the workers.
  static store::result<std::unique_ptr<login_service>> open(boost::asio::io_context& io,
                                                            login_options options);
  ~login_service();
  login_service(const login_service&) = delete;
  login_service& operator=(const login_service&) = delete;

  /// Registers GET and POST /login, POST /logout and GET /api/v1/session.
  void add_routes(http::router& routes);

  /// The guard other routes use.
  const dashboard::guard& access() const;

  /// The connection the routes share (sessions, users, media lookups).
  std::shared_ptr<locked_database> database() const;

  /// Finishes the checks under way and stops the workers. Idempotent.
  void stop();

 private:
  struct impl;
  explicit login_service(std::shared_ptr<impl> i);
  std::shared_ptr<impl> impl_;
};

}  // namespace pons::dashboard
