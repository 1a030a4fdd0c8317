#pragma once
// Where a dashboard request came from: over https or not, and whether its Origin is this
// site. X-Forwarded-Proto is believed only from a loopback peer (a proxy on this machine);
// anyone else could send it. Pure.

#include <string_view>

#include "pons/http/server.hpp"

namespace pons::dashboard {

/// True for 127.0.0.0/8, ::1 and ::ffff:127.x.y.z.
bool is_loopback_address(std::string_view address);

/// True when the browser reached us over https: a loopback peer said so in X-Forwarded-Proto.
bool came_over_https(const http::server_request& req);

/// True when the request has no Origin field (not a browser's cross-site form), or one whose
/// host and port are the request's Host. A state-changing request from another site's page is
/// refused before anything else.
bool same_origin_or_none(const http::server_request& req);

}  // namespace pons::dashboard
