#include "pons/mcp_http/authenticator.hpp"

namespace pons::mcp_http {

authenticator refuse_everything() {
  return [](const http::server_request&) {
    auth_decision d;
    d.status = 401;
    d.headers.emplace_back("WWW-Authenticate", "Bearer");
    d.message = "no authentication is configured for /mcp: see docs/mcp-http.md";
    return d;
  };
}

authenticator allow_everything(std::string principal) {
  return [principal = std::move(principal)](const http::server_request&) {
    auth_decision d;
    d.status = 0;
    d.principal = principal;
    return d;
  };
}

}  // namespace pons::mcp_http
