#pragma once
// Small helpers every tool file uses to read arguments and declare schemas and annotations.

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <cstddef>
#include <string>
#include <string_view>

#include "pons/mcp/registry.hpp"

namespace pons::mcp {

/// The string argument `name`, or "" when absent or not a string (schemas are checked first).
inline std::string str_arg(const boost::json::object& args, std::string_view name) {
  const boost::json::value* v = args.if_contains(name);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

/// The longest contact reference (name, number, @username, user id) tools accept, in characters;
/// the schemas of `contact` and `to` say the same.
inline constexpr std::size_t max_contact_chars = 256;

/// Why a free-text argument that no schema checked (prompt arguments) cannot be used, or "" when
/// it can: too long (in characters), or holding a NUL character.
inline std::string text_arg_problem(std::string_view value, std::size_t max_chars) {
  if (value.find('\0') != std::string_view::npos) return "must not contain a NUL character";
  std::size_t chars = 0;
  for (unsigned char c : value) chars += (c & 0xC0) != 0x80;
  if (chars > max_chars) return "must have at most " + std::to_string(max_chars) + " characters";
  return {};
}

/// A JSON Schema (or other literal object) written as text in the tool definitions.
inline boost::json::object obj(std::string_view text) {
  return boost::json::parse(text).as_object();
}

/// Annotations of a tool that only reads the local database.
inline tool_annotations read_only_hints(bool idempotent = true) {
  tool_annotations a;
  a.read_only = true;
  a.destructive = false;
  a.idempotent = idempotent;
  a.open_world = false;
  return a;
}

}  // namespace pons::mcp
