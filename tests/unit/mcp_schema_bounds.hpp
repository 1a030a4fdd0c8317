#pragma once
// Test helper: checks that every string a tool's input schema accepts is bounded.

#include <boost/json/object.hpp>
#include <catch2/catch.hpp>
#include <functional>
#include <string>

#include "pons/mcp/registry.hpp"

namespace pons::test {

/// Walks every tool's input schema in `reg`: each string must have a maxLength or an enum.
inline void check_every_string_bounded(const pons::mcp::registry& reg) {
  namespace json = boost::json;
  std::function<void(const json::object&, const std::string&)> walk =
      [&](const json::object& schema, const std::string& where) {
        const json::value* type = schema.if_contains("type");
        if (type && type->is_string() && type->get_string() == "string") {
          INFO(where);
          CHECK((schema.contains("maxLength") || schema.contains("enum")));
        }
        if (const json::value* props = schema.if_contains("properties")) {
          for (const auto& [name, sub] : props->as_object())
            walk(sub.as_object(), where + "." + std::string(name));
        }
        if (const json::value* items = schema.if_contains("items"); items && items->is_object())
          walk(items->as_object(), where + "[]");
        if (const json::value* extra = schema.if_contains("additionalProperties");
            extra && extra->is_object())
          walk(extra->as_object(), where + ".*");
      };
  for (const auto& tool : reg.tools()) walk(tool.input_schema, tool.name);
}

}  // namespace pons::test
