#pragma once
// API keys from the dashboard, for admins and owners (a key manages nothing, a member neither):
//   GET  /api/v1/keys          every key, without secrets (an admin of one account: its keys)
//   POST /api/v1/keys          {name, scopes, account?, expires_days?}: a new key and its
//                              secret, shown this once
//   POST /api/v1/keys/revoke   {id}: the key never works again; its open /mcp streams end
// The same rules as `pons-webhook keys`.

#include <memory>

#include "pons/dashboard/guard.hpp"
#include "pons/dashboard/locked_database.hpp"
#include "pons/http/server.hpp"

namespace pons::dashboard {

/// Registers the keys routes; `access` outlives them.
void add_keys_routes(http::router& routes, const guard& access,
                     std::shared_ptr<locked_database> db);

}  // namespace pons::dashboard
