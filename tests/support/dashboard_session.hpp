#pragma once
// Test support: a real pons-webhook serving the dashboard, users made with the real
// `pons-webhook users` command, and signed-in requests. Header-only; needs PONS_WEBHOOK_BIN.

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "support/command_run.hpp"
#include "support/webhook_process.hpp"

namespace pons::test {

using header_list = std::vector<std::pair<std::string, std::string>>;

// `pons-webhook users ARGS...` on `db`, with `password_line` on its stdin from a file (never
// on a command line).
inline command_result users(const pons::test::temp_dir& dir, const std::string& db,
                            const std::vector<std::string>& args,
                            const std::string& password_line = {}) {
  static int counter = 0;
  const auto scratch = dir.file("scratch");
  std::filesystem::create_directories(scratch);
  const auto input = scratch + "/stdin-" + std::to_string(++counter);
  std::ofstream(input) << password_line;
  std::vector<std::string> sh{
      "-c", "f=$1; shift; exec \"$@\" < \"$f\"", "sh", input, PONS_WEBHOOK_BIN, "users"};
  sh.insert(sh.end(), args.begin(), args.end());
  return run_command("/bin/sh", sh, {"PONS_DB=" + db}, dir.path(), scratch,
                     std::chrono::seconds(30));
}

// A pons-webhook serving the dashboard (and `extra` arguments), with helpers to sign in.
struct dashboard {
  webhook_process svc;

  explicit dashboard(std::vector<std::string> extra = {},
                     std::vector<std::string> env = default_webhook_env())
      : svc(std::move(env), with_dashboard(std::move(extra))) {
    REQUIRE(svc.started());
  }

  static std::vector<std::string> with_dashboard(std::vector<std::string> extra) {
    extra.insert(extra.begin(), "--dashboard");
    return extra;
  }

  void add_user(const std::string& email, const std::string& role, const std::string& password) {
    auto r = users(svc.dir(), svc.db_path(), {"add", email, "--role", role}, password + "\n");
    INFO(r.err);
    REQUIRE(r.code == 0);
  }

  std::optional<http_response> login(const std::string& email, const std::string& password,
                                     header_list extra = {}) {
    boost::json::object o{{"email", email}, {"password", password}};
    extra.emplace_back("Content-Type", "application/json");
    return http_request(svc.port(), "POST", "/login", boost::json::serialize(o), extra);
  }

  // Adds `email` with `role` and signs in: the login's answer, with the session cookie and the
  // CSRF token.
  http_response signed_in(const std::string& email, const std::string& role,
                          const std::string& password) {
    add_user(email, role, password);
    auto r = login(email, password);
    REQUIRE(r);
    REQUIRE(r->status == 200);
    return *r;
  }

  /// A signed-in user's cookie and CSRF token.
  struct session {
    std::string cookie;
    std::string csrf;
  };

  /// Adds `email` with `role` and signs in.
  session sign_in(const std::string& email, const std::string& role,
                  const std::string& password = "a long enough password") {
    auto r = signed_in(email, role, password);
    return {r.header("set-cookie").substr(0, r.header("set-cookie").find(';')),
            std::string(boost::json::parse(r.body).at("csrfToken").as_string())};
  }

  /// Adds `email` with `role` limited to the account `waba_id` and signs in.
  session sign_in_to_account(const std::string& email, const std::string& role,
                             const std::string& waba_id,
                             const std::string& password = "a long enough password") {
    auto added = users(svc.dir(), svc.db_path(),
                       {"add", email, "--role", role, "--account", waba_id}, password + "\n");
    INFO(added.err);
    REQUIRE(added.code == 0);
    auto r = login(email, password);
    REQUIRE(r);
    REQUIRE(r->status == 200);
    return {r->header("set-cookie").substr(0, r->header("set-cookie").find(';')),
            std::string(boost::json::parse(r->body).at("csrfToken").as_string())};
  }

  /// POST of a JSON body as `s`, with its CSRF token.
  std::optional<http_response> post_json(const session& s, const std::string& target,
                                         const std::string& body) {
    return request("POST", target, s.cookie,
                   {{"Content-Type", "application/json"}, {"X-CSRF-Token", s.csrf}}, body);
  }

  std::optional<http_response> request(const std::string& method, const std::string& target,
                                       const std::string& cookie, header_list extra = {},
                                       const std::string& body = {}) {
    if (!cookie.empty()) extra.emplace_back("Cookie", cookie);
    return http_request(svc.port(), method, target, body, extra);
  }
};

// "pons_session=VALUE" from a Set-Cookie value.
inline std::string cookie_pair(const std::string& set_cookie) {
  return set_cookie.substr(0, set_cookie.find(';'));
}

// The status of an answer that must have come.
inline int status_of(const std::optional<http_response>& r) {
  REQUIRE(r);
  return r->status;
}

inline std::string csrf_of(const http_response& r) {
  return std::string(boost::json::parse(r.body).at("csrfToken").as_string());
}

}  // namespace pons::test
