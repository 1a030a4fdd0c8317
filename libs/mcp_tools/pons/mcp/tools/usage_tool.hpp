#pragma once
// get_usage: messages sent in a range of days by Meta's pricing category and billable, per number
// and day.
#include "pons/mcp/registry.hpp"
#include "pons/mcp/tools/inbox_model.hpp"

namespace pons::mcp {

/// Adds get_usage (read scope).
void register_usage_tool(registry& reg, const read_tools_deps& deps);

}  // namespace pons::mcp
