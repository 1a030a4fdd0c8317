#pragma once
// The dashboard's pages and files: GET / (the app frame, for a signed-in user; anyone else is
// sent to /login) and GET /assets/NAME (the embedded script, style sheet and icon). The script
// needs a session or a key like every route; the style sheet and the icon are public, since the
// sign-in page uses them, and hold nothing but presentation.

#include "pons/dashboard/guard.hpp"
#include "pons/http/server.hpp"

namespace pons::dashboard {

/// True for an asset anyone may fetch (the sign-in page's style sheet and icon).
bool public_asset(std::string_view name);

/// Registers GET / and GET /assets/NAME for every embedded file. `access` outlives the routes.
void add_app_routes(http::router& routes, const guard& access);

}  // namespace pons::dashboard
