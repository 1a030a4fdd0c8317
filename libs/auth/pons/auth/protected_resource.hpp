#pragma once
// What a bearer-protected MCP endpoint tells clients about itself: the OAuth 2.0 Protected
// Resource Metadata (RFC 9728) and the WWW-Authenticate challenges of its 401 and 403 answers
// (RFC 6750 section 3, RFC 9728 section 5.1).

#include <boost/json/object.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pons/mcp/scope.hpp"

namespace pons::auth {

/// The well-known path segment RFC 9728 registers.
inline constexpr std::string_view well_known_prefix = "/.well-known/oauth-protected-resource";

/// Where the metadata of `resource` lives (RFC 9728 section 3.1): the well-known prefix inserted
/// between the host and the path, e.g. https://example.com/mcp ->
/// https://example.com/.well-known/oauth-protected-resource/mcp. Nullopt when `resource` is
/// not an absolute http(s) URL with a host and without a fragment.
std::optional<std::string> metadata_url(std::string_view resource);

/// The origin of `resource` (scheme://host[:port]), the issuer of Pons's own OAuth
/// authorization server; nullopt when metadata_url would refuse it.
std::optional<std::string> origin_of(std::string_view resource);

/// The path of that URL alone, for the server's routes ("/mcp" -> the prefix + "/mcp", "" or
/// "/" -> the prefix).
std::string metadata_path(std::string_view resource_path);

/// What the metadata document says beyond the resource itself.
struct resource_description {
  std::string name = "Pons";  // resource_name
  std::string documentation;  // resource_documentation, an URL; "" leaves it out
  /// authorization_servers: the issuers whose access tokens the resource takes; empty leaves it
  /// out (API keys only: they are made by `pons-webhook keys create`, not by OAuth).
  std::vector<std::string> authorization_servers;
};

/// The metadata document of `resource` (the MCP endpoint's URL, exactly as clients dial it):
/// resource, scopes_supported ["read", "send"], bearer_methods_supported ["header"], the name,
/// documentation and authorization servers.
boost::json::object protected_resource_metadata(std::string_view resource,
                                                const resource_description& about = {});

/// The 401 challenge when no bearer token came: where the metadata is and the scope every call
/// needs, no error code (RFC 6750 section 3.1), e.g.
/// `Bearer resource_metadata="https://example.com/.well-known/...", scope="read"`.
std::string challenge_without_token(std::string_view metadata);

/// The same challenge without the scope: where OAuth sign-in is offered, a client then asks for
/// every scope the metadata lists (MCP's scope selection), and the person chooses on the
/// consent page.
std::string challenge_without_token_any_scope(std::string_view metadata);

/// The 401 challenge for a token that is malformed, unknown, revoked or expired:
/// error="invalid_token" with `description` (reduced to the characters RFC 6750 allows).
std::string challenge_invalid_token(std::string_view metadata, std::string_view description);

/// The 403 challenge for a key that lacks a scope: error="insufficient_scope" and every scope
/// the refused request needs (`needed`, e.g. read and send).
std::string challenge_insufficient_scope(std::string_view metadata,
                                         std::span<const mcp::scope> needed,
                                         std::string_view description);

}  // namespace pons::auth
