#pragma once
// The per-request protocol fields of the modern era (protocol 2026-07-28): every request carries
// its revision, the client's capabilities and, optionally, the client's identity and a log level
// in params._meta. Pure: reads JSON, no I/O.

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "pons/mcp/call_context.hpp"
#include "pons/mcp/jsonrpc.hpp"
#include "pons/mcp/protocol_version.hpp"

namespace pons::mcp {

/// _meta key of the request's protocol revision (required in the modern era).
inline constexpr std::string_view meta_protocol_version = "io.modelcontextprotocol/protocolVersion";
/// _meta key of the client's capabilities for this request (required in the modern era).
inline constexpr std::string_view meta_client_capabilities =
    "io.modelcontextprotocol/clientCapabilities";
/// _meta key of the client's name and version (should be sent).
inline constexpr std::string_view meta_client_info = "io.modelcontextprotocol/clientInfo";
/// _meta key of the lowest level of notifications/message this request wants (optional).
inline constexpr std::string_view meta_log_level = "io.modelcontextprotocol/logLevel";
/// Result _meta key naming the server.
inline constexpr std::string_view meta_server_info = "io.modelcontextprotocol/serverInfo";
/// Notification (and closing result) _meta key naming the subscriptions/listen request.
inline constexpr std::string_view meta_subscription_id = "io.modelcontextprotocol/subscriptionId";

/// What a modern request says about itself.
struct request_meta {
  protocol_version version = latest_modern_version;
  json::object client_capabilities;
  std::string client_name = "unknown";  // clientInfo.name
  std::optional<log_level> level;       // no notifications/message for the request when unset
};

/// The era a request belongs to. Modern when its params._meta carries any of the per-request
/// fields (protocolVersion, clientCapabilities, clientInfo, logLevel) or its method exists only
/// in the modern era (server/discover, subscriptions/listen); legacy otherwise. An initialize
/// that names params.protocolVersion is legacy whatever its _meta holds.
protocol_era request_era(std::string_view method, const json::object& params);

/// True for the methods of the modern era (server/discover, subscriptions/listen, and the
/// tools, resources, prompts and completion methods); initialize, ping, logging/setLevel and
/// resources/(un)subscribe are not among them.
bool is_modern_method(std::string_view method);

/// The revision string a request names in its _meta, when it names one (for a transport that
/// compares it with a header before anything else).
std::optional<std::string_view> requested_version(const json::object& params);

/// Reads a modern request's _meta: -32602 when _meta or a required field is missing or
/// malformed (or logLevel is not a level), -32022 when the revision is not one we serve per
/// request.
std::variant<request_meta, rpc_error> read_request_meta(const json::object& params);

/// The -32022 error for `requested`: data.supported lists the revisions requests may name.
rpc_error unsupported_version_error(std::string_view requested);

/// The capabilities in `required` that `declared` lacks (empty when every one is declared). A
/// capability is declared when its key is present; nested objects are compared key by key, so
/// {"elicitation": {"url": {}}} needs elicitation.url.
json::object missing_capabilities(const json::object& required, const json::object& declared);

/// The -32021 error: `what` (e.g. "tool ask_user") needs `missing`, which the client did not
/// declare in io.modelcontextprotocol/clientCapabilities; data.requiredCapabilities = missing.
rpc_error missing_capability_error(std::string_view what, json::object missing);

}  // namespace pons::mcp
