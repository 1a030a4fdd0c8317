#pragma once
// The WhatsApp Business accounts and phone numbers this Pons serves, for every signed-in user
// and key (each sees their own account, or every account):
//   GET /api/v1/accounts   accounts with their numbers, and which credentials each has
//                          configured (whether, never what nor where)

#include <memory>

#include "pons/dashboard/guard.hpp"
#include "pons/dashboard/locked_database.hpp"
#include "pons/http/server.hpp"

namespace pons::dashboard {

/// Registers the accounts route; `access` outlives it.
void add_accounts_route(http::router& routes, const guard& access,
                        std::shared_ptr<locked_database> db);

}  // namespace pons::dashboard
