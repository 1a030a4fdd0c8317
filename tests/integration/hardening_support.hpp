#pragma once
// Test support for the hardening suite: unique signed payloads, a keep-alive sender, a restartable
// pons-webhook on a fixed database, and read-only database probes. Header-only.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "pons/meta/signature.hpp"
#include "support/process_http_client.hpp"
#include "support/process_launcher.hpp"
#include "support/webhook_payloads.hpp"
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
  return test::webhook_payload_json(
      {{"102290129340398",
        {test::messages_change_json(phone_number_id, messages, statuses, from, "Load Test")}}});
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

/// pons-mcp on a pair of pipes: the test writes JSON-RPC lines to its stdin and reads its stdout.
class mcp_session {
 public:
  /// Starts `PONS_MCP_BIN args` with exactly `env`; stderr goes to `err_path`.
  mcp_session(const std::vector<std::string>& args, std::vector<std::string> env,
              const std::string& err_path) {
    int in[2], out[2];
    if (::pipe(in) != 0 || ::pipe(out) != 0) return;
    env.push_back("PATH=/usr/local/bin:/usr/bin:/bin");
    std::vector<std::string> argv_s{PONS_MCP_BIN};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv, envp;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      ::dup2(in[0], 0);
      ::dup2(out[1], 1);
      ::dup2(err, 2);
      ::close(in[1]);
      ::close(out[0]);
      ::execve(argv[0], argv.data(), envp.data());
      ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    to_ = in[1];
    from_ = out[0];
  }
  ~mcp_session() {
    close_input();
    if (from_ >= 0) ::close(from_);
    if (pid_ > 0) {
      for (int i = 0; i < 500 && ::waitpid(pid_, &status_, WNOHANG) == 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status_, 0);
    }
  }
  mcp_session(const mcp_session&) = delete;
  mcp_session& operator=(const mcp_session&) = delete;

  /// Sends one message (a newline is added).
  bool send(const std::string& line) {
    std::string data = line + "\n";
    std::string_view rest(data);
    while (!rest.empty()) {
      auto n = ::write(to_, rest.data(), rest.size());
      if (n <= 0) return false;
      rest.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  /// Sends a request and waits for the answer with its id (notifications are skipped).
  std::optional<boost::json::value> request(
      std::int64_t id, const std::string& method, boost::json::object params,
      std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    boost::json::object msg{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
    msg["params"] = std::move(params);
    if (!send(boost::json::serialize(msg))) return std::nullopt;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto line = read_line(deadline);
      if (!line) return std::nullopt;
      boost::json::error_code ec;
      auto v = boost::json::parse(*line, ec);
      if (ec || !v.is_object()) continue;
      const auto* got = v.as_object().if_contains("id");
      if (got && *got == boost::json::value(id)) return v;
    }
  }

  /// The child's pid (-1 when it did not start), e.g. to SIGKILL it like a power cut.
  pid_t pid() const { return pid_; }

  /// Closes stdin: pons-mcp finishes and exits.
  void close_input() {
    if (to_ >= 0) ::close(to_);
    to_ = -1;
  }

 private:
  std::optional<std::string> read_line(std::chrono::steady_clock::time_point deadline) {
    for (;;) {
      if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{from_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
      char buf[65536];
      auto n = ::read(from_, buf, sizeof buf);
      if (n <= 0) return std::nullopt;
      buffer_.append(buf, static_cast<std::size_t>(n));
    }
  }

  pid_t pid_ = -1;
  int to_ = -1;
  int from_ = -1;
  int status_ = 0;
  std::string buffer_;
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
