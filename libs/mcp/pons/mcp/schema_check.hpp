#pragma once
// A small JSON Schema checker for tool arguments: the subset our input schemas use (type,
// properties, required, additionalProperties false, enum, minimum/maximum, minLength/maxLength,
// items, minItems/maxItems). Integers must fit in 64 bits and strings must not hold NUL. Pure.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string>

namespace pons::mcp {

/// A failed check: the path of the offending field (e.g. "arguments.limit") and why.
struct schema_violation {
  std::string field;
  std::string reason;
};

/// Checks `value` against `schema`; nullopt when it conforms. `path` names the root value.
std::optional<schema_violation> check_schema(const boost::json::object& schema,
                                             const boost::json::value& value,
                                             const std::string& path);

}  // namespace pons::mcp
