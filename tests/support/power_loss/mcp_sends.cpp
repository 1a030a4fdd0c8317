#include "mcp_sends.hpp"

#include <signal.h>

#include <boost/json.hpp>
#include <chrono>

#include "integration/hardening_support.hpp"

namespace pons::power_loss {

namespace json = boost::json;
using namespace std::chrono_literals;

mcp_sends::mcp_sends(std::string to, std::vector<std::string> env, std::string log_path)
    : to_(std::move(to)), env_(std::move(env)), log_path_(std::move(log_path)) {}

mcp_sends::~mcp_sends() {
  kill();
}

void mcp_sends::start(const std::string& db_path) {
  kill();
  session_ = std::make_unique<test::hardening::mcp_session>(
      std::vector<std::string>{"--db", db_path}, env_, log_path_);
  pid_.store(session_->pid());
  thread_ = std::thread([this] { run(); });
}

void mcp_sends::kill() {
  if (const pid_t pid = pid_.exchange(-1); pid > 0) ::kill(pid, SIGKILL);
  if (thread_.joinable()) thread_.join();
  session_.reset();
}

std::vector<send_record> mcp_sends::records() const {
  std::lock_guard lock(mu_);
  auto all = records_;
  all.insert(all.end(), retry_.begin(), retry_.end());
  return all;
}

void mcp_sends::run() {
  auto& mcp = *session_;
  if (!mcp.request(next_id_++, "initialize",
                   {{"protocolVersion", "2025-11-25"},
                    {"capabilities", json::object{}},
                    {"clientInfo", {{"name", "power-loss"}, {"version", "1"}}}},
                   10s))
    return;
  mcp.send(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  for (;;) {
    send_record send;
    {
      std::lock_guard lock(mu_);
      if (!retry_.empty()) {
        send = std::move(retry_.back());
        retry_.pop_back();
      } else {
        send.key = "pl-key-" + std::to_string(next_key_++);
      }
    }
    ++send.attempts;
    json::object args{
        {"to", to_}, {"text", "power-loss " + send.key}, {"idempotency_key", send.key}};
    auto answer =
        mcp.request(next_id_++, "tools/call", {{"name", "send_text"}, {"arguments", args}}, 10s);
    if (!answer) {
      // Killed mid-call: unknown whether it was stored or sent. Retried by the next incarnation.
      std::lock_guard lock(mu_);
      (send.attempts < max_attempts ? retry_ : records_).push_back(std::move(send));
      return;
    }
    const auto* result = answer->as_object().if_contains("result");
    const json::object* content = nullptr;
    if (result && result->is_object()) {
      if (const auto* sc = result->as_object().if_contains("structuredContent"))
        content = sc->if_object();
    }
    if (content && content->contains("state") && content->at("state") == "sent" &&
        content->contains("wamid") && content->at("wamid").is_string()) {
      send.done = true;
      send.wamid = std::string(content->at("wamid").as_string());
      ++done_;
    } else {
      // Refused (e.g. the customer's window is gone with a lost database): not acknowledged.
      std::this_thread::sleep_for(20ms);
    }
    std::lock_guard lock(mu_);
    records_.push_back(std::move(send));
  }
}

}  // namespace pons::power_loss
