#pragma once
// The fixtures the MCP conformance suite (@modelcontextprotocol/conformance) calls by name:
// tools test_*, resources test://..., prompts test_*, returning what the suite's reference
// server returns. Registered only by `pons-webhook serve --mcp-conformance`.

#include "pons/mcp/registry.hpp"

namespace pons::mcp {

/// Adds the conformance suite's fixture tools, resources and prompts to `reg`.
void register_conformance_fixtures(registry& reg);

}  // namespace pons::mcp
