#include "pons/mcp_keys/public_endpoint.hpp"

#include "pons/auth/protected_resource.hpp"

namespace pons::mcp_keys {

std::string resource_url(std::string_view configured, const http::server_request& req,
                         std::string_view path) {
  if (!configured.empty()) return std::string(configured);
  // The server refuses a request without a valid Host before any handler runs.
  return "http://" + std::string(req.header("Host")) + std::string(path);
}

std::string resource_metadata_url(std::string_view resource, std::string_view path) {
  if (auto url = auth::metadata_url(resource)) return *url;
  return auth::metadata_path(path);
}

}  // namespace pons::mcp_keys
