#pragma once
// A page of messages written as JSON text straight from its rows. get_messages answers up to
// hundreds of messages per call; building each as a JSON object only to serialise it again
// cost more than reading the rows.

#include <cstdint>
#include <string>
#include <string_view>

#include "pons/mcp/json_text.hpp"
#include "pons/store/database.hpp"

namespace pons::mcp {

/// What get_messages needs of a message after writing it.
struct written_message {
  std::int64_t id = 0;
  std::string created_at;
  std::string phone_number_id;
};

/// Appends the current row of a statement that selected message_columns first to `json` as the
/// object message_json() builds (the same members with the same values), and its
/// message_line() to `line` without a line break.
written_message write_message(const store::statement& row, std::string& json, std::string& line);

}  // namespace pons::mcp
