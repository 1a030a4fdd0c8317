#pragma once
// JSON text written straight into a string: the strings of a page of rows, and a JSON-RPC answer
// around them. Boost.JSON's serializer sets itself up for each value it writes and escapes a byte
// at a time; these write the same text (the same escapes, numbers as Boost.JSON writes them).

#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <string_view>

namespace pons::mcp {

/// Appends `text` to `out` as a JSON string: quoted, with quotes, backslashes and control
/// characters escaped as Boost.JSON escapes them.
void append_json_string(std::string& out, std::string_view text);

/// Appends `value` to `out` in decimal, as JSON (and a message line) writes it.
void append_json_integer(std::string& out, std::int64_t value);

/// Appends `value` to `out` as boost::json::serialize() writes it.
void append_json(std::string& out, const boost::json::value& value);
void append_json(std::string& out, const boost::json::object& object);

}  // namespace pons::mcp
