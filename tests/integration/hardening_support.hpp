#pragma once
// Test support for the hardening suite: unique signed payloads, a keep-alive sender, a restartable
// pons-webhook on a fixed database, and read-only database probes. Header-only.

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/meta/signature.hpp"
#include "support/process_http_client.hpp"
#include "support/process_launcher.hpp"
#include "support/webhook_process.hpp"

namespace pons::test::hardening {

/// An inbound text message object for value.messages[].
inline std::string text_message(const std::string& wamid, const std::string& body,
                                const std::string& from = "16505551234") {
  return R"({"from":")" + from + R"(","id":")" + wamid +
         R"(","timestamp":"1749416383","type":"text","text":{"body":")" + body + R"("}})";
}

/// A status object for value.statuses[].
inline std::string status_item(const std::string& wamid, const std::string& status,
                               const std::string& recipient = "16505551234") {
  return R"({"id":")" + wamid + R"(","status":")" + status +
         R"(","timestamp":"1750263773","recipient_id":")" + recipient + R"("})";
}

/// A one-entry payload for `phone_number_id` holding `messages` and `statuses` (JSON objects,
/// already rendered).
inline std::string payload(const std::vector<std::string>& messages,
                           const std::vector<std::string>& statuses = {},
                           const std::string& phone_number_id = default_phone_number_id,
                           const std::string& from = "16505551234") {
  auto join = [](const std::vector<std::string>& items) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + items[i];
    return out;
  };
  std::string value = R"({"messaging_product":"whatsapp","metadata":{"display_phone_number":)"
                      R"("15550783881","phone_number_id":")" +
                      phone_number_id + R"("})";
  if (!messages.empty()) {
    value += R"(,"contacts":[{"profile":{"name":"Load Test"},"wa_id":")" + from + R"("}])";
    value += R"(,"messages":[)" + join(messages) + "]";
  }
  if (!statuses.empty()) value += R"(,"statuses":[)" + join(statuses) + "]";
  value += "}";
  return R"({"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[)"
         R"({"value":)" +
         value + R"(,"field":"messages"}]}]})";
}

/// A payload of `count` messages whose wamids are "<prefix>.<i>".
inline std::string numbered_payload(const std::string& prefix, int count) {
  std::vector<std::string> messages;
  for (int i = 0; i < count; ++i) {
    std::string wamid = prefix + "." + std::to_string(i);
    messages.push_back(text_message(wamid, "body of " + wamid));
  }
  return payload(messages);
}

/// The headers of a signed webhook POST.
inline std::vector<std::pair<std::string, std::string>> signed_headers(
    const std::string& body, const std::string& secret = default_app_secret) {
  return {{"Content-Type", "application/json"},
          {"X-Hub-Signature-256", meta::sign_body(body, secret)}};
}

/// A minimal SQLite handle for checking what the service wrote: no migrations and no writes, so
/// probing never changes what is measured (opened read-write only so it can recover the WAL of a
/// killed writer).
class db_probe {
 public:
  explicit db_probe(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
      sqlite3_close(db_);
      db_ = nullptr;
    }
    if (db_) sqlite3_busy_timeout(db_, 5000);
  }
  ~db_probe() { sqlite3_close(db_); }
  db_probe(const db_probe&) = delete;
  db_probe& operator=(const db_probe&) = delete;

  bool ok() const { return db_ != nullptr; }

  /// First column of the first row as an integer; -1 on any error.
  std::int64_t integer(const std::string& sql) {
    auto rows = column(sql);
    return rows.empty() ? -1 : std::stoll(rows.front());
  }

  /// The first column of every row as text (NULL as ""); empty on error.
  std::vector<std::string> column(const std::string& sql) {
    std::vector<std::string> out;
    if (!db_) return out;
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) return out;
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(stmt, 0);
      out.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
    }
    sqlite3_finalize(stmt);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

/// pons-webhook on a database that outlives the process, so it can be killed and restarted.
class restartable_webhook {
 public:
  explicit restartable_webhook(const temp_dir& dir, std::vector<std::string> extra_args = {})
      : dir_(dir), extra_args_(std::move(extra_args)) {}

  /// Starts (or restarts) the service; false when it did not start listening.
  bool start() {
    port_ = 0;
    std::string port_file = dir_.file("port");
    ::unlink(port_file.c_str());
    auto env = default_webhook_env();
    env.push_back("HOME=" + dir_.path());
    std::vector<std::string> args{"serve",       "--bind",  "127.0.0.1", "--port",  "0",
                                  "--port-file", port_file, "--db",      db_path(), "--no-media"};
    args.insert(args.end(), extra_args_.begin(), extra_args_.end());
    proc_ = process::start(PONS_WEBHOOK_BIN, args, std::move(env), {}, log_path());
    if (auto p = wait_for_port_file(port_file, proc_)) port_ = *p;
    return port_ != 0;
  }

  /// SIGKILL and reap.
  void kill() {
    proc_.signal(SIGKILL);
    proc_.wait_exit(std::chrono::seconds(10));
  }

  std::uint16_t port() const { return port_; }
  std::string db_path() const { return dir_.file("pons.db"); }
  std::string log_path() const { return dir_.file("stderr.log"); }
  process& proc() { return proc_; }

 private:
  const temp_dir& dir_;
  std::vector<std::string> extra_args_;
  process proc_;
  std::uint16_t port_ = 0;
};

/// GET /health on a fresh connection; the status, or 0 when nothing answered.
inline int health_status(std::uint16_t port) {
  try {
    auto r = http_request(port, "GET", "/health", {}, {}, std::chrono::seconds(10));
    return r ? r->status : 0;
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace pons::test::hardening
