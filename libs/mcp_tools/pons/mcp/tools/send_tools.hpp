#pragma once
// The send tools of pons-mcp: send_text, send_media, send_template, send_reaction,
// send_location, send_interactive and mark_read, on top of the outbound flow
// (pons/outbound/sender.hpp), and sync_templates. Registered only when pons-mcp is not
// --read-only.

#include <memory>
#include <string>
#include <vector>

#include "pons/mcp/registry.hpp"
#include "pons/mcp/tools/graph_pool.hpp"
#include "pons/mcp/tools/inbox_model.hpp"
#include "pons/mcp/tools/upload_policy.hpp"
#include "pons/meta/account_config.hpp"
#include "pons/meta/graph_client.hpp"
#include "pons/meta/outbound_pacing.hpp"

namespace pons::mcp {

/// What the send tools need besides the read tools' dependencies.
struct send_tools_deps {
  read_tools_deps read;
  meta::graph_config graph;                      // from the environment (WA_*)
  meta::send_pacer* pacer = nullptr;             // shared by every call of the process
  bool dry_run = false;                          // --dry-run: validate and record, never send
  std::vector<std::string> allowed_recipients;   // PONS_ALLOWED_RECIPIENTS (wa_ids); empty = all
  meta::account_config accounts;                 // WA_* and PONS_CONFIG: tokens per account
  std::shared_ptr<graph_pool> graphs;            // clients for `graph`; made when left empty
  std::shared_ptr<const upload_policy> uploads;  // where send_media may read files; null: nowhere
};

/// Adds the send tools.
void register_send_tools(registry& reg, const send_tools_deps& deps);

/// Parses PONS_ALLOWED_RECIPIENTS ("+44 7700 900001, 447700900002") into wa_ids.
std::vector<std::string> parse_allowed_recipients(std::string_view text);

}  // namespace pons::mcp
