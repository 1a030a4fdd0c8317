#pragma once
// What a tool, resource or prompt handler gets besides its arguments: a cooperative
// cancellation token, a progress reporter, a logger, and facts about the request: the protocol
// revision and era it came in, the client's name and capabilities, and whose data it may see.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "pons/mcp/account_scope.hpp"
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

  /// Sleeps up to `timeout` until `ready()` (called under the token's lock, so it must not take
  /// locks held while cancelling) is true or the token is cancelled; returns ready().
  bool wait_until_ready(std::chrono::milliseconds timeout,
                        const std::function<bool()>& ready) const;

  /// Wakes every wait_until_ready() to look at its condition again (after it changed).
  void wake() const;

 private:
  struct state {
    std::mutex mutex;
    std::condition_variable cv;
    bool cancelled = false;
  };
  std::shared_ptr<state> state_;
};

/// Why a request the server sent to the client brought no result.
enum class client_request_errc {
  missing_capability = 1,  // the client did not declare the capability the method needs
  unavailable,             // no client to ask: a 2026-07-28 request, or no transport for it
  timed_out,               // no answer within the timeout (the request is cancelled)
  cancelled,               // the call itself was cancelled (the request is cancelled too)
  client_error,            // the client answered with a JSON-RPC error
};

/// A short name of the failure ("missing_capability", ...).
std::string_view to_string(client_request_errc code);

/// The answer to a request the server sent to the client (sampling/createMessage,
/// elicitation/create, roots/list).
struct client_reply {
  std::optional<client_request_errc> failure;  // empty when the client sent a result
  boost::json::value result;                   // the client's result
  boost::json::value error;                    // client_error: the client's error object
  std::string message;                         // a failure: what happened and what to do

  /// True when the client answered with a result.
  bool ok() const { return !failure; }
};

/// Per-call services for handlers. Cheap to pass by reference; lives for the call.
class call_context {
 public:
  using progress_fn =
      std::function<void(double progress, std::optional<double> total, std::string_view message)>;
  using log_fn = std::function<void(log_level level, std::string_view message)>;
  using request_fn = std::function<client_reply(std::string_view method, boost::json::object params,
                                                std::optional<std::chrono::milliseconds> timeout)>;

  /// Builds a context; the functions may be empty (then progress/log do nothing). The account
  /// scope defaults to every account (the local user).
  call_context(cancellation_token token, protocol_version version, std::string client_name,
               progress_fn progress = {}, log_fn log = {},
               boost::json::object client_capabilities = {}, account_scope account = {});

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

  /// Sends a request to the client (sampling/createMessage, elicitation/create, roots/list) and
  /// waits for its answer: at most `timeout` (default: the engine's), and no longer than the call
  /// is not cancelled. Only a legacy session whose client declared the method's capability can
  /// be asked; otherwise the reply says why not at once.
  client_reply request_client(std::string_view method, boost::json::object params,
                              std::optional<std::chrono::milliseconds> timeout = std::nullopt);

  /// Sets how request_client() reaches the client (the engine does, for each call).
  void set_request_fn(request_fn fn) { request_ = std::move(fn); }

  /// The revision of this call: negotiated by initialize (legacy era) or named by the request.
  protocol_version version() const { return version_; }

  /// Whether the call came in a legacy session or as a modern (per-request) request.
  protocol_era era() const { return era_of(version_); }

  /// clientInfo.name from initialize, or from the request's _meta in the modern era ("unknown"
  /// when the client sent none).
  const std::string& client_name() const { return client_name_; }

  /// The client's capabilities: from initialize, or from the request's _meta in the modern era.
  const boost::json::object& client_capabilities() const { return client_capabilities_; }

  /// Whose data this call may see; handlers keep every query within it.
  const account_scope& account() const { return account_; }

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
  request_fn request_;
  std::optional<double> last_progress_;
  account_scope account_;
  boost::json::object input_responses_;
  std::optional<std::string> request_state_;
};

}  // namespace pons::mcp
