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

}  // namespace pons::mcp
