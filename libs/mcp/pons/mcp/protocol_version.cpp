#include "pons/mcp/protocol_version.hpp"

namespace pons::mcp {

std::string_view to_string(protocol_version v) {
  switch (v) {
    case protocol_version::v2024_11_05:
      return "2024-11-05";
    case protocol_version::v2025_03_26:
      return "2025-03-26";
    case protocol_version::v2025_06_18:
      return "2025-06-18";
    case protocol_version::v2025_11_25:
      return "2025-11-25";
    case protocol_version::v2026_07_28:
      return "2026-07-28";
  }
  return "2025-11-25";
}

std::string_view to_string(protocol_era e) {
  return e == protocol_era::modern ? "modern" : "legacy";
}

std::optional<protocol_version> parse_protocol_version(std::string_view s) {
  for (protocol_version v : supported_versions) {
    if (to_string(v) == s) return v;
  }
  return std::nullopt;
}

std::optional<protocol_version> parse_modern_version(std::string_view s) {
  for (protocol_version v : modern_versions) {
    if (to_string(v) == s) return v;
  }
  return std::nullopt;
}

protocol_version negotiate(std::string_view requested) {
  return parse_protocol_version(requested).value_or(latest_version);
}

}  // namespace pons::mcp
