#pragma once
// The MCP protocol engine: one instance per client session. It takes parsed JSON-RPC messages
// from any transport, answers through a message_sink, and runs slow handlers (tools, resource
// reads, prompts, completions) on a worker pool so requests may be answered out of order.

#include <boost/json/value.hpp>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "pons/mcp/call_context.hpp"
#include "pons/mcp/jsonrpc.hpp"
#include "pons/mcp/protocol_version.hpp"
#include "pons/mcp/registry.hpp"
#include "pons/mcp/worker_pool.hpp"

namespace pons::mcp {

/// Where the engine writes: one serialised JSON-RPC message per call (no trailing newline).
/// Called from several threads; implementations must be thread-safe.
class message_sink {
 public:
  virtual ~message_sink() = default;
  /// Delivers one message (a response, an error, a notification or a batch answer).
  virtual void send(std::string message) = 0;
};

/// Fixed settings of a session.
struct engine_options {
  std::string server_name = "pons";
  std::string server_title = "Pons: WhatsApp Business for assistants";
  std::string server_version = PONS_VERSION;
  std::string instructions;
  std::size_t page_size = 50;  // items per tools/list, resources/list, prompts/list page
  std::size_t max_depth = 64;  // JSON nesting limit
  log_level initial_log_level = log_level::info;
  std::size_t max_waits = 4;  // long_wait tool calls running at once (each holds a thread)
  std::function<void(std::string_view)> diagnostics;  // stderr logger; may be empty
  /// Whose data the session may see: every account (stdio), or the one account of the API key
  /// that opened an HTTP session. Every call_context, listing and completion gets it.
  account_scope account;
};

/// One MCP session. Calls of long_wait tools run on a lane of their own (max_waits threads), so
/// waiting never takes a worker that quick calls need; one more is refused with a tool error.
class engine {
 public:
  /// The registry, pool and sink must outlive the engine.
  engine(const registry& reg, worker_pool& pool, message_sink& sink, engine_options options);
  /// Cancels and waits for every running request.
  ~engine();
  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;

  /// Handles one framed message (a line without its newline). Blank text is ignored.
  void handle_text(std::string_view text);

  /// Answers a message the transport discarded for exceeding `limit` bytes.
  void handle_oversized(std::size_t limit);

  /// Handles one parsed message (object, or a batch array).
  void handle(const json::value& message);

  /// Sends notifications/resources/updated when the client subscribed to `uri`.
  void notify_resource_updated(std::string_view uri);

  /// Sends notifications/{tools,resources,prompts}/list_changed.
  void notify_list_changed(std::string_view which);

  /// Sends notifications/message when `level` is at or above the client's level.
  void log(log_level level, std::string_view logger, json::value data);

  /// The URIs the client subscribed to.
  std::vector<std::string> subscriptions() const;

  /// True once initialize was answered.
  bool initialized() const;

  /// The negotiated revision, once initialized.
  std::optional<protocol_version> version() const;

  /// Cancels every running request and waits until all have finished (no answers are sent
  /// for cancelled requests).
  void shutdown();

  /// Waits up to `timeout` for running requests to finish on their own; true when none is left.
  bool wait_idle(std::chrono::milliseconds timeout);

  /// Number of requests queued or running on the pool.
  std::size_t in_flight() const;

 private:
  using outcome = std::variant<json::value, rpc_error>;
  struct batch_state;
  using batch_ptr = std::shared_ptr<batch_state>;

  void dispatch(const incoming& in, const batch_ptr& batch);
  void on_notification(const incoming& in);
  void reply(const batch_ptr& batch, std::optional<std::string> message);
  void answer(const incoming& in, const batch_ptr& batch, const outcome& result);
  // Runs `work` on the pool; with `when_full` set, on the wait lane instead, answering
  // `when_full` at once when max_waits calls already wait there.
  void run_async(const incoming& in, const batch_ptr& batch,
                 std::function<outcome(call_context&)> work,
                 std::optional<outcome> when_full = std::nullopt);
  void handle_batch(const json::array& items);
  void diag(std::string_view text) const;

  outcome do_initialize(const json::object& params);
  outcome do_tools_list(const json::object& params) const;
  outcome do_resources_list(const json::object& params) const;
  outcome do_templates_list(const json::object& params) const;
  outcome do_prompts_list(const json::object& params) const;
  outcome do_subscribe(const json::object& params, bool subscribe);
  outcome do_set_level(const json::object& params);
  void do_tools_call(const incoming& in, const batch_ptr& batch);
  void do_resources_read(const incoming& in, const batch_ptr& batch);
  void do_prompts_get(const incoming& in, const batch_ptr& batch);
  void do_complete(const incoming& in, const batch_ptr& batch);

  json::object render_tool(const tool_def& tool, protocol_version v) const;
  json::object render_tool_result(tool_result result, protocol_version v) const;
  bool resource_exists(std::string_view uri) const;
  protocol_version current_version() const;

  const registry& registry_;
  worker_pool& pool_;
  message_sink& sink_;
  engine_options options_;

  mutable std::mutex mutex_;
  std::condition_variable idle_cv_;
  bool initialized_ = false;
  bool client_ready_ = false;  // notifications/initialized received
  protocol_version version_ = latest_version;
  std::string client_name_ = "unknown";
  log_level level_;
  std::set<std::string, std::less<>> subscriptions_;
  std::map<std::string, cancellation_token, std::less<>> in_flight_;  // key: serialised id
  std::size_t running_ = 0;  // jobs posted and not yet finished (answer sent or dropped)
  // Long waits holding a place on the wait lane (key: serialised id). A cancelled wait gives its
  // place back at once, so the client's next wait is not refused while the old one unwinds.
  std::set<std::string, std::less<>> waiting_;
  // Last, so it is joined first: its threads run jobs that use the members above.
  worker_pool waits_;
};

}  // namespace pons::mcp
