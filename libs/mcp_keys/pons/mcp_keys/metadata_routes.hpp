#pragma once
// The protected-resource metadata of the MCP endpoint (RFC 9728), served without a key: where a
// client that was answered 401 learns what the endpoint is and which scopes exist.

#include <string>

#include "pons/http/server.hpp"

namespace pons::mcp_keys {

/// Registers GET on the well-known path of the endpoint (`path` "/mcp":
/// /.well-known/oauth-protected-resource/mcp) and on the bare well-known path, for clients that
/// try the root first. `public_url` as in key_auth_options.
/// With `oauth`, the document names this listener's origin as its authorization server.
void add_metadata_routes(http::router& routes, std::string public_url, std::string path = "/mcp",
                         bool oauth = false);

}  // namespace pons::mcp_keys
