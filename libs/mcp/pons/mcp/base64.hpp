#pragma once
// Base64 in its two alphabets (RFC 4648): the standard one for binary content (image data in
// MCP results) and the URL-safe one for opaque cursors.

#include <optional>
#include <string>
#include <string_view>

namespace pons::mcp {

/// Which RFC 4648 alphabet, and with it the padding rule.
enum class base64_alphabet {
  standard,  // A-Z a-z 0-9 + /, padded with '=' (§4)
  url,       // A-Z a-z 0-9 - _, no padding (§5): safe in URLs and JSON without escaping
};

/// Encodes bytes.
std::string base64_encode(std::string_view bytes, base64_alphabet alphabet);

/// Decodes text made by base64_encode with the same alphabet; nullopt on a character outside
/// the alphabet, misplaced padding or an impossible length.
std::optional<std::string> base64_decode(std::string_view text, base64_alphabet alphabet);

}  // namespace pons::mcp
