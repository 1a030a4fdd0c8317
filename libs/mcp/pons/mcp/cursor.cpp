#include "pons/mcp/cursor.hpp"

#include <charconv>

#include "pons/mcp/base64.hpp"

namespace pons::mcp {

namespace {
constexpr std::string_view list_prefix = "list:";
}  // namespace

std::string encode_cursor(std::size_t offset) {
  return base64_encode(std::string(list_prefix) + std::to_string(offset), base64_alphabet::url);
}

std::optional<std::size_t> decode_cursor(std::string_view cursor) {
  auto raw = base64_decode(cursor, base64_alphabet::url);
  if (!raw || raw->substr(0, list_prefix.size()) != list_prefix) return std::nullopt;
  std::string_view digits = std::string_view(*raw).substr(list_prefix.size());
  std::size_t offset = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), offset);
  if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty()) {
    return std::nullopt;
  }
  return offset;
}

}  // namespace pons::mcp
