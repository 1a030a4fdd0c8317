#pragma once
// Attachments from the dashboard's composer:
//   POST /api/v1/uploads?filename=NAME   the file as the body (at most the listener's body
//                                         limit): written into the upload folder under a new
//                                         name, answered {"path", "filename", "size"}
// The composer then sends it with send_media's `path`, under the same upload rules as an
// assistant's files. Only someone who may send (a signed-in user, a key with the send scope)
// may upload.

#include <memory>
#include <string>

#include "pons/dashboard/guard.hpp"
#include "pons/http/server.hpp"
#include "pons/mcp/worker_pool.hpp"

namespace pons::dashboard {

/// The name a file is stored under in the upload folder: "dashboard-" + `random` + "-" +
/// the letters, digits, dots, hyphens and underscores of `filename`'s last part (at most 80;
/// "file" when none are left, never starting with a dot). Pure.
std::string stored_attachment_name(std::string_view filename, std::string_view random);

/// Registers the route; `access` and `workers` outlive it. `folder` is the first upload folder
/// (empty: uploads are refused with the reason).
void add_attachment_route(http::router& routes, const guard& access, mcp::worker_pool& workers,
                          std::string folder);

}  // namespace pons::dashboard
