#pragma once
// The headers every dashboard answer carries: a Content-Security-Policy that runs no inline
// script or style and loads nothing from elsewhere, no framing, no sniffing, no caching. Pure.

#include <string_view>
#include <vector>

#include "pons/http/server.hpp"

namespace pons::dashboard {

/// The Content-Security-Policy of every page.
inline constexpr std::string_view content_security_policy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The security headers of a dashboard answer.
std::vector<http::header_field> page_headers();

}  // namespace pons::dashboard
