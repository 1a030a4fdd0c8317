#pragma once
// Pons's tools as a JSON API for the dashboard's pages and for scripts with an API key:
//   GET  /api/v1/tools/NAME?arg=value&...   a read tool, arguments from the query string
//   POST /api/v1/tools/NAME                 any tool, arguments as a JSON object
// The same tools, checks and answers as MCP (the same account scoping, outbound flow,
// idempotency, pacing and dry run), run on worker threads. A success answers the tool's
// structured result; what the tool refused answers its explanation.

#include <boost/json/object.hpp>
#include <memory>
#include <string>
#include <string_view>

#include "pons/dashboard/guard.hpp"
#include "pons/http/server.hpp"
#include "pons/mcp/registry.hpp"
#include "pons/mcp/worker_pool.hpp"

namespace pons::dashboard {

/// Who may call a tool over the API, and how.
struct tool_access {
  bool offered = false;      // false: not a route (waits, client requests, no scope)
  bool reads_only = false;   // the read scope: also offered as GET
  bool needs_send = false;   // the send scope: a session's user or a key with send
  bool needs_admin = false;  // changes Pons for everyone (template sync): admin or owner
};

/// How `tool` is offered: tools that wait for events or ask the client (elicitation) have no
/// route, since a page or script has nobody to ask and the events stream serves waits.
tool_access access_of(const mcp::tool_def& tool);

/// The tool routes.
class tool_api {
 public:
  /// `tools` and the pools outlive the routes; `access` checks every request. A tool runs on
  /// `call_out_workers` when it waits on Meta (calls_out), else on `workers`.
  tool_api(const mcp::registry& tools, mcp::worker_pool& workers,
           mcp::worker_pool& call_out_workers, const guard& access);

  /// Registers a GET route for each read tool and a POST route for each offered tool.
  void add_routes(http::router& routes);

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace pons::dashboard
