#include "pons/mcp/call_context.hpp"

#include <fmt/core.h>

#include <array>

namespace pons::mcp {

namespace {
constexpr std::array<std::string_view, 8> level_names{"debug", "info",     "notice", "warning",
                                                      "error", "critical", "alert",  "emergency"};
}

std::string_view to_string(log_level level) {
  return level_names[static_cast<std::size_t>(level)];
}

std::optional<log_level> parse_log_level(std::string_view name) {
  for (std::size_t i = 0; i < level_names.size(); ++i) {
    if (level_names[i] == name) return static_cast<log_level>(i);
  }
  return std::nullopt;
}

cancellation_token::cancellation_token() : state_(std::make_shared<state>()) {}

bool cancellation_token::cancelled() const {
  std::lock_guard lock(state_->mutex);
  return state_->cancelled;
}

void cancellation_token::cancel() const {
  {
    std::lock_guard lock(state_->mutex);
    state_->cancelled = true;
  }
  state_->cv.notify_all();
}

bool cancellation_token::wait_for(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(state_->mutex);
  return state_->cv.wait_for(lock, timeout, [&] { return state_->cancelled; });
}

bool cancellation_token::wait_until_ready(std::chrono::milliseconds timeout,
                                          const std::function<bool()>& ready) const {
  std::unique_lock lock(state_->mutex);
  state_->cv.wait_for(lock, timeout, [&] { return state_->cancelled || ready(); });
  return ready();
}

void cancellation_token::wake() const {
  // Taking the lock orders the change before a waiter's next look at it.
  { std::lock_guard lock(state_->mutex); }
  state_->cv.notify_all();
}

std::string_view to_string(client_request_errc code) {
  switch (code) {
    case client_request_errc::missing_capability:
      return "missing_capability";
    case client_request_errc::unavailable:
      return "unavailable";
    case client_request_errc::timed_out:
      return "timed_out";
    case client_request_errc::cancelled:
      return "cancelled";
    case client_request_errc::client_error:
      return "client_error";
  }
  return "unknown";
}

call_context::call_context(cancellation_token token, protocol_version version,
                           std::string client_name, progress_fn progress, log_fn log,
                           boost::json::object client_capabilities, account_scope account)
    : token_(std::move(token)),
      version_(version),
      client_name_(std::move(client_name)),
      client_capabilities_(std::move(client_capabilities)),
      progress_(std::move(progress)),
      log_(std::move(log)),
      account_(std::move(account)) {}

void call_context::progress(double progress, std::optional<double> total,
                            std::string_view message) {
  if (!progress_ || token_.cancelled()) return;
  if (last_progress_ && progress <= *last_progress_) return;
  last_progress_ = progress;
  progress_(progress, total, message);
}

client_reply call_context::request_client(std::string_view method, boost::json::object params,
                                          std::optional<std::chrono::milliseconds> timeout) {
  if (!request_) {
    client_reply r;
    r.failure = client_request_errc::unavailable;
    r.message = fmt::format("{} cannot be sent: this call has no client to ask", method);
    return r;
  }
  return request_(method, std::move(params), timeout);
}

void call_context::log(log_level level, std::string_view message) const {
  if (log_) log_(level, message);
}

}  // namespace pons::mcp
