#pragma once
// What an API key lets a caller do over an authorized transport, and so what each tool, resource
// and prompt requires. Every tool declares its scope beside its definition (tool_def).

#include <optional>
#include <string_view>

namespace pons::mcp {

/// A permission of an API key. Every key has `read`; `send` adds what acts in the world.
enum class scope {
  /// The read tools, the resources, the prompts and completions.
  read,
  /// The send tools, mark_read and the tools that change Pons's state (sync_templates).
  send,
};

/// The wire name of a scope ("read", "send"), as in OAuth scope strings.
std::string_view to_string(scope s);

/// Parses a wire name; nullopt for anything else.
std::optional<scope> parse_scope(std::string_view name);

}  // namespace pons::mcp
