#pragma once
// Pons's OAuth 2.1 authorization server for remote MCP clients (MCP authorization, 2025-11-25),
// on pons-webhook's listener next to /mcp and the dashboard:
//   GET  /.well-known/oauth-authorization-server   RFC 8414 metadata (no credentials)
//   POST /oauth/register     RFC 7591 dynamic registration of a public client (no credentials;
//                            throttled per address)
//   GET  /oauth/authorize    the consent page, behind the dashboard's sign-in (a visitor without
//                            a session goes to /login and comes back)
//   POST /oauth/authorize    Allow or Deny (the session's CSRF token): back to the client's
//                            redirect URI with a code or error=access_denied
//   POST /oauth/token        authorization_code (PKCE S256 only) and refresh_token (rotating)
//   POST /oauth/revoke       RFC 7009: the grant of a token ends
// and, with the dashboard even without /mcp (add_grant_routes):
//   GET  /api/v1/oauth-grants, POST /api/v1/oauth-grants/revoke   the grants, for admins
// The issuer is the origin of the MCP endpoint's URL (--mcp-public-url, else the request's
// Host), so the protected-resource metadata names it as /mcp's authorization server.

#include <memory>
#include <string>

#include "pons/dashboard/guard.hpp"
#include "pons/dashboard/locked_database.hpp"
#include "pons/http/server.hpp"

namespace pons::oauth {

/// Where the MCP endpoint is, which the tokens are for.
struct server_options {
  std::string public_url;  // as clients dial it; "" = http://<Host><mcp_path>
  std::string mcp_path = "/mcp";
};

/// Registers the authorization server's routes; `access` outlives them.
void add_authorization_routes(http::router& routes, const dashboard::guard& access,
                              std::shared_ptr<dashboard::locked_database> db,
                              server_options options);

/// Registers the grants routes of the keys page; `access` outlives them.
void add_grant_routes(http::router& routes, const dashboard::guard& access,
                      std::shared_ptr<dashboard::locked_database> db);

}  // namespace pons::oauth
