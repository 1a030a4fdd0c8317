#pragma once
// Dashboard users, for owners only (the same rules as `pons-webhook users`):
//   GET  /api/v1/users           every user, never a password or its hash
//   POST /api/v1/users           {email, role, account?, password}: a new user
//   POST /api/v1/users/disable   {email, disabled}: signs them out and keeps them out, or lets
//                                them in again
//   POST /api/v1/users/role      {email, role}: from their next request on
//   POST /api/v1/users/remove    {email}: the user and their sessions are gone
// An owner cannot disable, demote or remove themselves: a Pons must keep one way in. Passwords are
// hashed (Argon2id, 64 MiB each) on the given workers, never on the listener.

#include <memory>

#include "pons/dashboard/guard.hpp"
#include "pons/dashboard/locked_database.hpp"
#include "pons/http/server.hpp"
#include "pons/mcp/worker_pool.hpp"

namespace pons::dashboard {

/// Registers the users routes; `access` and `workers` outlive them.
void add_users_routes(http::router& routes, const guard& access,
                      std::shared_ptr<locked_database> db, mcp::worker_pool& workers);

}  // namespace pons::dashboard
