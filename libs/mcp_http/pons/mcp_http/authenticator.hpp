#pragma once
// Who may use /mcp: the one seam between the Streamable HTTP transport and API keys. The
// transport asks before anything else is looked at; the default refuses everything.

#include <boost/json/value.hpp>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pons/http/server.hpp"
#include "pons/mcp/account_scope.hpp"
#include "pons/mcp/scope.hpp"

namespace pons::mcp_http {

/// A refusal of one parsed message: what the principal may not do (a tool its key lacks the
/// scope for). Answered with `status`, `headers` and a JSON-RPC error saying `message`.
struct message_refusal {
  int status = 403;
  std::vector<http::header_field> headers;  // WWW-Authenticate with error="insufficient_scope"
  std::string message;                      // what is missing and what to do; never a secret
};

/// Checks one parsed message (an object or a batch) once the body is read: nullopt allows it.
using message_check = std::function<std::optional<message_refusal>(const boost::json::value&)>;

/// What an authenticator decided about one request.
struct auth_decision {
  int status = 401;  // 0: allowed; 401, 403, 429 or 503: refused with that status
  std::vector<http::header_field> headers;  // WWW-Authenticate, Retry-After, ...
  std::string message;                      // why, for the refusal's body; never a secret
  std::string principal;  // who was allowed (a key's id, say), for the log; never a secret
  /// Whose data the principal's engines see (every account unless a key names one).
  mcp::account_scope account;
  /// The scopes the principal holds; nullopt when it is not a key (every tool is listed).
  std::optional<std::vector<mcp::scope>> scopes;
  /// Checks every parsed message the principal sends; empty allows them all.
  message_check check;
};

/// Decides from a request's method, path and headers (the body is not read yet).
using authenticator = std::function<auth_decision(const http::server_request&)>;

/// Whether a principal the authenticator allowed may still use the endpoint (its key neither
/// revoked nor expired since); false ends every session of the principal.
using principal_check = std::function<bool(std::string_view principal)>;

/// Refuses every request with 401: /mcp stays shut until an authenticator is configured.
authenticator refuse_everything();

/// Allows every request (loopback conformance runs and tests only).
authenticator allow_everything(std::string principal);

}  // namespace pons::mcp_http
