#include "pons/mcp/jsonrpc.hpp"

#include <fmt/core.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "pons/mcp/json_text.hpp"

namespace pons::mcp {

rpc_error invalid_params(std::string_view field, std::string_view why) {
  return {rpc_code::invalid_params, fmt::format("Invalid params: {}: {}", field, why),
          json::object{{"field", field}, {"reason", why}}};
}

std::optional<json::value> parse_json(std::string_view text, std::size_t max_depth,
                                      rpc_error& err) {
  json::parse_options opts;
  opts.max_depth = max_depth;
  json::error_code ec;
  json::value v = json::parse(text, ec, json::storage_ptr(), opts);
  if (ec) {
    err = {rpc_code::parse_error,
           fmt::format("Parse error: {} (send one complete JSON-RPC message per line, nesting "
                       "at most {} levels)",
                       ec.message(), max_depth),
           nullptr};
    return std::nullopt;
  }
  return v;
}

bool valid_id(const json::value& id) {
  return id.is_string() || id.is_int64() || id.is_uint64();
}

namespace {

incoming invalid(json::value id, std::string message, rpc_code code = rpc_code::invalid_request) {
  incoming in;
  in.type = incoming::kind::invalid;
  in.id = std::move(id);
  in.error = rpc_error{code, std::move(message), nullptr};
  return in;
}

}  // namespace

incoming classify(const json::value& message) {
  if (!message.is_object()) {
    return invalid(nullptr, "Invalid Request: a JSON-RPC message must be a JSON object");
  }
  const auto& obj = message.get_object();
  // Keep a usable id for the error answer when the id itself is well formed.
  json::value id = nullptr;
  const json::value* id_field = obj.if_contains("id");
  if (id_field && valid_id(*id_field)) id = *id_field;

  const json::value* version = obj.if_contains("jsonrpc");
  if (!version || !version->is_string() || version->get_string() != "2.0") {
    return invalid(id, "Invalid Request: \"jsonrpc\" must be \"2.0\"");
  }
  const json::value* method = obj.if_contains("method");
  if (!method) {
    if (obj.contains("result") || obj.contains("error")) {
      incoming in;
      in.type = incoming::kind::response;
      in.id = id;
      in.failed = !obj.contains("result");
      in.result = in.failed ? obj.at("error") : obj.at("result");
      return in;
    }
    return invalid(id, "Invalid Request: a message needs \"method\" (or \"result\"/\"error\")");
  }
  if (!method->is_string()) return invalid(id, "Invalid Request: \"method\" must be a string");
  if (id_field && !valid_id(*id_field)) {
    return invalid(nullptr,
                   "Invalid Request: \"id\" must be a string or an integer (null is not allowed)");
  }
  incoming in;
  in.type = id_field ? incoming::kind::request : incoming::kind::notification;
  in.id = id;
  in.method = method->get_string();
  if (const json::value* params = obj.if_contains("params")) {
    if (!params->is_object()) {
      incoming bad =
          invalid(id, "Invalid params: params: must be an object", rpc_code::invalid_params);
      bad.method = in.method;
      // A malformed notification is still a notification: it gets no answer.
      if (!id_field) bad.type = incoming::kind::notification;
      return bad;
    }
    in.params = params->get_object();
  }
  return in;
}

namespace {

// The start every success response shares: `{"jsonrpc":"2.0","id":ID,"result":`.
void open_response(std::string& out, const json::value& id) {
  out += R"({"jsonrpc":"2.0","id":)";
  append_json(out, id);
  out += R"(,"result":)";
}

}  // namespace

std::string make_response(const json::value& id, json::value result) {
  std::string out;
  open_response(out, id);
  append_json(out, result);
  out += '}';
  return out;
}

std::string make_response(const json::value& id, result_with_written_member result) {
  // Written in one pass into a string sized for the written member (a page of messages, most
  // of the answer), which goes between the result's last member and its brace.
  std::string out;
  out.reserve(result.json.size() + 8 * 1024);
  open_response(out, id);
  append_json(out, result.rest);
  out.pop_back();
  if (!result.rest.empty()) out += ',';
  out += '"';
  out += result.name;
  out += "\":";
  out += result.json;
  out += "}}";
  return out;
}

std::string make_error_response(const json::value& id, const rpc_error& error) {
  json::object err;
  err["code"] = static_cast<int>(error.code);
  err["message"] = error.message;
  if (!error.data.is_null()) err["data"] = error.data;
  json::object msg;
  msg["jsonrpc"] = "2.0";
  msg["id"] = id;
  msg["error"] = std::move(err);
  return json::serialize(msg);
}

std::string make_notification(std::string_view method, json::object params) {
  json::object msg;
  msg["jsonrpc"] = "2.0";
  msg["method"] = method;
  if (!params.empty()) msg["params"] = std::move(params);
  return json::serialize(msg);
}

}  // namespace pons::mcp
