#pragma once
// GET /api/v1/webhook-log?signature=&status=&limit=: the webhook requests Meta (or anyone) sent,
// newest first, with how each was answered and the body as stored (already redacted), for
// admins and owners; an account's admin sees only its numbers' requests.

#include <memory>

#include "pons/dashboard/guard.hpp"
#include "pons/dashboard/locked_database.hpp"
#include "pons/http/server.hpp"

namespace pons::dashboard {

/// Registers the route; `access` outlives it.
void add_webhook_log_route(http::router& routes, const guard& access,
                           std::shared_ptr<locked_database> db);

}  // namespace pons::dashboard
