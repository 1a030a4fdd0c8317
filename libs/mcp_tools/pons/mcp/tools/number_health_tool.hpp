#pragma once
// get_number_health: our numbers' standing with Meta, asked from the Graph API.
#include "pons/mcp/registry.hpp"
#include "pons/mcp/tools/send_tools.hpp"

namespace pons::mcp {

/// Adds get_number_health (read scope; it calls the Graph API, so it comes with the tools that
/// have a Graph client: not offered with --read-only).
void register_number_health_tool(registry& reg, const send_tools_deps& deps);

}  // namespace pons::mcp
