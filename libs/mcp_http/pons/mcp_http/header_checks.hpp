#pragma once
// The header rules of MCP's Streamable HTTP transport, as pure functions: what a POST, GET or
// DELETE on /mcp must carry, and the status to answer when it does not. No I/O, no clock.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pons/mcp/protocol_version.hpp"

namespace pons::mcp_http {

/// True when the Accept value admits `media_type` ("type/subtype"): listed itself, as
/// "type/*" or as "*/*", with a q-value above zero. Parameters other than q are ignored.
bool accepts(std::string_view accept, std::string_view media_type);

/// True when the Content-Type value is application/json (any parameters, any case).
bool is_json_content_type(std::string_view content_type);

/// True when the Origin value is allowed: absent (empty) always is; "null" never is; otherwise
/// it must equal one entry of `allowed` (scheme://host[:port], compared without case).
bool origin_allowed(std::string_view origin, const std::vector<std::string>& allowed);

/// True for an origin on this machine: http or https, host localhost, 127.0.0.1 or [::1], any
/// port. A page that DNS rebinding points at us has its own host name in Origin, never these.
bool is_loopback_origin(std::string_view origin);

/// True for a session id we could have issued: 1..128 visible ASCII characters (0x21..0x7E).
bool valid_session_id(std::string_view id);

/// The MCP-Protocol-Version header of a request in a session that negotiated `negotiated`.
/// Absent: the session's own version (2025-03-26 clients do not send it). Present: a version we
/// support (clients, the conformance suite among them, may send an older one than they
/// negotiated; the session keeps its own). nullopt means "answer 400".
std::optional<mcp::protocol_version> check_protocol_header(std::string_view header, bool present,
                                                           mcp::protocol_version negotiated);

/// The HTTP status of a JSON-RPC error answering a 2026-07-28 request on /mcp (streamable-http,
/// "Protocol Version Header" and "Server Validation"): 404 for -32601 (method not found), 400
/// for -32602, -32020, -32021 and -32022; 200 for any other code (the error is in the body).
int modern_error_status(int code);

/// What a 2026-07-28 request says twice, in its headers and in its body. A body field is compared
/// only when the request has one.
struct mirrored_fields {
  std::optional<std::string_view> protocol_header;  // MCP-Protocol-Version
  std::optional<std::string_view> method_header;    // Mcp-Method
  std::optional<std::string_view> name_header;      // Mcp-Name
  std::optional<std::string_view> protocol_body;    // params._meta protocolVersion
  std::string_view method_body;                     // method
  std::optional<std::string_view> name_body;        // params.name, or params.uri
};

/// True for the methods whose requests name their target in an Mcp-Name header: tools/call,
/// resources/read and prompts/get.
bool names_its_target(std::string_view method);

/// The first required header a 2026-07-28 request lacks, as the message of a -32020
/// HeaderMismatch error, or nullopt: MCP-Protocol-Version and Mcp-Method on every request,
/// Mcp-Name on a request that names its target (when the body names one).
std::optional<std::string> missing_header(const mirrored_fields& f);

/// The first required header missing (missing_header) or header that disagrees with the body,
/// as the message of a -32020 HeaderMismatch error ("Header mismatch: MCP-Protocol-Version header
/// value 'x' does not match ..."), or nullopt when they agree. An Mcp-Name in the Base64
/// sentinel form (=?base64?...?=) is decoded first.
std::optional<std::string> header_mismatch(const mirrored_fields& f);

}  // namespace pons::mcp_http
