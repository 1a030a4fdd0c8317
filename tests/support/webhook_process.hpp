#pragma once
// Test support: a real pons-webhook on a loopback port with a fresh temporary database, plus
// helpers to post signed payloads and count rows. Header-only; needs PONS_WEBHOOK_BIN.

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pons/meta/signature.hpp"
#include "pons/store/database.hpp"
#include "support/process_http_client.hpp"
#include "support/process_launcher.hpp"

namespace pons::test {

/// The single account the default environment configures.
inline constexpr const char* default_app_secret = "test-app-secret-1";
inline constexpr const char* default_verify_token = "test-verify-token-1";
inline constexpr const char* default_phone_number_id = "106540352242922";

/// Environment for one account (the number of Meta's example payloads).
inline std::vector<std::string> default_webhook_env() {
  return {std::string("WA_APP_SECRET=") + default_app_secret,
          std::string("WA_WEBHOOK_VERIFY_TOKEN=") + default_verify_token,
          std::string("WA_PHONE_NUMBER_ID=") + default_phone_number_id,
          "WA_ACCESS_TOKEN=test-access-token", "WA_WABA_ID=102290129340398"};
}

/// A running pons-webhook; stopped (SIGKILL if needed) and its directory removed on destruction.
class webhook_process {
 public:
  /// Start with `env` (HOME and PONS_DB point into the temp dir) and extra arguments; waits until
  /// it listens. started() is false when it did not. `open_files` sets its RLIMIT_NOFILE; `db`
  /// replaces the database file (a PostgreSQL URL, say).
  explicit webhook_process(std::vector<std::string> env = default_webhook_env(),
                           std::vector<std::string> extra_args = {},
                           std::optional<rlimit> open_files = std::nullopt,
                           std::optional<std::string> db = std::nullopt) {
    db_path_ = db ? *db : dir_.file("data/pons.db");
    err_path_ = dir_.file("stderr.log");
    env.push_back("HOME=" + dir_.path());
    std::vector<std::string> args{"serve",       "--bind",          "127.0.0.1", "--port", "0",
                                  "--port-file", dir_.file("port"), "--db",      db_path_};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    proc_ = process::start(PONS_WEBHOOK_BIN, args, std::move(env), {}, err_path_, open_files);
    if (auto p = wait_for_port_file(dir_.file("port"), proc_)) port_ = *p;
  }

  /// True when the service is listening.
  bool started() const { return port_ != 0; }
  /// The bound port.
  std::uint16_t port() const { return port_; }
  /// The database file.
  const std::string& db_path() const { return db_path_; }
  /// The temp directory (for config files and the like).
  const temp_dir& dir() const { return dir_; }
  /// Everything the service wrote to stderr so far.
  std::string log() const { return read_text_file(err_path_); }
  /// The child process.
  process& proc() { return proc_; }

  /// POST `body` to `target`, signed with `secret` (no signature header when nullopt).
  std::optional<http_response> post(const std::string& body,
                                    std::optional<std::string> secret = default_app_secret,
                                    const std::string& target = "/webhook/meta") {
    std::vector<std::pair<std::string, std::string>> headers{{"Content-Type", "application/json"}};
    if (secret) headers.emplace_back("X-Hub-Signature-256", meta::sign_body(body, *secret));
    return http_request(port_, "POST", target, body, headers);
  }

  /// GET `target`.
  std::optional<http_response> get(const std::string& target) {
    return http_request(port_, "GET", target);
  }

  /// Run a single-integer query against the database (a separate connection).
  std::int64_t count(const std::string& sql) const {
    auto db = store::database::open(db_path_);
    if (!db) return -1;
    auto n = db->query_int64(sql);
    return n ? *n : -1;
  }

 private:
  temp_dir dir_;
  std::string db_path_;
  std::string err_path_;
  process proc_;
  std::uint16_t port_ = 0;
};

/// A fixture payload from tests/fixtures/meta/webhooks/<relative>.
inline std::string webhook_fixture(const std::string& relative) {
  return read_text_file(std::string(PONS_FIXTURES_DIR) + "/meta/webhooks/" + relative);
}

}  // namespace pons::test
