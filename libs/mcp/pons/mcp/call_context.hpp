#pragma once
// What a tool, resource or prompt handler gets besides its arguments: a cooperative
// cancellation token, a progress reporter, a logger, and facts about the request: the protocol
// revision and era it came in, the client's name and capabilities.

#include <boost/json/object.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "pons/mcp/protocol_version.hpp"

namespace pons::mcp {

/// Severity levels of MCP logging (RFC 5424 order), lowest first.
enum class log_level { debug, info, notice, warning, error, critical, alert, emergency };

/// The wire name of a level ("debug" .. "emergency").
std::string_view to_string(log_level level);

/// Parses a wire level name.
std::optional<log_level> parse_log_level(std::string_view name);

/// A cooperative cancellation flag shared between the engine and a running handler.
class cancellation_token {
 public:
  /// A token that is never cancelled unless cancel() is called on it or a copy.
  cancellation_token();

  /// True once the request was cancelled (client notification or shutdown).
  bool cancelled() const;

  /// Requests cancellation and wakes every wait_for().
  void cancel() const;

  /// Sleeps up to `timeout`; returns true early when cancelled.
  bool wait_for(std::chrono::milliseconds timeout) const;

 private:
  struct state {
    std::mutex mutex;
    std::condition_variable cv;
    bool cancelled = false;
  };
  std::shared_ptr<state> state_;
};

/// Per-call services for handlers. Cheap to pass by reference; lives for the call.
class call_context {
 public:
  using progress_fn =
      std::function<void(double progress, std::optional<double> total, std::string_view message)>;
  using log_fn = std::function<void(log_level level, std::string_view message)>;

  /// Builds a context; the functions may be empty (then progress/log do nothing).
  call_context(cancellation_token token, protocol_version version, std::string client_name,
               progress_fn progress = {}, log_fn log = {},
               boost::json::object client_capabilities = {});

  /// The cancellation token of this call.
  const cancellation_token& token() const { return token_; }

  /// Shorthand for token().cancelled().
  bool cancelled() const { return token_.cancelled(); }

  /// Reports progress (only when the client asked for it with a progressToken; values that do
  /// not increase are dropped, as the specification requires progress to increase).
  void progress(double progress, std::optional<double> total = std::nullopt,
                std::string_view message = {});

  /// True when the client sent a progressToken with this request.
  bool wants_progress() const { return static_cast<bool>(progress_); }

  /// Sends a log message to the client: in a legacy session at or above the level set with
  /// logging/setLevel; for a modern request only when it asked for messages (its _meta logLevel).
  void log(log_level level, std::string_view message) const;

  /// The revision of this call: negotiated by initialize (legacy era) or named by the request.
  protocol_version version() const { return version_; }

  /// Whether the call came in a legacy session or as a modern (per-request) request.
  protocol_era era() const { return era_of(version_); }

  /// clientInfo.name from initialize, or from the request's _meta in the modern era ("unknown"
  /// when the client sent none).
  const std::string& client_name() const { return client_name_; }

  /// The client's capabilities: from initialize, or from the request's _meta in the modern era.
  const boost::json::object& client_capabilities() const { return client_capabilities_; }

  /// A modern request retried after an input_required result: the client's answers
  /// (params.inputResponses, by the keys of the inputRequests) and the requestState it echoes.
  void set_input(boost::json::object responses, std::optional<std::string> state) {
    input_responses_ = std::move(responses);
    request_state_ = std::move(state);
  }

  /// params.inputResponses of this request (empty when it carries none).
  const boost::json::object& input_responses() const { return input_responses_; }

  /// params.requestState of this request, as the client echoed it (untrusted: verify it).
  const std::optional<std::string>& request_state() const { return request_state_; }

 private:
  cancellation_token token_;
  protocol_version version_;
  std::string client_name_;
  boost::json::object client_capabilities_;
  progress_fn progress_;
  log_fn log_;
  std::optional<double> last_progress_;
  boost::json::object input_responses_;
  std::optional<std::string> request_state_;
};

}  // namespace pons::mcp
