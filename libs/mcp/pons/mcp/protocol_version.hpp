#pragma once
// The MCP protocol revisions pons-mcp speaks, and what each one allows on the wire.
//
// Two eras live side by side. Legacy revisions (2025-11-25 and earlier) are chosen once per
// session by the initialize handshake. Modern revisions (2026-07-28) have no handshake: every
// request names its revision in params._meta and is served on its own.

#include <array>
#include <optional>
#include <string_view>

namespace pons::mcp {

/// A protocol revision; later revisions compare greater.
enum class protocol_version { v2024_11_05, v2025_03_26, v2025_06_18, v2025_11_25, v2026_07_28 };

/// How a revision is chosen: once per session by initialize (legacy), or per request (modern).
enum class protocol_era { legacy, modern };

/// The revisions initialize negotiates, oldest first.
inline constexpr std::array<protocol_version, 4> supported_versions{
    protocol_version::v2024_11_05, protocol_version::v2025_03_26, protocol_version::v2025_06_18,
    protocol_version::v2025_11_25};

/// The revisions a request may name in _meta["io.modelcontextprotocol/protocolVersion"].
inline constexpr std::array<protocol_version, 1> modern_versions{protocol_version::v2026_07_28};

/// The revision initialize answers with when the client asks for one we do not know.
inline constexpr protocol_version latest_version = protocol_version::v2025_11_25;

/// The newest revision of all (modern).
inline constexpr protocol_version latest_modern_version = protocol_version::v2026_07_28;

/// The era a revision belongs to.
inline protocol_era era_of(protocol_version v) {
  return v >= protocol_version::v2026_07_28 ? protocol_era::modern : protocol_era::legacy;
}

/// The wire string, e.g. "2025-11-25".
std::string_view to_string(protocol_version v);

/// "legacy" or "modern".
std::string_view to_string(protocol_era e);

/// Parses a wire string of a revision initialize negotiates; nullopt for any other string
/// (a modern revision included: initialize never selects one).
std::optional<protocol_version> parse_protocol_version(std::string_view s);

/// Parses a wire string of a revision a request may name in its _meta; nullopt otherwise.
std::optional<protocol_version> parse_modern_version(std::string_view s);

/// Version negotiation for initialize: the client's revision when we support it, else our latest.
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
