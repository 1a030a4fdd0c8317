#include "pons/mcp/engine.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <exception>

#include "pons/mcp/cursor.hpp"
#include "pons/mcp/schema_check.hpp"
#include "pons/mcp/uri_template.hpp"

namespace pons::mcp {

// Collects the answers to one JSON-RPC batch (2025-03-26 sessions only) and sends them as one
// array when the last one is in.
struct engine::batch_state {
  std::mutex mutex;
  std::vector<std::string> answers;
  std::size_t pending = 0;
};

namespace {

constexpr std::size_t max_completion_values = 100;

json::object success() {
  return {};
}

// Reads an optional string parameter; sets `err` when present with another type.
std::optional<std::string> string_param(const json::object& params, std::string_view name,
                                        std::optional<rpc_error>& err) {
  const json::value* v = params.if_contains(name);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_string()) {
    err = invalid_params(fmt::format("params.{}", name), "must be a string");
    return std::nullopt;
  }
  return std::string(v->get_string());
}

// What answering a request produced (engine::outcome, spelled out for the helpers here).
using request_outcome = std::variant<json::value, rpc_error, result_with_written_member>;

std::string join_names(const std::vector<std::string>& names) {
  return fmt::format("{}", fmt::join(names, ", "));
}

// One page of a list method (tools/list, resources/list, ...): the items after the request's
// cursor rendered under `key`, and nextCursor when more follow.
template <class Items, class Render>
request_outcome paged_list(const json::object& params, const Items& all, std::size_t page_size,
                           std::string_view key, Render render) {
  std::optional<rpc_error> err;
  auto cursor = string_param(params, "cursor", err);
  if (err) return *err;
  std::size_t begin = 0;
  if (cursor) {
    auto offset = decode_cursor(*cursor);
    if (!offset || *offset > all.size()) {
      return invalid_params("params.cursor",
                            "is not a cursor this server issued (omit it to start from the "
                            "first page)");
    }
    begin = *offset;
  }
  std::size_t end = std::min(all.size(), begin + std::max<std::size_t>(page_size, 1));
  json::array list;
  for (std::size_t i = begin; i < end; ++i) list.push_back(render(all[i]));
  json::object result{{key, std::move(list)}};
  if (end < all.size()) result["nextCursor"] = encode_cursor(end);
  return json::value(std::move(result));
}

void set_if(json::object& obj, std::string_view key, const std::string& value) {
  if (!value.empty()) obj[key] = value;
}

// Methods of the legacy era that the modern era removed, and what replaced them.
std::optional<std::string_view> removed_in_modern(std::string_view method) {
  if (method == "initialize" || method == "notifications/initialized") {
    return "there is no handshake: every request carries its own _meta (send initialize without "
           "that _meta, naming params.protocolVersion, to use protocol 2025-11-25)";
  }
  if (method == "ping") return "every request is answered on its own; there is no session to check";
  if (method == "logging/setLevel") {
    return "a request asks for log messages with _meta[\"io.modelcontextprotocol/logLevel\"]";
  }
  if (method == "resources/subscribe" || method == "resources/unsubscribe") {
    return "use subscriptions/listen with notifications.resourceSubscriptions, and "
           "notifications/cancelled to stop";
  }
  return std::nullopt;
}

// The methods whose modern results carry ttlMs and cacheScope, and which hint they use.
enum class cacheable { no, catalogue, data };

cacheable cacheable_of(std::string_view method) {
  if (method == "server/discover" || method == "tools/list" || method == "prompts/list" ||
      method == "resources/templates/list") {
    return cacheable::catalogue;
  }
  if (method == "resources/list" || method == "resources/read") return cacheable::data;
  return cacheable::no;
}

// The optional fields resources and resource templates share (title only from 2025-06-18).
void describe(json::object& o, bool titles, const std::string& title,
              const std::string& description, const std::string& mime_type) {
  if (titles) set_if(o, "title", title);
  set_if(o, "description", description);
  set_if(o, "mimeType", mime_type);
}

// The result of a request that needs the client's input first (2026-07-28 only: a legacy
// session has server-to-client requests for that, not this result).
request_outcome input_required_outcome(input_needed need, const call_context& ctx) {
  if (ctx.era() != protocol_era::modern) {
    return rpc_error{rpc_code::invalid_request,
                     "Invalid Request: this call needs the client's input, which only protocol "
                     "2026-07-28 can ask for (name it in params._meta)",
                     nullptr};
  }
  json::object out{{"resultType", "input_required"},
                   {"inputRequests", std::move(need.input_requests)}};
  if (need.request_state) out["requestState"] = std::move(*need.request_state);
  return json::value(std::move(out));
}

}  // namespace

engine::engine(const registry& reg, worker_pool& pool, message_sink& sink, engine_options options,
               worker_pool* call_out_pool)
    : registry_(reg),
      pool_(pool),
      call_out_pool_(call_out_pool ? *call_out_pool : pool),
      sink_(sink),
      options_(std::move(options)),
      level_(options_.initial_log_level) {}

engine::~engine() {
  shutdown();
}

void engine::diag(std::string_view text) const {
  if (options_.diagnostics) options_.diagnostics(text);
}

bool engine::initialized() const {
  std::lock_guard lock(mutex_);
  return initialized_;
}

std::optional<protocol_version> engine::version() const {
  std::lock_guard lock(mutex_);
  if (!initialized_) return std::nullopt;
  return version_;
}

std::vector<std::string> engine::subscriptions() const {
  std::lock_guard lock(mutex_);
  return {subscriptions_.begin(), subscriptions_.end()};
}

std::size_t engine::awaiting_client() const {
  std::lock_guard lock(mutex_);
  return outgoing_.size();
}

std::size_t engine::in_flight() const {
  std::lock_guard lock(mutex_);
  return running_;
}

void engine::shutdown() {
  {
    std::lock_guard send_lock(listen_send_mutex_);
    std::lock_guard lock(mutex_);
    listens_.clear();
  }
  std::unique_lock lock(mutex_);
  for (auto& [key, token] : in_flight_) token.cancel();
  idle_cv_.wait(lock, [&] { return running_ == 0; });
}

std::size_t engine::listening() const {
  std::lock_guard lock(mutex_);
  return listens_.size();
}

engine::request_scope engine::legacy_scope() const {
  std::lock_guard lock(mutex_);
  request_scope scope;
  scope.version = version_;
  scope.client_name = client_name_;
  scope.client_capabilities = client_capabilities_;
  return scope;
}

bool engine::wait_idle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return idle_cv_.wait_for(lock, timeout, [&] { return running_ == 0; });
}

