#pragma once
// Who may use /mcp: the one seam between the Streamable HTTP transport and API keys. The
// transport asks before anything else is looked at; the default refuses everything.

#include <functional>
#include <string>
#include <vector>

#include "pons/http/server.hpp"

namespace pons::mcp_http {

/// What an authenticator decided about one request.
struct auth_decision {
  int status = 401;                         // 0: allowed; 401, 403 or 429: refused with that status
  std::vector<http::header_field> headers;  // WWW-Authenticate, Retry-After, ...
  std::string message;                      // why, for the refusal's body; never a secret
  std::string principal;  // who was allowed (a key's id, say), for the log; never a secret
};

/// Decides from a request's method, path and headers (the body is not read yet).
using authenticator = std::function<auth_decision(const http::server_request&)>;

/// Refuses every request with 401: /mcp stays shut until an authenticator is configured.
authenticator refuse_everything();

/// Allows every request (loopback conformance runs and tests only).
authenticator allow_everything(std::string principal);

}  // namespace pons::mcp_http
