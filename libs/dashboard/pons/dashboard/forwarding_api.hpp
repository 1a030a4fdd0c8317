#pragma once
// Forwarding targets and their deliveries from the dashboard, for admins and owners (a signed-in
// user; an admin of one account manages the targets of that account's numbers):
//   GET  /api/v1/targets                 every target with its health and backlog
//   POST /api/v1/targets                 {url, description?, phoneNumberId?, eventTypes?,
//                                        enabled?, maxAttempts?, timeoutMs?}: a new target and
//                                        its signing secret, shown this once
//   POST /api/v1/targets/update          {id, ...the fields to change}
//   POST /api/v1/targets/remove          {id}: the target with its deliveries
//   POST /api/v1/targets/rotate          {id}: a new signing secret, shown this once
//   POST /api/v1/targets/test            {id}: a signed "pons.test" event sent now; what came back
//   GET  /api/v1/deliveries?target=&state=&limit=   newest first
//   GET  /api/v1/deliveries/detail?id=   one delivery with its body and every attempt
//   POST /api/v1/deliveries/retry        {id}: a pending or dead delivery is due again now
// The same rules as `pons-webhook targets` and `pons-webhook deliveries`.

#include <memory>
#include <string>

#include "pons/dashboard/guard.hpp"
#include "pons/dashboard/locked_database.hpp"
#include "pons/http/server.hpp"
#include "pons/mcp/worker_pool.hpp"

namespace pons::dashboard {

/// How a test event is sent: as the deliverer sends (its link-local rule and CA bundle).
struct test_event_rules {
  bool allow_link_local = false;
  std::string ca_file;
};

/// Registers the forwarding routes; `access` and `workers` outlive them. Test events are sent
/// on `workers`, never on the listener's thread.
void add_forwarding_routes(http::router& routes, const guard& access,
                           std::shared_ptr<locked_database> db, mcp::worker_pool& workers,
                           test_event_rules rules);

}  // namespace pons::dashboard