void engine::handle_text(std::string_view text) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return;
  rpc_error err;
  auto value = parse_json(text, options_.max_depth, err);
  if (!value) {
    reply(nullptr, make_error_response(nullptr, err));
    return;
  }
  handle(*value);
}

void engine::handle_oversized(std::size_t limit) {
  reply(nullptr, make_error_response(
                     nullptr, rpc_error{rpc_code::invalid_request,
                                        fmt::format("Invalid Request: a message longer than {} "
                                                    "bytes was discarded (the server's line limit; "
                                                    "see --max-line-bytes)",
                                                    limit),
                                        json::object{{"maxLineBytes", limit}}}));
}

void engine::handle(const json::value& message) {
  if (message.is_array()) {
    handle_batch(message.get_array());
    return;
  }
  dispatch(classify(message), nullptr);
}

void engine::handle_batch(const json::array& items) {
  bool ready;
  protocol_version v;
  {
    std::lock_guard lock(mutex_);
    ready = initialized_;
    v = version_;
  }
  if (!ready || !allows_batches(v)) {
    reply(nullptr,
          make_error_response(
              nullptr, rpc_error{rpc_code::invalid_request,
                                 fmt::format("Invalid Request: JSON-RPC batches are not supported "
                                             "{} (only protocol revision 2025-03-26 had them); "
                                             "send one message per line",
                                             ready ? fmt::format("in revision {}", to_string(v))
                                                   : std::string("before initialize")),
                                 nullptr}));
    return;
  }
  if (items.empty()) {
    reply(nullptr,
          make_error_response(nullptr, rpc_error{rpc_code::invalid_request,
                                                 "Invalid Request: empty batch", nullptr}));
    return;
  }
  std::vector<incoming> parsed;
  parsed.reserve(items.size());
  auto batch = std::make_shared<batch_state>();
  for (const auto& item : items) {
    parsed.push_back(item.is_array() ? incoming{incoming::kind::invalid,
                                                nullptr,
                                                {},
                                                {},
                                                rpc_error{rpc_code::invalid_request,
                                                          "Invalid Request: nested batch", nullptr},
                                                nullptr,
                                                false}
                                     : classify(item));
    auto k = parsed.back().type;
    if (k == incoming::kind::request || k == incoming::kind::invalid) ++batch->pending;
  }
  // Take one extra count while dispatching, so the batch is not sent before all are queued.
  ++batch->pending;
  for (const auto& in : parsed) dispatch(in, batch);
  reply(batch, std::nullopt);
}

void engine::reply(const batch_ptr& batch, std::optional<std::string> message) {
  if (!batch) {
    if (message) sink_.send(std::move(*message));
    return;
  }
  std::string out;
  {
    std::lock_guard lock(batch->mutex);
    if (message) batch->answers.push_back(std::move(*message));
    if (--batch->pending != 0 || batch->answers.empty()) return;
    out = "[";
    for (std::size_t i = 0; i < batch->answers.size(); ++i) {
      if (i) out += ',';
      out += batch->answers[i];
    }
    out += ']';
  }
  sink_.send(std::move(out));
}

void engine::answer(const incoming& in, const batch_ptr& batch, outcome result) {
  std::string message;
  if (auto* err = std::get_if<rpc_error>(&result)) {
    message = make_error_response(in.id, *err);
  } else if (auto* written = std::get_if<result_with_written_member>(&result)) {
    message = make_response(in.id, std::move(*written));
  } else {
    message = make_response(in.id, std::move(std::get<json::value>(result)));
  }
  if (batch || !valid_id(in.id)) return reply(batch, std::move(message));
  sink_.send_answer(std::move(message), in.id);
}

void engine::answer(const incoming& in, const batch_ptr& batch, outcome result,
                    const request_scope& scope) {
  answer(in, batch, finish(scope, in.method, std::move(result)));
}

engine::outcome engine::finish(const request_scope& scope, std::string_view method,
                               outcome result) const {
  if (!scope.modern()) return result;
  if (auto* err = std::get_if<rpc_error>(&result)) {
    // 2026-07-28 retired -32002: an unknown resource is invalid params.
    if (err->code == rpc_code::resource_not_found) err->code = rpc_code::invalid_params;
    return result;
  }
  json::object* found = nullptr;
  if (auto* written = std::get_if<result_with_written_member>(&result)) {
    found = &written->rest;
  } else if (json::value& value = std::get<json::value>(result); value.is_object()) {
    found = &value.get_object();
  }
  if (!found) return result;
  json::object& obj = *found;
  // A handler that needs the client's input set "input_required" itself.
  if (!obj.contains("resultType")) obj["resultType"] = "complete";
  json::value& meta = obj["_meta"];
  if (!meta.is_object()) meta = json::object{};
  meta.get_object()[meta_server_info] = server_info(scope.version);
  if (auto kind = cacheable_of(method); kind != cacheable::no) {
    const cache_hint& hint =
        kind == cacheable::catalogue ? options_.catalogue_cache : options_.data_cache;
    obj["ttlMs"] = hint.ttl_ms;
    obj["cacheScope"] = hint.shared ? "public" : "private";
  }
  return result;
}

void engine::dispatch(const incoming& in, const batch_ptr& batch) {
  switch (in.type) {
    case incoming::kind::invalid:
      reply(batch, make_error_response(in.id, *in.error));
      return;
    case incoming::kind::response:
      // Never answered, whatever it holds.
      on_response(in);
      return;
    case incoming::kind::notification:
      if (!in.error) on_notification(in);
      return;
    case incoming::kind::request:
      break;
  }
  if (in.error) {
    answer(in, batch, *in.error);
    return;
  }
  // An open subscriptions/listen keeps its id until it ends: an answer with that id would read
  // as the stream's end.
  bool listening;
  {
    std::lock_guard lock(mutex_);
    listening = !listens_.empty() && listens_.count(json::serialize(in.id));
  }
  if (listening) {
    answer(in, batch,
           rpc_error{rpc_code::invalid_request,
                     "Invalid Request: a subscriptions/listen with this id is still open; use a "
                     "new id for each request",
                     nullptr});
    return;
  }
  if (request_era(in.method, in.params) == protocol_era::modern) {
    dispatch_modern(in, batch);
  } else {
    dispatch_legacy(in, batch);
  }
}

