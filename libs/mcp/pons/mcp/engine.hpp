#pragma once
// The MCP protocol engine. It takes parsed JSON-RPC messages from any transport, answers through
// a message_sink, and runs slow handlers (tools, resource reads, prompts, completions) on a worker
// pool so requests may be answered out of order: the tools that wait on someone else (calls_out)
// on a pool of their own when the transport gives one, long waits on the engine's wait lane.
//
// It serves both eras of MCP on one instance, deciding per request (request_era()):
// - legacy (2025-11-25 and older): initialize negotiates a revision for the whole session (for
//   stdio: the process); ping, logging/setLevel, resources/subscribe exist; no resultType.
// - modern (2026-07-28): a request whose params._meta names its revision and the client's
//   capabilities is served on its own, before or after an initialize and without touching the
//   session: server/discover, resultType "complete" and the server's identity on every result,
//   ttlMs/cacheScope on list and read results, subscriptions/listen instead of
//   resources/subscribe, -32602 for an unknown resource, logging only when the request asks.
//
// What a transport other than stdio may use (added with the modern era; nothing older changed):
// - request_meta.hpp, pure: request_era() (which era a request is), requested_version() (to
//   compare with a header first), read_request_meta() (the -32602/-32022 checks the engine makes),
//   is_modern_method() (a -32601 known before the engine is asked);
// - engine_options: catalogue_cache / data_cache (the ttlMs and cacheScope of modern results),
//   max_listens, max_listen_uris, cancel_ended_streams;
// - listening() and end_subscriptions() for subscriptions/listen streams; notify_* reach them;
// - an engine starts no thread of its own until a long_wait tool is called, so one per request
//   is cheap; max_waits and max_listens then count per engine, not per server;
// - engine_options::account: whose data every call of the engine sees (the account of the API
//   key it serves; every account by default).

#include <boost/json/value.hpp>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
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
#include "pons/mcp/request_meta.hpp"
#include "pons/mcp/worker_pool.hpp"

namespace pons::mcp {

/// Where the engine writes: one serialised JSON-RPC message per call (no trailing newline).
/// Called from several threads; implementations must be thread-safe.
class message_sink {
 public:
  virtual ~message_sink() = default;
  /// Delivers one message (a response, an error, a notification or a batch answer).
  virtual void send(std::string message) = 0;
  /// Delivers a request to the client made while the client's request `related_id` runs
  /// (sampling/createMessage from a tool call): an HTTP transport sends it on that request's
  /// stream. By default, as send().
  virtual void send_related(std::string message, const json::value& related_id) {
    (void)related_id;
    send(std::move(message));
  }
  /// Delivers the answer (result or error) to the client's request `id`, outside any batch: a
  /// transport that routes answers by id takes it from here instead of parsing the message. By
  /// default, as send().
  virtual void send_answer(std::string message, const json::value& id) {
    (void)id;
    send(std::move(message));
  }
};

/// How long a client may reuse a modern list or read result (ttlMs), and who may keep it
/// (cacheScope).
struct cache_hint {
  std::uint64_t ttl_ms = 0;
  bool shared = false;  // cacheScope "public" (any cache) when true, else "private"
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
  // Modern era: server/discover, tools/list, prompts/list, resources/templates/list (the same for
  // every caller while the server runs).
  cache_hint catalogue_cache{300000, true};
  // Modern era: resources/list and resources/read (the user's own messages, changing any time).
  cache_hint data_cache{0, false};
  std::size_t max_listens = 16;       // subscriptions/listen streams open at once
  std::size_t max_listen_uris = 256;  // resourceSubscriptions in one subscriptions/listen
  // end_subscriptions() follows each closing result with notifications/cancelled, stdio's way
  // of closing a stream; an HTTP transport closes the response stream instead (false).
  bool cancel_ended_streams = true;
  /// Whose data the session may see: every account (stdio), or the one account of the API key
  /// that opened an HTTP session. Every call_context, listing and completion gets it.
  account_scope account;
  /// The scopes of the API key the engine serves; nullopt when no key is involved (stdio, a
  /// loopback conformance run): every tool. With a key, tools/list shows and tools/call runs only
  /// the tools whose required scope the key holds (a tool that declares none, to no key).
  std::optional<std::vector<scope>> granted_scopes;
  // How long a handler waits for the client's answer to a request the server sent it
  // (call_context::request_client; elicitation waits for a person).
  std::chrono::milliseconds client_request_timeout{300'000};
};

/// One MCP session (legacy era) and any number of modern requests. Calls of long_wait tools run
/// on a lane of their own (max_waits threads), so waiting never takes a worker that quick calls
/// need; one more is refused with a tool error.
///
/// A transport may create one engine per connection (stdio: both eras on one instance), one per
/// legacy session, or one per modern request (each answers only through its own sink).
class engine {
 public:
  /// The registry, pools and sink must outlive the engine. Calls of calls_out tools run on
  /// `call_out_pool` (on `pool` when there is none); everything else that waits for a worker,
  /// on `pool`.
  engine(const registry& reg, worker_pool& pool, message_sink& sink, engine_options options,
         worker_pool* call_out_pool = nullptr);
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

