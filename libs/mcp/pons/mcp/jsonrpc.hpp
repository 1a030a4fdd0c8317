#pragma once
// JSON-RPC 2.0 message classification and encoding for MCP. Pure: no I/O, no clock.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace pons::mcp {

namespace json = boost::json;

/// The JSON-RPC 2.0 error codes, plus the MCP ones we use, as sent on the wire.
enum class rpc_code : int {
  parse_error = -32700,
  invalid_request = -32600,
  method_not_found = -32601,
  invalid_params = -32602,
  internal_error = -32603,
  server_busy = -32000,
  resource_not_found = -32002,            // legacy era only; the modern era says -32602
  header_mismatch = -32020,               // modern era, HTTP: a header disagrees with the body
  missing_client_capability = -32021,     // modern era: data.requiredCapabilities
  unsupported_protocol_version = -32022,  // modern era: data.supported, data.requested
};

/// An error answer: a code, a message that says what went wrong and what to do, optional data.
struct rpc_error {
  rpc_code code = rpc_code::internal_error;
  std::string message;
  json::value data;  // null when absent
};

/// Shorthand for an invalid-params error naming the field and the reason.
rpc_error invalid_params(std::string_view field, std::string_view why);

/// What one JSON-RPC message turned out to be.
struct incoming {
  enum class kind { request, notification, response, invalid };
  kind type = kind::invalid;
  json::value id;  // request id (string or integer); null for notifications and unknown ids
  std::string method;
  json::object params;
  std::optional<rpc_error> error;  // set when type == invalid
  json::value result;              // response: its "result", or its "error" object
  bool failed = false;             // response: it carried "error"
};

/// Parses one JSON text with a nesting limit. On failure `err` holds a -32700 error.
std::optional<json::value> parse_json(std::string_view text, std::size_t max_depth, rpc_error& err);

/// Classifies a parsed JSON value as a request, notification, response or invalid message.
incoming classify(const json::value& message);

/// Serialises a success response.
std::string make_response(const json::value& id, json::value result);

/// A result with one member already written as JSON text: a large tool result is answered as
/// its tool wrote it rather than parsed into objects and serialised again.
struct result_with_written_member {
  json::object rest;      // every other member of the result
  std::string_view name;  // the written member's name: a literal that needs no escaping
  std::string json;       // its value, one complete JSON text
};

/// Serialises a success response whose result has a written member (placed last).
std::string make_response(const json::value& id, result_with_written_member result);

/// Serialises an error response; `id` is null when the request's id could not be read.
std::string make_error_response(const json::value& id, const rpc_error& error);

/// Serialises a notification (`params` omitted when empty).
std::string make_notification(std::string_view method, json::object params);

/// True for a valid MCP request id: a string or an integer (never null, never fractional).
bool valid_id(const json::value& id);

}  // namespace pons::mcp
