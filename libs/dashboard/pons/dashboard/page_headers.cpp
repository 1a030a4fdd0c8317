#include "pons/dashboard/page_headers.hpp"

#include <string>

namespace pons::dashboard {

std::vector<http::header_field> page_headers() {
  return {
      {"Content-Security-Policy", std::string(content_security_policy)},
      {"X-Content-Type-Options", "nosniff"},
      {"X-Frame-Options", "DENY"},
      {"Referrer-Policy", "same-origin"},
      // Pages and answers name a person and a CSRF token: no cache keeps them.
      {"Cache-Control", "no-store"},
  };
}

}  // namespace pons::dashboard
