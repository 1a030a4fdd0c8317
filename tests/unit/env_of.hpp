#pragma once
// Test helper: an environment lookup (the env_lookup the option parsers take) over a fixed map.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace pons::test {

/// Looks names up in `vars`; nullopt for the others, as for an unset variable.
inline std::function<std::optional<std::string>(std::string_view)> env_of(
    std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace pons::test