  /// Sends notifications/resources/updated for `uri`: to the legacy session when it subscribed
  /// (resources/subscribe), and on each open subscriptions/listen stream whose
  /// resourceSubscriptions hold it (tagged with its subscriptionId).
  void notify_resource_updated(std::string_view uri);

  /// Sends notifications/{tools,resources,prompts}/list_changed: to the legacy session once
  /// initialized, and on each open subscriptions/listen stream that asked for it.
  void notify_list_changed(std::string_view which);

  /// Sends notifications/message to the legacy session when `level` is at or above its level
  /// (modern requests get messages only from their own handlers, see call_context::log).
  void log(log_level level, std::string_view logger, json::value data);

  /// The URIs the legacy session subscribed to (resources/subscribe).
  std::vector<std::string> subscriptions() const;

  /// Number of open subscriptions/listen streams (modern era).
  std::size_t listening() const;

  /// Ends every open subscriptions/listen stream from the server's side: answers each listen
  /// request with its closing result (resultType "complete", _meta subscriptionId), then, when
  /// engine_options::cancel_ended_streams, sends notifications/cancelled for it (how stdio closes
  /// a stream). For a graceful stop; shutdown() drops the streams without a word.
  void end_subscriptions(std::string_view reason = "the server is shutting down");

  /// Whose data the engine's calls see (engine_options::account): change notifications from
  /// outside the engine are filtered by it.
  const account_scope& account() const { return options_.account; }

  /// True once initialize was answered (legacy era; modern requests never initialize).
  bool initialized() const;

  /// The negotiated revision, once initialized (legacy era).
  std::optional<protocol_version> version() const;

  /// Cancels every running request, forgets open subscriptions/listen streams, and waits until
  /// all requests have finished (no answers are sent for cancelled requests).
  void shutdown();

  /// Waits up to `timeout` for running requests to finish on their own; true when none is left.
  bool wait_idle(std::chrono::milliseconds timeout);

  /// Number of requests queued or running on the pool.
  std::size_t in_flight() const;

  /// Number of requests sent to the client and still waiting for its answer.
  std::size_t awaiting_client() const;

 private:
  using outcome = std::variant<json::value, rpc_error, result_with_written_member>;
  struct batch_state;
  using batch_ptr = std::shared_ptr<batch_state>;

  // Whom a request comes from and in which era: the legacy session's facts, or a modern
  // request's own _meta.
  struct request_scope {
    protocol_version version = latest_version;
    std::string client_name;
    json::object client_capabilities;
    std::optional<log_level> level;  // modern: notifications/message this request asked for
    bool modern() const { return era_of(version) == protocol_era::modern; }
  };

  // One open subscriptions/listen stream and what it agreed to deliver.
  struct listen_state {
    json::value id;  // the listen request's id: the subscriptionId of everything it carries
    bool tools = false;
    bool resources = false;
    std::set<std::string, std::less<>> uris;
  };

  // A request sent to the client, waiting for its answer (guarded by its own mutex, taken under
  // the waiting call's token lock).
  struct outgoing_request {
    explicit outgoing_request(cancellation_token t) : token(std::move(t)) {}
    cancellation_token token;  // the call that waits: woken when the answer arrives
    std::mutex mutex;
    bool answered = false;
    bool failed = false;
    json::value result;  // the client's result, or its error object
  };

