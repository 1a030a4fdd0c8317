#pragma once
// The inbox tools: list_unanswered (who is waiting for an answer, longest first) and
// update_conversation (archive, mark unread or read here, a note, labels).
#include "pons/mcp/registry.hpp"
#include "pons/mcp/tools/inbox_model.hpp"

namespace pons::mcp {

/// Adds list_unanswered (read scope).
void register_list_unanswered(registry& reg, const read_tools_deps& deps);

/// Adds update_conversation (send scope: it changes what everyone sharing the inbox sees; not
/// offered in read-only mode).
void register_update_conversation(registry& reg, const read_tools_deps& deps);

}  // namespace pons::mcp
