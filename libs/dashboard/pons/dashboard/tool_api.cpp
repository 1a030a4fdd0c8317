#include "pons/dashboard/tool_api.hpp"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>
#include <exception>
#include <optional>
#include <variant>

#include "pons/dashboard/answers.hpp"
#include "pons/dashboard/query_arguments.hpp"
#include "pons/dashboard/worker_call.hpp"
#include "pons/http/media_type.hpp"
#include "pons/mcp/call_context.hpp"
#include "pons/mcp/schema_check.hpp"

namespace pons::dashboard {

namespace net = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::string_view route_prefix = "/api/v1/tools/";
// Arguments are small (the longest is a message body of 4,096 characters); a bigger body is a
// mistake or an attack, and is refused before it is parsed.
constexpr std::size_t arguments_limit = 256 * 1024;

// The arguments of a POST: a JSON object, or nothing for a tool without arguments.
std::variant<json::object, std::string> body_arguments(const http::server_request& req) {
  if (req.body.empty()) return json::object{};
  if (!http::has_media_type(req.header("Content-Type"), "application/json"))
    return "send the arguments as application/json";
  json::parse_options options;
  options.max_depth = 32;
  boost::system::error_code ec;
  json::value v = json::parse(req.body, ec, {}, options);
  if (ec) return fmt::format("the body is not valid JSON ({})", ec.message());
  if (!v.is_object()) return "the arguments must be a JSON object";
  return std::move(v.get_object());
}

// The text blocks of a result, one per line: what the tool says when it refuses.
std::string text_of(const json::array& content) {
  std::string out;
  for (const auto& item : content) {
    const auto* o = item.if_object();
    const auto* text = o ? o->if_contains("text") : nullptr;
    if (!text || !text->is_string()) continue;
    if (!out.empty()) out += '\n';
    out += std::string_view(text->get_string());
  }
  return out;
}

http::server_response from_result(mcp::tool_result r) {
  if (r.protocol_error) return json_error(400, r.protocol_error->message);
  if (r.input_required) {
    return json_error(501, "this tool needs answers only an assistant can give: call it over MCP");
  }
  if (r.is_error) return json_error(422, text_of(r.content));
  if (r.structured) return json_answer(200, *r.structured);
  if (!r.structured_json.empty()) {
    r.structured_json += '\n';
    return answer(200, "application/json", std::move(r.structured_json));
  }
  return json_answer(200, json::object{{"content", std::move(r.content)}});
}

}  // namespace

tool_access access_of(const mcp::tool_def& tool) {
  tool_access a;
  if (!tool.required_scope || tool.long_wait || !tool.required_client_capabilities.empty())
    return a;
  a.offered = true;
  a.reads_only = *tool.required_scope == mcp::scope::read;
  a.needs_send = *tool.required_scope == mcp::scope::send;
  a.needs_admin = tool.administrative;
  return a;
}

struct tool_api::impl : std::enable_shared_from_this<impl> {
  impl(const mcp::registry& t, mcp::worker_pool& w, mcp::worker_pool& c, const guard& g)
      : tools(t), workers(w), call_out_workers(c), access(g) {}

  const mcp::registry& tools;
  mcp::worker_pool& workers;
  mcp::worker_pool& call_out_workers;
  const guard& access;

  // Who may call it: nullopt when the principal may, else the refusal.
  static std::optional<http::server_response> refused(const principal& who, const tool_access& a) {
    // A key's power is its scope; a signed-in user's is their role.
    if (a.needs_admin && who.how == principal::via::session && !who.may(store::user_role::admin))
      return json_error(403, "this needs the admin role or higher; an owner can change roles");
    if (a.needs_send && !who.can_send)
      return json_error(403, "this key may only read: sending needs a key with the send scope");
    return std::nullopt;
  }

  net::awaitable<http::server_response> call(http::server_request& req, const mcp::tool_def& tool,
                                             bool from_query) {
    auto verdict = access.check(req);
    if (verdict.status != 0) co_return from_verdict(verdict);
    const principal who = verdict.who;
    if (auto refusal = refused(who, access_of(tool))) co_return std::move(*refusal);

    json::object args;
    if (from_query) {
      auto parsed = query_arguments(req.query, tool.input_schema);
      if (auto* bad = std::get_if<query_argument_error>(&parsed))
        co_return json_error(400, fmt::format("{}: {}", bad->name, bad->why));
      args = std::move(std::get<json::object>(parsed));
    } else {
      if (req.body.size() > arguments_limit)
        co_return json_error(413, "the arguments are too large");
      auto parsed = body_arguments(req);
      if (auto* bad = std::get_if<std::string>(&parsed)) co_return json_error(400, *bad);
      args = std::move(std::get<json::object>(parsed));
    }
    if (auto bad = mcp::check_schema(tool.input_schema, args, "arguments"))
      co_return json_error(400, fmt::format("{}: {}", bad->field, bad->reason));

    auto scope = who.waba_id.empty() ? mcp::account_scope::every_account()
                                     : mcp::account_scope::only(who.waba_id);
    // A named job, moved in: GCC 12 destroys a lambda written as a coroutine's argument twice.
    auto job = [&tool, args = std::move(args), scope = std::move(scope),
                client = fmt::format("dashboard {}", who.label())]() {
      mcp::call_context ctx(mcp::cancellation_token{}, mcp::protocol_version::v2025_11_25, client,
                            {}, {}, {}, scope);
      try {
        return tool.handler(args, ctx);
      } catch (const std::exception&) {
        return mcp::tool_result::error("the tool failed unexpectedly; the log says more");
      }
    };
    auto result = co_await on_worker(tool.calls_out ? call_out_workers : workers, std::move(job));
    if (!result) {
      auto r = json_error(503, "Pons is busy: try again in a moment");
      r.headers.emplace_back("Retry-After", "1");
      co_return r;
    }
    auto r = from_result(std::move(*result));
    r.log_note = fmt::format("tool={} principal={}", tool.name, who.label());
    co_return r;
  }
};

tool_api::tool_api(const mcp::registry& tools, mcp::worker_pool& workers,
                   mcp::worker_pool& call_out_workers, const guard& access)
    : impl_(std::make_shared<impl>(tools, workers, call_out_workers, access)) {}

void tool_api::add_routes(http::router& routes) {
  for (const auto& tool : impl_->tools.tools()) {
    const auto a = access_of(tool);
    if (!a.offered) continue;
    const std::string path = fmt::format("{}{}", route_prefix, tool.name);
    const mcp::tool_def* t = &tool;
    auto i = impl_;
    if (a.reads_only) {
      routes.add("GET", path,
                 [i, t](http::server_request& r) { return i->call(r, *t, /*from_query=*/true); });
    }
    routes.add("POST", path,
               [i, t](http::server_request& r) { return i->call(r, *t, /*from_query=*/false); });
  }
}

}  // namespace pons::dashboard