void engine::dispatch_modern(const incoming& in, const batch_ptr& batch) {
  auto meta = read_request_meta(in.params);
  if (auto* err = std::get_if<rpc_error>(&meta)) return answer(in, batch, *err);
  auto& fields = std::get<request_meta>(meta);
  request_scope scope;
  scope.version = fields.version;
  scope.client_name = std::move(fields.client_name);
  scope.client_capabilities = std::move(fields.client_capabilities);
  scope.level = fields.level;
  const std::string& m = in.method;
  if (!is_modern_method(m)) {
    auto removed = removed_in_modern(m);
    return answer(
        in, batch,
        rpc_error{rpc_code::method_not_found,
                  removed ? fmt::format("Method not found: {} is not a method in protocol {}: {}",
                                        m, to_string(scope.version), *removed)
                          : fmt::format("Method not found: {}", m),
                  json::object{{"method", m}}});
  }
  if (m == "server/discover") return answer(in, batch, do_discover(), scope);
  if (m == "tools/list") return answer(in, batch, do_tools_list(in.params, scope), scope);
  if (m == "tools/call") return do_tools_call(in, batch, scope);
  if (m == "resources/list") return answer(in, batch, do_resources_list(in.params, scope), scope);
  if (m == "resources/templates/list") {
    return answer(in, batch, do_templates_list(in.params, scope), scope);
  }
  if (m == "resources/read") return do_resources_read(in, batch, scope);
  if (m == "subscriptions/listen") return do_listen(in, batch, scope);
  if (m == "prompts/list") return answer(in, batch, do_prompts_list(in.params, scope), scope);
  if (m == "prompts/get") return do_prompts_get(in, batch, scope);
  if (m == "completion/complete") return do_complete(in, batch, scope);
  // is_modern_method() names a method this list lacks: a programming error.
  answer(in, batch,
         rpc_error{rpc_code::internal_error,
                   fmt::format("Internal error: no handler for {} in protocol {}", m,
                               to_string(scope.version)),
                   nullptr});
}

void engine::dispatch_legacy(const incoming& in, const batch_ptr& batch) {
  const std::string& m = in.method;
  if (m == "ping") {
    answer(in, batch, json::value(success()));
    return;
  }
  if (m == "initialize") {
    answer(in, batch, do_initialize(in.params));
    return;
  }
  if (!initialized()) {
    answer(in, batch,
           rpc_error{rpc_code::invalid_request,
                     fmt::format("Invalid Request: {} before initialize; the session is not "
                                 "initialized (send initialize first, or name protocol {} in "
                                 "params._meta[\"{}\"] with the client's capabilities in "
                                 "params._meta[\"{}\"])",
                                 m, to_string(latest_modern_version), meta_protocol_version,
                                 meta_client_capabilities),
                     nullptr});
    return;
  }
  const request_scope scope = legacy_scope();
  if (m == "tools/list") return answer(in, batch, do_tools_list(in.params, scope));
  if (m == "tools/call") return do_tools_call(in, batch, scope);
  if (m == "resources/list") return answer(in, batch, do_resources_list(in.params, scope));
  if (m == "resources/templates/list") {
    return answer(in, batch, do_templates_list(in.params, scope));
  }
  if (m == "resources/read") return do_resources_read(in, batch, scope);
  if (m == "resources/subscribe") return answer(in, batch, do_subscribe(in.params, true));
  if (m == "resources/unsubscribe") return answer(in, batch, do_subscribe(in.params, false));
  if (m == "prompts/list") return answer(in, batch, do_prompts_list(in.params, scope));
  if (m == "prompts/get") return do_prompts_get(in, batch, scope);
  if (m == "logging/setLevel") return answer(in, batch, do_set_level(in.params));
  if (m == "completion/complete") return do_complete(in, batch, scope);
  answer(in, batch,
         rpc_error{rpc_code::method_not_found, fmt::format("Method not found: {}", m),
                   json::object{{"method", m}}});
}

void engine::on_notification(const incoming& in) {
  if (in.method == "notifications/initialized") {
    std::lock_guard lock(mutex_);
    client_ready_ = true;
    return;
  }
  if (in.method == "notifications/cancelled") {
    const json::value* id = in.params.if_contains("requestId");
    if (!id || !valid_id(*id)) return;
    std::string key = json::serialize(*id);
    if (cancel_listen(key)) return;
    std::lock_guard lock(mutex_);
    if (auto it = in_flight_.find(key); it != in_flight_.end()) {
      it->second.cancel();
      waiting_.erase(key);
    }
    return;
  }
  // Other notifications (roots/list_changed, progress from the client...) need nothing from us.
}

void engine::on_response(const incoming& in) {
  std::shared_ptr<outgoing_request> waiting;
  {
    std::lock_guard lock(mutex_);
    if (auto it = outgoing_.find(json::serialize(in.id)); it != outgoing_.end()) {
      waiting = it->second;
      outgoing_.erase(it);
    }
  }
  if (!waiting) {
    diag(fmt::format("ignored a JSON-RPC response with id {} (no request of ours waits for it)",
                     json::serialize(in.id)));
    return;
  }
  {
    std::lock_guard lock(waiting->mutex);
    waiting->answered = true;
    waiting->failed = in.failed;
    waiting->result = in.result;
  }
  waiting->token.wake();
}

namespace {

// The client capability a server-to-client method needs ("" for none).
std::string_view capability_for(std::string_view method) {
  if (method == "sampling/createMessage") return "sampling";
  if (method == "elicitation/create") return "elicitation";
  if (method == "roots/list") return "roots";
  return "";
}

client_reply failed_reply(client_request_errc code, std::string message) {
  client_reply r;
  r.failure = code;
  r.message = std::move(message);
  return r;
}

}  // namespace

