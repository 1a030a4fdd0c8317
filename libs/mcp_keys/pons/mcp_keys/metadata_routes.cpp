#include "pons/mcp_keys/metadata_routes.hpp"

#include <boost/json/serialize.hpp>

#include "pons/auth/protected_resource.hpp"
#include "pons/mcp_keys/public_endpoint.hpp"

namespace pons::mcp_keys {

namespace {

// Takes its answer by value: nothing of the caller's frame is used after the first suspension.
boost::asio::awaitable<http::server_response> answer(http::server_response res) {
  co_return res;
}

}  // namespace

void add_metadata_routes(http::router& routes, std::string public_url, std::string path,
                         bool oauth) {
  auto serve = [public_url, path, oauth](http::server_request& req) {
    http::server_response res;
    res.content_type = "application/json";
    const auto resource = resource_url(public_url, req, path);
    auth::resource_description about;
    if (auto issuer = oauth ? auth::origin_of(resource) : std::nullopt)
      about.authorization_servers.push_back(*issuer);
    res.body = boost::json::serialize(auth::protected_resource_metadata(resource, about));
    return answer(std::move(res));
  };
  routes.add("GET", auth::metadata_path(path), serve);
  routes.add("GET", std::string(auth::well_known_prefix), serve);
}

}  // namespace pons::mcp_keys
