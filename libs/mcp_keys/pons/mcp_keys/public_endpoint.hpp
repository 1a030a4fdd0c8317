#pragma once
// Where clients reach the MCP endpoint, for what a 401 and the metadata document name: the URL
// the operator configured (behind a proxy or tunnel it differs from what the listener sees), or
// the request's own Host.

#include <string>
#include <string_view>

#include "pons/http/server.hpp"

namespace pons::mcp_keys {

/// The endpoint's URL as its clients dial it: `configured` when set, else
/// http://<Host of the request><path>.
std::string resource_url(std::string_view configured, const http::server_request& req,
                         std::string_view path);

/// The URL of the endpoint's protected-resource metadata (RFC 9728 section 3.1) for that
/// resource; the well-known path alone when the resource is no usable absolute URL (a Host the
/// URL parser refuses).
std::string resource_metadata_url(std::string_view resource, std::string_view path);

}  // namespace pons::mcp_keys
