#pragma once
// create_template and delete_template: message templates managed from the assistant, checked
// against Meta's documented rules before Meta sees them, and kept in step with the local table
// list_templates reads.
#include "pons/mcp/registry.hpp"
#include "pons/mcp/tools/send_tools.hpp"

namespace pons::mcp {

/// Adds create_template and delete_template (send scope, administrative; they call the Graph
/// API, so they are not offered with --read-only).
void register_template_tools(registry& reg, const send_tools_deps& deps);

}  // namespace pons::mcp