client_reply engine::request_client(const request_scope& scope, const json::value& related_id,
                                    const cancellation_token& token, std::string_view method,
                                    json::object params,
                                    std::optional<std::chrono::milliseconds> timeout) {
  if (scope.modern()) {
    return failed_reply(
        client_request_errc::unavailable,
        fmt::format("{} cannot be sent in protocol {}: a request there has no session to ask the "
                    "client on (use protocol 2025-11-25, with initialize)",
                    method, to_string(scope.version)));
  }
  if (auto needed = capability_for(method);
      !needed.empty() && !scope.client_capabilities.contains(needed)) {
    return failed_reply(client_request_errc::missing_capability,
                        fmt::format("the client did not declare the {} capability at initialize, "
                                    "so {} cannot be sent; use a client that supports {}",
                                    needed, method, needed));
  }
  if (token.cancelled()) {
    return failed_reply(client_request_errc::cancelled,
                        fmt::format("{} was not sent: the call was cancelled", method));
  }
  auto waiting = std::make_shared<outgoing_request>(token);
  json::value id;
  std::string key;
  {
    std::lock_guard lock(mutex_);
    // Strings of our own: a client's ids may be any integers or strings, but answers to ours
    // come back only as responses, so the two never meet in one table.
    id = json::string(fmt::format("pons-{}", next_outgoing_++));
    key = json::serialize(id);
    outgoing_.emplace(key, waiting);
  }
  json::object request{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
  if (!params.empty()) request["params"] = std::move(params);
  sink_.send_related(json::serialize(request), related_id);

  const auto limit = timeout.value_or(options_.client_request_timeout);
  const bool answered = token.wait_until_ready(limit, [&] {
    std::lock_guard lock(waiting->mutex);
    return waiting->answered;
  });
  if (!answered) {
    {
      std::lock_guard lock(mutex_);
      outgoing_.erase(key);
    }
    // A late answer is now ignored; tell the client to stop working on it.
    const bool cancelled = token.cancelled();
    std::string reason = cancelled ? std::string("the call that asked was cancelled")
                                   : fmt::format("no answer within {} ms", limit.count());
    sink_.send_related(make_notification("notifications/cancelled",
                                         json::object{{"requestId", id}, {"reason", reason}}),
                       related_id);
    return failed_reply(cancelled ? client_request_errc::cancelled : client_request_errc::timed_out,
                        fmt::format("{} got no answer: {}", method, reason));
  }
  std::lock_guard lock(waiting->mutex);
  client_reply r;
  if (!waiting->failed) {
    r.result = std::move(waiting->result);
    return r;
  }
  r.failure = client_request_errc::client_error;
  r.error = waiting->result;
  const json::value* text =
      r.error.is_object() ? r.error.get_object().if_contains("message") : nullptr;
  r.message = fmt::format("the client refused {}: {}", method,
                          text && text->is_string() ? std::string_view(text->get_string())
                                                    : std::string_view("(no message)"));
  return r;
}

engine::outcome engine::do_initialize(const json::object& params) {
  const json::value* requested = params.if_contains("protocolVersion");
  if (!requested || !requested->is_string()) {
    return invalid_params("params.protocolVersion",
                          "must be a string naming the protocol revision you speak, e.g. "
                          "\"2025-11-25\"");
  }
  const json::value* client_caps = params.if_contains("capabilities");
  if (client_caps && !client_caps->is_object()) {
    return invalid_params("params.capabilities", "must be an object");
  }
  protocol_version v = negotiate(requested->get_string());
  {
    std::lock_guard lock(mutex_);
    if (initialized_) {
      return rpc_error{rpc_code::invalid_request,
                       "Invalid Request: initialize was already called in this session", nullptr};
    }
    initialized_ = true;
    version_ = v;
    if (client_caps) client_capabilities_ = client_caps->get_object();
    if (const json::value* info = params.if_contains("clientInfo"); info && info->is_object()) {
      if (const json::value* name = info->get_object().if_contains("name");
          name && name->is_string() && !name->get_string().empty()) {
        client_name_ = name->get_string();
      }
    }
  }
  json::object result;
  result["protocolVersion"] = to_string(v);
  result["capabilities"] = capabilities(v);
  result["serverInfo"] = server_info(v);
  set_if(result, "instructions", options_.instructions);
  return json::value(std::move(result));
}

json::object engine::capabilities(protocol_version v) const {
  json::object caps;
  // In the modern era listChanged and subscribe say what subscriptions/listen delivers.
  caps["tools"] = json::object{{"listChanged", true}};
  caps["resources"] = json::object{{"subscribe", true}, {"listChanged", true}};
  caps["prompts"] = json::object{{"listChanged", false}};
  caps["logging"] = json::object{};
  if (has_annotations(v)) caps["completions"] = json::object{};
  return caps;
}

json::object engine::server_info(protocol_version v) const {
  json::object info;
  info["name"] = options_.server_name;
  if (has_structured_output(v)) set_if(info, "title", options_.server_title);
  info["version"] = options_.server_version;
  return info;
}

engine::outcome engine::do_discover() const {
  json::array versions;
  for (protocol_version v : modern_versions) versions.emplace_back(to_string(v));
  json::object result;
  result["supportedVersions"] = std::move(versions);
  result["capabilities"] = capabilities(latest_modern_version);
  set_if(result, "instructions", options_.instructions);
  return json::value(std::move(result));
}

json::object engine::render_tool(const tool_def& tool, protocol_version v) const {
  json::object t;
  t["name"] = tool.name;
  if (has_structured_output(v)) set_if(t, "title", tool.title);
  t["description"] = tool.description;
  t["inputSchema"] = tool.input_schema;
  if (has_structured_output(v) && tool.output_schema) t["outputSchema"] = *tool.output_schema;
  if (has_annotations(v)) {
    json::object a;
    set_if(a, "title", tool.title);
    const auto& h = tool.annotations;
    if (h.read_only) a["readOnlyHint"] = *h.read_only;
    if (h.destructive) a["destructiveHint"] = *h.destructive;
    if (h.idempotent) a["idempotentHint"] = *h.idempotent;
    if (h.open_world) a["openWorldHint"] = *h.open_world;
    if (!a.empty()) t["annotations"] = std::move(a);
  }
  return t;
}

engine::outcome engine::do_tools_list(const json::object& params,
                                      const request_scope& scope) const {
  protocol_version v = scope.version;
  std::vector<const tool_def*> visible;
  for (const auto& t : registry_.tools())
    if (granted(t)) visible.push_back(&t);
  return paged_list(params, visible, options_.page_size, "tools",
                    [&](const tool_def* t) { return render_tool(*t, v); });
}

bool engine::granted(const tool_def& tool) const {
  if (!options_.granted_scopes) return true;
  const auto& held = *options_.granted_scopes;
  return tool.required_scope &&
         std::find(held.begin(), held.end(), *tool.required_scope) != held.end();
}

engine::outcome engine::render_tool_result(tool_result r, protocol_version v) const {
  // A result built in its own resource is answered from it: moving between resources copies.
  const json::storage_ptr storage = r.structured ? r.structured->storage() : json::storage_ptr();
  json::array content(storage);
  for (auto& item : r.content) {
    if (!item.is_object()) continue;
    auto& obj = item.get_object();
    const json::value* type = obj.if_contains("type");
    std::string_view kind = type && type->is_string() ? std::string_view(type->get_string()) : "";
    // Older revisions know no resource links (2025-06-18) or audio (2025-03-26): say it in text.
    if (kind == "resource_link" && !has_structured_output(v)) {
      const json::value* uri = obj.if_contains("uri");
      const json::value* mime = obj.if_contains("mimeType");
      std::string text = fmt::format(
          "Resource: {}{}", uri && uri->is_string() ? std::string_view(uri->get_string()) : "",
          mime && mime->is_string() ? fmt::format(" ({})", std::string_view(mime->get_string()))
                                    : std::string());
      content.push_back(json::object{{"type", "text"}, {"text", text}});
      continue;
    }
    if (kind == "audio" && !has_annotations(v)) {
      content.push_back(json::object{
          {"type", "text"}, {"text", "(audio content is not available in protocol 2024-11-05)"}});
      continue;
    }
    content.push_back(std::move(item));
  }
  json::object out(storage);
  const bool written = !r.structured_json.empty();
  if (content.empty() && (r.structured || written)) {
    content.push_back(json::object{
        {"type", "text"}, {"text", written ? r.structured_json : json::serialize(*r.structured)}});
  }
  out["content"] = std::move(content);
  // Written JSON, when a tool gave it, is the structured content (never both).
  if (r.structured && !written && has_structured_output(v)) {
    out["structuredContent"] = std::move(*r.structured);
  }
  if (r.is_error) out["isError"] = true;
  if (written && has_structured_output(v)) {
    return result_with_written_member{std::move(out), "structuredContent",
                                      std::move(r.structured_json)};
  }
  return json::value(std::move(out));
}

void engine::run_async(const incoming& in, const batch_ptr& batch, const request_scope& scope,
                       std::function<outcome(call_context&)> work, std::optional<outcome> when_full,
                       bool calls_out) {
  std::string key = json::serialize(in.id);
  cancellation_token token;
  const bool long_wait = when_full.has_value();
  {
    std::unique_lock lock(mutex_);
    if (in_flight_.count(key) || listens_.count(key)) {
      // Answering it would make two responses with one id.
      lock.unlock();
      reply(batch, make_error_response(
                       in.id, rpc_error{rpc_code::invalid_request,
                                        "Invalid Request: a request with this id is still running; "
                                        "use a new id for each request",
                                        nullptr}));
      return;
    }
    // Counted here rather than by idle threads, so a place is free again as soon as the wait
    // that held it has answered or was cancelled.
    if (long_wait && waiting_.size() >= std::max<std::size_t>(options_.max_waits, 1)) {
      lock.unlock();
      answer(in, batch, std::move(*when_full), scope);
      return;
    }
    in_flight_.emplace(key, token);
    ++running_;
    if (long_wait) waiting_.insert(key);
  }
  json::value progress_token = nullptr;
  if (const json::value* meta = in.params.if_contains("_meta"); meta && meta->is_object()) {
    if (const json::value* pt = meta->get_object().if_contains("progressToken");
        pt && valid_id(*pt)) {
      progress_token = *pt;
    }
  }
  auto job = [this, in, batch, key, token, scope, progress_token,
              work = std::move(work)]() mutable {
    const protocol_version v = scope.version;
    call_context::progress_fn progress;
    if (!progress_token.is_null()) {
      progress = [this, progress_token, v](double done, std::optional<double> total,
                                           std::string_view message) {
        json::object p{{"progressToken", progress_token}, {"progress", done}};
        if (total) p["total"] = *total;
        if (!message.empty() && has_annotations(v)) p["message"] = message;
        sink_.send(make_notification("notifications/progress", std::move(p)));
      };
    }
    call_context::log_fn log_to_client;
    if (!scope.modern()) {
      // The legacy session's level (logging/setLevel) decides.
      log_to_client = [this](log_level level, std::string_view message) {
        log(level, "pons", json::value(message));
      };
    } else if (scope.level) {
      // A modern request gets messages only when its _meta asked, at or above that level.
      log_to_client = [this, floor = *scope.level](log_level level, std::string_view message) {
        if (level < floor) return;
        sink_.send(make_notification(
            "notifications/message",
            json::object{{"level", to_string(level)}, {"logger", "pons"}, {"data", message}}));
      };
    }
    call_context ctx(token, v, scope.client_name, std::move(progress), std::move(log_to_client),
                     scope.client_capabilities, options_.account);
    ctx.set_request_fn([this, &scope, &in, &token](std::string_view method, json::object params,
                                                   std::optional<std::chrono::milliseconds> t) {
      return request_client(scope, in.id, token, method, std::move(params), t);
    });
    if (scope.modern()) {
      // A retry after an input_required result carries the client's answers and the state.
      const json::value* responses = in.params.if_contains("inputResponses");
      const json::value* state = in.params.if_contains("requestState");
      ctx.set_input(responses && responses->is_object() ? responses->get_object() : json::object{},
                    state && state->is_string()
                        ? std::optional<std::string>(std::string(state->get_string()))
                        : std::nullopt);
    }
    std::optional<outcome> result;
    try {
      // Cancelled while queued: nobody waits for the answer, so the handler does not run.
      if (!token.cancelled()) result = work(ctx);
    } catch (const std::exception& e) {
      diag(fmt::format("handler for {} failed: {}", in.method, e.what()));
      result = rpc_error{rpc_code::internal_error,
                         fmt::format("Internal error while handling {}: {}", in.method, e.what()),
                         nullptr};
    }
    // The id is free again before the answer leaves, so a client that reuses it at once is not
    // refused; `running_` keeps the engine alive until the answer is out.
    bool cancelled;
    {
      std::lock_guard lock(mutex_);
      cancelled = token.cancelled();
      in_flight_.erase(key);
      waiting_.erase(key);
    }
    // A cancelled request gets no answer (the client has stopped waiting for it).
    if (cancelled) {
      reply(batch, std::nullopt);
    } else {
      answer(in, batch, std::move(*result), scope);
    }
    // Notify under the lock: once it is released this job touches the engine no more, so a
    // shutdown() woken by it may destroy the engine at once.
    std::lock_guard lock(mutex_);
    --running_;
    idle_cv_.notify_all();
  };
  worker_pool* lane = calls_out ? &call_out_pool_ : &pool_;
  if (long_wait) {
    // Started on the first long wait: an engine serving one quick request starts no thread.
    std::lock_guard lock(mutex_);
    if (!waits_) {
      // Room in the queue for waits that start while cancelled ones are still unwinding.
      const std::size_t threads = std::max<std::size_t>(options_.max_waits, 1);
      waits_ = std::make_unique<worker_pool>(threads, 2 * threads);
    }
    lane = waits_.get();
  }
  if (!lane->post(std::move(job))) {
    {
      std::lock_guard lock(mutex_);
      in_flight_.erase(key);
      --running_;
      waiting_.erase(key);
      idle_cv_.notify_all();
    }
    answer(in, batch,
           rpc_error{rpc_code::server_busy,
                     "Server busy: too many requests are running; retry in a moment", nullptr});
  }
}

void engine::do_tools_call(const incoming& in, const batch_ptr& batch, const request_scope& scope) {
  const json::value* name = in.params.if_contains("name");
  if (!name || !name->is_string()) {
    return answer(in, batch, invalid_params("params.name", "must be the name of a tool"), scope);
  }
  const tool_def* tool = registry_.find_tool(name->get_string());
  if (!tool) {
    std::vector<std::string> names;
    for (const auto& t : registry_.tools())
      if (granted(t)) names.push_back(t.name);
    return answer(in, batch,
                  rpc_error{rpc_code::invalid_params,
                            fmt::format("Unknown tool: {} (available: {})",
                                        std::string_view(name->get_string()),
                                        names.empty() ? std::string("none") : join_names(names)),
                            json::object{{"field", "params.name"}, {"reason", "unknown tool"}}},
                  scope);
  }
  if (!granted(*tool)) {
    // A transport with keys refuses such a call before the engine sees it (403); this keeps a
    // transport that forgot to from running it.
    const auto needed = tool->required_scope ? to_string(*tool->required_scope) : "";
    return answer(
        in, batch,
        rpc_error{rpc_code::invalid_request,
                  tool->required_scope
                      ? fmt::format("Tool {} needs an API key with the {} scope, which this key "
                                    "lacks; an administrator can create a key that has it",
                                    tool->name, needed)
                      : fmt::format("Tool {} cannot be called with an API key", tool->name),
                  json::object{{"tool", tool->name}, {"requiredScope", needed}}},
        scope);
  }
  if (!tool->required_client_capabilities.empty()) {
    json::object missing =
        missing_capabilities(tool->required_client_capabilities, scope.client_capabilities);
    if (!missing.empty()) {
      rpc_error err = missing_capability_error(fmt::format("tool {}", tool->name), missing);
      if (!scope.modern()) {
        // The legacy era has no code of its own for this: the request cannot be served as sent.
        err.code = rpc_code::invalid_params;
        err.message = fmt::format(
            "Invalid params: tool {} needs the client capabilities {}; declare them in "
            "initialize's params.capabilities if the client supports them",
            tool->name, json::serialize(missing));
        err.data = json::object{{"field", "capabilities"},
                                {"reason", "missing client capability"},
                                {"requiredCapabilities", std::move(missing)}};
      }
      return answer(in, batch, err, scope);
    }
  }
  json::value args = json::object{};
  if (const json::value* a = in.params.if_contains("arguments"); a && !a->is_null()) {
    if (!a->is_object()) {
      return answer(in, batch, invalid_params("params.arguments", "must be an object"), scope);
    }
    args = *a;
  }
  if (auto bad = check_schema(tool->input_schema, args, "arguments")) {
    rpc_error err = invalid_params(bad->field, bad->reason);
    err.message =
        fmt::format("Invalid params for tool {}: {}: {}", tool->name, bad->field, bad->reason);
    err.data.as_object()["tool"] = tool->name;
    return answer(in, batch, err, scope);
  }
  std::optional<outcome> when_full;
  if (tool->long_wait) {
    std::size_t limit = std::max<std::size_t>(options_.max_waits, 1);
    when_full = render_tool_result(
        tool_result::error(fmt::format(
            "{0} is already waiting in {1} other call{2}, the most pons-mcp lets wait at once. "
            "Try again once one of them has returned (or after cancelling one); the other tools "
            "keep answering meanwhile.",
            tool->name, limit, limit == 1 ? "" : "s")),
        scope.version);
  }
  run_async(
      in, batch, scope,
      [this, tool, args = std::move(args)](call_context& ctx) -> outcome {
        tool_result r = tool->handler(args.get_object(), ctx);
        if (r.protocol_error) return *r.protocol_error;
        if (r.input_required) return input_required_outcome(std::move(*r.input_required), ctx);
        return render_tool_result(std::move(r), ctx.version());
      },
      std::move(when_full), tool->calls_out);
}

engine::outcome engine::do_resources_list(const json::object& params,
                                          const request_scope& scope) const {
  bool titles = has_structured_output(scope.version);
  return paged_list(params, registry_.list_resources(options_.account), options_.page_size,
                    "resources", [&](const auto& r) {
                      json::object o{{"uri", r.uri}, {"name", r.name}};
                      describe(o, titles, r.title, r.description, r.mime_type);
                      return o;
                    });
}

engine::outcome engine::do_templates_list(const json::object& params,
                                          const request_scope& scope) const {
  bool titles = has_structured_output(scope.version);
  return paged_list(params, registry_.resource_templates(), options_.page_size, "resourceTemplates",
                    [&](const auto& t) {
                      json::object o{{"uriTemplate", t.uri_template}, {"name", t.name}};
                      describe(o, titles, t.title, t.description, t.mime_type);
                      return o;
                    });
}

bool engine::resource_exists(std::string_view uri) const {
  if (registry_.find_resource(uri)) return true;
  for (const auto& t : registry_.resource_templates()) {
    if (match_uri_template(t.uri_template, uri)) return true;
  }
  return false;
}

void engine::do_resources_read(const incoming& in, const batch_ptr& batch,
                               const request_scope& scope) {
  const json::value* uri = in.params.if_contains("uri");
  if (!uri || !uri->is_string()) {
    return answer(in, batch, invalid_params("params.uri", "must be a resource URI string"), scope);
  }
  std::string target(uri->get_string());
  run_async(in, batch, scope, [this, target](call_context& ctx) -> outcome {
    resource_result r;
    if (const resource_def* fixed = registry_.find_resource(target)) {
      r = fixed->read(target, ctx);
    } else {
      bool matched = false;
      for (const auto& t : registry_.resource_templates()) {
        if (auto vars = match_uri_template(t.uri_template, target)) {
          r = t.read(target, *vars, ctx);
          matched = true;
          break;
        }
      }
      if (!matched) r = resource_result::not_found(target);
    }
    if (r.error) return *r.error;
    return json::value(json::object{{"contents", std::move(r.contents)}});
  });
}

engine::outcome engine::do_subscribe(const json::object& params, bool subscribe) {
  const json::value* uri = params.if_contains("uri");
  if (!uri || !uri->is_string()) {
    return invalid_params("params.uri", "must be a resource URI string");
  }
  std::string_view target = uri->get_string();
  if (subscribe && !resource_exists(target))
    return resource_result::not_found(target).error.value();
  std::lock_guard lock(mutex_);
  if (subscribe) {
    subscriptions_.emplace(target);
  } else if (auto it = subscriptions_.find(target); it != subscriptions_.end()) {
    subscriptions_.erase(it);
  }
  return json::value(success());
}

engine::outcome engine::do_prompts_list(const json::object& params,
                                        const request_scope& scope) const {
  bool titles = has_structured_output(scope.version);
  return paged_list(params, registry_.prompts(), options_.page_size, "prompts", [&](const auto& p) {
    json::object o{{"name", p.name}};
    if (titles) set_if(o, "title", p.title);
    set_if(o, "description", p.description);
    json::array args;
    for (const auto& a : p.arguments) {
      json::object ao{{"name", a.name}, {"required", a.required}};
      set_if(ao, "description", a.description);
      args.push_back(std::move(ao));
    }
    o["arguments"] = std::move(args);
    return o;
  });
}

void engine::do_prompts_get(const incoming& in, const batch_ptr& batch,
                            const request_scope& scope) {
  const json::value* name = in.params.if_contains("name");
  if (!name || !name->is_string()) {
    return answer(in, batch, invalid_params("params.name", "must be the name of a prompt"), scope);
  }
  const prompt_def* prompt = registry_.find_prompt(name->get_string());
  if (!prompt) {
    std::vector<std::string> names;
    for (const auto& p : registry_.prompts()) names.push_back(p.name);
    return answer(in, batch,
                  rpc_error{rpc_code::invalid_params,
                            fmt::format("Unknown prompt: {} (available: {})",
                                        std::string_view(name->get_string()),
                                        names.empty() ? std::string("none") : join_names(names)),
                            json::object{{"field", "params.name"}, {"reason", "unknown prompt"}}},
                  scope);
  }
  std::map<std::string, std::string> args;
  if (const json::value* a = in.params.if_contains("arguments"); a && !a->is_null()) {
    if (!a->is_object()) {
      return answer(in, batch, invalid_params("params.arguments", "must be an object of strings"),
                    scope);
    }
    for (const auto& [key, value] : a->get_object()) {
      if (!value.is_string()) {
        return answer(in, batch,
                      invalid_params(fmt::format("params.arguments.{}", std::string_view(key)),
                                     "must be a string"),
                      scope);
      }
      args.emplace(std::string(key), std::string(value.get_string()));
    }
  }
  for (const auto& declared : prompt->arguments) {
    if (declared.required && !args.count(declared.name)) {
      return answer(in, batch,
                    invalid_params(fmt::format("params.arguments.{}", declared.name),
                                   fmt::format("is required by prompt {}", prompt->name)),
                    scope);
    }
  }
  run_async(in, batch, scope, [prompt, args = std::move(args)](call_context& ctx) -> outcome {
    prompt_result r = prompt->get(args, ctx);
    if (r.error) return *r.error;
    if (r.input_required) return input_required_outcome(std::move(*r.input_required), ctx);
    json::object result;
    set_if(result, "description", r.description);
    result["messages"] = std::move(r.messages);
    return json::value(std::move(result));
  });
}

engine::outcome engine::do_set_level(const json::object& params) {
  const json::value* level = params.if_contains("level");
  std::optional<log_level> parsed;
  if (level && level->is_string()) parsed = parse_log_level(level->get_string());
  if (!parsed) {
    return invalid_params("params.level",
                          "must be one of debug, info, notice, warning, error, critical, alert, "
                          "emergency");
  }
  std::lock_guard lock(mutex_);
  level_ = *parsed;
  return json::value(success());
}

void engine::do_complete(const incoming& in, const batch_ptr& batch, const request_scope& scope) {
  const json::value* ref = in.params.if_contains("ref");
  if (!ref || !ref->is_object()) {
    return answer(in, batch,
                  invalid_params("params.ref",
                                 "must be {type: \"ref/prompt\", name} or "
                                 "{type: \"ref/resource\", uri}"),
                  scope);
  }
  const json::value* argument = in.params.if_contains("argument");
  if (!argument || !argument->is_object()) {
    return answer(in, batch, invalid_params("params.argument", "must be {name, value}"), scope);
  }
  const json::value* arg_name = argument->get_object().if_contains("name");
  const json::value* arg_value = argument->get_object().if_contains("value");
  if (!arg_name || !arg_name->is_string()) {
    return answer(in, batch, invalid_params("params.argument.name", "must be a string"), scope);
  }
  if (!arg_value || !arg_value->is_string()) {
    return answer(in, batch, invalid_params("params.argument.value", "must be a string"), scope);
  }
  std::map<std::string, std::string> context;
  if (const json::value* c = in.params.if_contains("context"); c && c->is_object()) {
    if (const json::value* a = c->get_object().if_contains("arguments"); a && a->is_object()) {
      for (const auto& [key, value] : a->get_object()) {
        if (value.is_string()) context.emplace(std::string(key), std::string(value.get_string()));
      }
    }
  }
  const auto& r = ref->get_object();
  const json::value* type = r.if_contains("type");
  std::string_view kind = type && type->is_string() ? std::string_view(type->get_string()) : "";
  const completer* fn = nullptr;
  if (kind == "ref/prompt") {
    const json::value* name = r.if_contains("name");
    const prompt_def* p =
        name && name->is_string() ? registry_.find_prompt(name->get_string()) : nullptr;
    if (!p)
      return answer(in, batch, invalid_params("params.ref.name", "is not a known prompt"), scope);
    fn = &p->complete;
  } else if (kind == "ref/resource") {
    const json::value* uri = r.if_contains("uri");
    if (!uri || !uri->is_string()) {
      return answer(in, batch, invalid_params("params.ref.uri", "must be a string"), scope);
    }
    for (const auto& t : registry_.resource_templates()) {
      if (t.uri_template == uri->get_string()) fn = &t.complete;
    }
    if (!fn) {
      return answer(in, batch, invalid_params("params.ref.uri", "is not a known resource template"),
                    scope);
    }
  } else {
    return answer(in, batch,
                  invalid_params("params.ref.type", "must be \"ref/prompt\" or \"ref/resource\""),
                  scope);
  }
  std::string name(arg_name->get_string());
  std::string value(arg_value->get_string());
  run_async(in, batch, scope, [fn, name, value, context](call_context& ctx) -> outcome {
    std::vector<std::string> values;
    if (*fn) values = (*fn)(name, value, context, ctx);
    json::array out;
    for (std::size_t i = 0; i < values.size() && i < max_completion_values; ++i) {
      out.emplace_back(values[i]);
    }
    json::object completion{{"values", std::move(out)},
                            {"total", values.size()},
                            {"hasMore", values.size() > max_completion_values}};
    return json::value(json::object{{"completion", std::move(completion)}});
  });
}

void engine::do_listen(const incoming& in, const batch_ptr& batch, const request_scope& scope) {
  if (batch) {
    return answer(in, batch,
                  rpc_error{rpc_code::invalid_request,
                            "Invalid Request: subscriptions/listen stays open until cancelled, so "
                            "it cannot be part of a batch; send it on its own line",
                            nullptr});
  }
  const json::value* filter = in.params.if_contains("notifications");
  if (!filter || !filter->is_object()) {
    return answer(in, batch,
                  invalid_params("params.notifications",
                                 "must be an object naming what to receive, e.g. "
                                 "{\"resourceSubscriptions\": [\"pons://inbox\"]}"),
                  scope);
  }
  const json::object& wanted = filter->get_object();
  auto flag = [&](std::string_view name, bool& out) -> std::optional<rpc_error> {
    const json::value* v = wanted.if_contains(name);
    if (!v || v->is_null()) return std::nullopt;
    if (!v->is_bool()) {
      return invalid_params(fmt::format("params.notifications.{}", name), "must be a boolean");
    }
    out = v->get_bool();
    return std::nullopt;
  };
  bool tools = false;
  bool prompts = false;  // checked, never delivered (see below)
  bool resources = false;
  for (auto [name, out] : {std::pair<std::string_view, bool*>{"toolsListChanged", &tools},
                           {"promptsListChanged", &prompts},
                           {"resourcesListChanged", &resources}}) {
    if (auto err = flag(name, *out)) return answer(in, batch, *err, scope);
  }
  listen_state state;
  state.id = in.id;
  state.tools = tools;
  state.resources = resources;
  // The URIs it agreed to watch, in the client's order: only resources that exist or that a
  // template describes (a conversation that has no message yet included).
  json::array honoured_uris;
  if (const json::value* uris = wanted.if_contains("resourceSubscriptions");
      uris && !uris->is_null()) {
    const std::string field = "params.notifications.resourceSubscriptions";
    if (!uris->is_array()) {
      return answer(in, batch, invalid_params(field, "must be an array"), scope);
    }
    if (uris->get_array().size() > options_.max_listen_uris) {
      return answer(in, batch,
                    invalid_params(field, fmt::format("may hold at most {} URIs; open another "
                                                      "subscriptions/listen for the rest",
                                                      options_.max_listen_uris)),
                    scope);
    }
    for (const auto& uri : uris->get_array()) {
      if (!uri.is_string()) {
        return answer(in, batch, invalid_params(field, "must hold resource URI strings"), scope);
      }
      std::string_view u = uri.get_string();
      if (!resource_exists(u) || state.uris.count(u)) continue;
      state.uris.emplace(u);
      honoured_uris.emplace_back(u);
    }
  }
  // What the acknowledgement promises. Prompts never change while the server runs (the
  // capability says listChanged: false), so a promptsListChanged asked for is checked above and
  // left out.
  json::object agreed;
  if (state.tools) agreed["toolsListChanged"] = true;
  if (state.resources) agreed["resourcesListChanged"] = true;
  if (!honoured_uris.empty()) agreed["resourceSubscriptions"] = std::move(honoured_uris);

  const std::string key = json::serialize(in.id);
  std::lock_guard send_lock(listen_send_mutex_);
  std::optional<rpc_error> refused;
  {
    std::lock_guard lock(mutex_);
    if (in_flight_.count(key) || listens_.count(key)) {
      refused = rpc_error{rpc_code::invalid_request,
                          "Invalid Request: a request with this id is still running; use a new id "
                          "for each request",
                          nullptr};
    } else if (listens_.size() >= std::max<std::size_t>(options_.max_listens, 1)) {
      refused =
          rpc_error{rpc_code::server_busy,
                    fmt::format("Server busy: {} subscriptions/listen streams are open, the "
                                "most this server keeps; cancel one (notifications/cancelled) "
                                "or add its filters to it",
                                listens_.size()),
                    nullptr};
    } else {
      listens_.emplace(key, std::move(state));
    }
  }
  if (refused) return answer(in, batch, *refused, scope);
  // Still under the send lock: nothing reaches this stream before its acknowledgement.
  sink_.send(make_notification("notifications/subscriptions/acknowledged",
                               json::object{{"_meta", json::object{{meta_subscription_id, in.id}}},
                                            {"notifications", std::move(agreed)}}));
}

bool engine::cancel_listen(const std::string& key) {
  std::lock_guard send_lock(listen_send_mutex_);
  std::lock_guard lock(mutex_);
  return listens_.erase(key) > 0;
}

void engine::end_subscriptions(std::string_view reason) {
  std::lock_guard send_lock(listen_send_mutex_);
  std::map<std::string, listen_state, std::less<>> ending;
  {
    std::lock_guard lock(mutex_);
    ending.swap(listens_);
  }
  const json::object info = server_info(latest_modern_version);
  for (auto& [key, listen] : ending) {
    json::object result{
        {"resultType", "complete"},
        {"_meta", json::object{{meta_subscription_id, listen.id}, {meta_server_info, info}}}};
    sink_.send(make_response(listen.id, std::move(result)));
    if (options_.cancel_ended_streams) {
      sink_.send(make_notification("notifications/cancelled",
                                   json::object{{"requestId", listen.id}, {"reason", reason}}));
    }
  }
}

void engine::notify_resource_updated(std::string_view uri) {
  bool legacy;
  {
    std::lock_guard lock(mutex_);
    legacy = initialized_ && subscriptions_.count(uri);
  }
  if (legacy) {
    sink_.send(make_notification("notifications/resources/updated", json::object{{"uri", uri}}));
  }
  std::lock_guard send_lock(listen_send_mutex_);
  std::vector<json::value> streams;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [key, listen] : listens_) {
      if (listen.uris.count(uri)) streams.push_back(listen.id);
    }
  }
  for (auto& id : streams) {
    sink_.send(make_notification(
        "notifications/resources/updated",
        json::object{{"_meta", json::object{{meta_subscription_id, std::move(id)}}},
                     {"uri", uri}}));
  }
}

void engine::notify_list_changed(std::string_view which) {
  const std::string method = fmt::format("notifications/{}/list_changed", which);
  if (initialized()) sink_.send(make_notification(method, {}));
  std::lock_guard send_lock(listen_send_mutex_);
  std::vector<json::value> streams;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [key, listen] : listens_) {
      if ((which == "tools" && listen.tools) || (which == "resources" && listen.resources)) {
        streams.push_back(listen.id);
      }
    }
  }
  for (auto& id : streams) {
    sink_.send(make_notification(
        method, json::object{{"_meta", json::object{{meta_subscription_id, std::move(id)}}}}));
  }
}

void engine::log(log_level level, std::string_view logger, json::value data) {
  {
    std::lock_guard lock(mutex_);
    if (!initialized_ || level < level_) return;
  }
  json::object p{{"level", to_string(level)}, {"data", std::move(data)}};
  if (!logger.empty()) p["logger"] = logger;
  sink_.send(make_notification("notifications/message", std::move(p)));
}

}  // namespace pons::mcp
