#include "pons/mcp/scope.hpp"

namespace pons::mcp {

std::string_view to_string(scope s) {
  switch (s) {
    case scope::read:
      return "read";
    case scope::send:
      return "send";
  }
  return "read";
}

std::optional<scope> parse_scope(std::string_view name) {
  if (name == "read") return scope::read;
  if (name == "send") return scope::send;
  return std::nullopt;
}

}  // namespace pons::mcp