  void dispatch(const incoming& in, const batch_ptr& batch);
  // A client's response to a request we sent: hands it to the call that waits; anything else
  // (unknown, late, an id we never used) is ignored.
  void on_response(const incoming& in);
  client_reply request_client(const request_scope& scope, const json::value& related_id,
                              const cancellation_token& token, std::string_view method,
                              json::object params,
                              std::optional<std::chrono::milliseconds> timeout);
  void dispatch_legacy(const incoming& in, const batch_ptr& batch);
  void dispatch_modern(const incoming& in, const batch_ptr& batch);
  void on_notification(const incoming& in);
  void reply(const batch_ptr& batch, std::optional<std::string> message);
  // Sends `result` as it is, moved into the message (a tool's result can be large).
  void answer(const incoming& in, const batch_ptr& batch, outcome result);
  // Sends `result` as `scope`'s era wants it (finish()).
  void answer(const incoming& in, const batch_ptr& batch, outcome result,
              const request_scope& scope);
  // Modern era: resultType, the server's identity and, for cacheable methods, the cache hint on
  // a result; -32602 for the retired -32002. Legacy: unchanged.
  outcome finish(const request_scope& scope, std::string_view method, outcome result) const;
  // Runs `work` on the pool (on the call-out pool when it `calls_out`); with `when_full` set,
  // on the wait lane instead, answering `when_full` at once when max_waits calls already wait
  // there.
  void run_async(const incoming& in, const batch_ptr& batch, const request_scope& scope,
                 std::function<outcome(call_context&)> work,
                 std::optional<outcome> when_full = std::nullopt, bool calls_out = false);
  void handle_batch(const json::array& items);
  void diag(std::string_view text) const;
  request_scope legacy_scope() const;
  json::object capabilities(protocol_version v) const;
  json::object server_info(protocol_version v) const;

  outcome do_initialize(const json::object& params);
  outcome do_discover() const;
  outcome do_tools_list(const json::object& params, const request_scope& scope) const;
  outcome do_resources_list(const json::object& params, const request_scope& scope) const;
  outcome do_templates_list(const json::object& params, const request_scope& scope) const;
  outcome do_prompts_list(const json::object& params, const request_scope& scope) const;
  outcome do_subscribe(const json::object& params, bool subscribe);
  outcome do_set_level(const json::object& params);
  void do_tools_call(const incoming& in, const batch_ptr& batch, const request_scope& scope);
  void do_resources_read(const incoming& in, const batch_ptr& batch, const request_scope& scope);
  void do_prompts_get(const incoming& in, const batch_ptr& batch, const request_scope& scope);
  void do_complete(const incoming& in, const batch_ptr& batch, const request_scope& scope);
  void do_listen(const incoming& in, const batch_ptr& batch, const request_scope& scope);
  bool cancel_listen(const std::string& key);

  json::object render_tool(const tool_def& tool, protocol_version v) const;
  // True when the session's key (if any) may see and call `tool`.
  bool granted(const tool_def& tool) const;
  outcome render_tool_result(tool_result result, protocol_version v) const;
  bool resource_exists(std::string_view uri) const;

  const registry& registry_;
  worker_pool& pool_;
  worker_pool& call_out_pool_;
  message_sink& sink_;
  engine_options options_;

  mutable std::mutex mutex_;
  std::condition_variable idle_cv_;
  bool initialized_ = false;
  bool client_ready_ = false;  // notifications/initialized received
  protocol_version version_ = latest_version;
  std::string client_name_ = "unknown";
  json::object client_capabilities_;  // from initialize
  log_level level_;
  std::set<std::string, std::less<>> subscriptions_;
  std::map<std::string, cancellation_token, std::less<>> in_flight_;  // key: serialised id
  std::size_t running_ = 0;  // jobs posted and not yet finished (answer sent or dropped)
  // Long waits holding a place on the wait lane (key: serialised id). A cancelled wait gives its
  // place back at once, so the client's next wait is not refused while the old one unwinds.
  std::set<std::string, std::less<>> waiting_;
  // Open subscriptions/listen streams (key: serialised id), guarded by mutex_.
  std::map<std::string, listen_state, std::less<>> listens_;
  // Requests sent to the client, by serialised id ("pons-1", "pons-2"...), guarded by mutex_.
  std::map<std::string, std::shared_ptr<outgoing_request>, std::less<>> outgoing_;
  std::uint64_t next_outgoing_ = 1;
  // Held while anything is sent on a listen stream, and while one opens or closes, so the
  // acknowledgement goes first and nothing follows a cancellation. Taken before mutex_.
  std::mutex listen_send_mutex_;
  // The wait lane, started by the first long wait (guarded by mutex_). Last, so it is joined
  // first: its threads run jobs that use the members above.
  std::unique_ptr<worker_pool> waits_;
};

}  // namespace pons::mcp
