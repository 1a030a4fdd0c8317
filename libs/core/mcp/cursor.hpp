#pragma once
// Opaque pagination cursors for the list methods (tools/list, resources/list, prompts/list).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace pons::mcp {

/// Encodes a list offset as an opaque token (clients must not parse it).
std::string encode_cursor(std::size_t offset);

/// Decodes a token made by encode_cursor; nullopt when it is not one.
std::optional<std::size_t> decode_cursor(std::string_view cursor);

/// Base64url without padding (also used by tools for their own opaque cursors).
std::string base64url_encode(std::string_view bytes);

/// Inverse of base64url_encode; nullopt on a character outside the alphabet.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace pons::mcp
