#pragma once
// Pons's tools, resources and prompts with everything they share in one process: the database
// pool, the pull recorder, the send pacer and (through the send tools) the Graph client pool.
// pons-mcp (stdio) and pons-webhook's /mcp (Streamable HTTP) both build theirs here, so the two
// transports offer the same tools made the same way.

#include <boost/system/result.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pons/mcp/registry.hpp"
#include "pons/mcp/tools/db_pool.hpp"
#include "pons/mcp/tools/pull_recorder.hpp"
#include "pons/mcp/tools/upload_policy.hpp"
#include "pons/meta/account_config.hpp"
#include "pons/meta/graph_client.hpp"
#include "pons/meta/outbound_pacing.hpp"

namespace pons::mcp {

/// What the tools are built from: options of the binary and its configuration.
struct toolset_settings {
  std::string db_path;      // absolute, or a PostgreSQL URL
  std::string data_dir;     // media and the default outbox folder; empty: the database's folder
  std::string config_path;  // --config (its tokens are never uploaded), empty without
  meta::account_config accounts;
  meta::graph_config graph;
  bool read_only = false;  // no send tools at all
  bool dry_run = false;    // send tools validate and record, never send
  std::vector<std::string> upload_dirs;
  bool conformance_fixtures = false;  // the MCP conformance suite's test_* fixtures too
  std::size_t db_connections = 5;     // database connections kept (one per worker, and one more)
  env_lookup env;                     // PONS_ALLOWED_RECIPIENTS, PONS_UPLOAD_DIR, ...
  /// Told about each upload folder refused (path, reason); may be empty.
  std::function<void(std::string_view, std::string_view)> on_upload_dir_refused;
};

/// What the server tells every client at initialize: how to use Pons's tools.
std::string_view toolset_instructions();

/// The registry and the state its handlers use. Not movable: handlers point into it.
class toolset {
 public:
  /// Opens the database pool and registers every tool, resource and prompt.
  static boost::system::result<std::unique_ptr<toolset>> open(const toolset_settings& settings);
  toolset(const toolset&) = delete;
  toolset& operator=(const toolset&) = delete;

  /// The registry to give each engine.
  const registry& tools() const { return registry_; }
  /// The database pool the tools read from.
  db_pool& database() { return *db_; }
  /// Where files to send may come from (the dashboard's attachments are written there).
  const upload_policy& uploads() const { return *uploads_; }

 private:
  toolset(std::unique_ptr<db_pool> db, std::string db_path);

  std::unique_ptr<db_pool> db_;
  pull_recorder pulls_;
  meta::send_pacer pacer_;
  registry registry_;
  std::shared_ptr<const upload_policy> uploads_;
};

}  // namespace pons::mcp
