#pragma once
// The MCP protocol revisions pons-mcp speaks, and what each one allows on the wire.

#include <array>
#include <optional>
#include <string_view>

namespace pons::mcp {

/// A protocol revision; later revisions compare greater.
enum class protocol_version { v2024_11_05, v2025_03_26, v2025_06_18, v2025_11_25 };

/// Every supported revision, oldest first.
inline constexpr std::array<protocol_version, 4> supported_versions{
    protocol_version::v2024_11_05, protocol_version::v2025_03_26, protocol_version::v2025_06_18,
    protocol_version::v2025_11_25};

/// The revision we prefer (the current specification).
inline constexpr protocol_version latest_version = protocol_version::v2025_11_25;

/// The wire string, e.g. "2025-11-25".
std::string_view to_string(protocol_version v);

/// Parses a wire string; nullopt when we do not support it.
std::optional<protocol_version> parse_protocol_version(std::string_view s);

/// Version negotiation: the client's revision when we support it, else our latest.
protocol_version negotiate(std::string_view requested);

/// `title` on tools/resources/prompts/serverInfo, `outputSchema`, `structuredContent` and
/// resource links in tool results (added in 2025-06-18).
inline bool has_structured_output(protocol_version v) {
  return v >= protocol_version::v2025_06_18;
}

/// Tool annotations, audio content, progress `message`, the `completions` capability (2025-03-26).
inline bool has_annotations(protocol_version v) {
  return v >= protocol_version::v2025_03_26;
}

/// JSON-RPC batches: only 2025-03-26 allowed them (added there, removed in 2025-06-18).
inline bool allows_batches(protocol_version v) {
  return v == protocol_version::v2025_03_26;
}

}  // namespace pons::mcp
