#pragma once
// Shared pieces of the read tools: how messages, contacts and conversations are read from the
// database and rendered as JSON for assistants, contact lookup with close-match suggestions, and
// the get_messages cursor.

#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "pons/mcp/account_scope.hpp"
#include "pons/mcp/tools/db_pool.hpp"
#include "pons/mcp/tools/pull_recorder.hpp"
#include "pons/store/timestamp.hpp"

namespace pons::mcp {

namespace json = boost::json;

/// What the read tools need from the application.
struct read_tools_deps {
  db_pool* pool = nullptr;
  std::function<store::time_point()> now;  // the clock, injectable for tests
  std::string media_dir;                   // where pons-webhook stores media (for relative paths)
  pull_recorder* pulls = nullptr;          // background writer of mcp_pull_cursors (required)
  std::string default_sender;  // the one number pons-mcp is configured with, if exactly one
};

/// A contact row.
struct contact_row {
  std::int64_t id = 0;
  std::string wa_id;
  std::string user_id;
  std::string username;
  std::string profile_name;
  std::string created_at;
};

/// The outcome of resolving what an assistant typed as a contact.
struct contact_match {
  std::optional<contact_row> found;
  std::vector<contact_row> candidates;  // close matches (when not found) or the ambiguous ones
  bool ambiguous = false;
};

/// Looks a contact up by wa_id / phone number, user id, @username or name (case-insensitive);
/// a unique partial name match counts as found. Fills candidates with close matches otherwise.
/// Only contacts of the accounts `scope` allows are found or suggested.
store::result<contact_match> resolve_contact(store::database& db, std::string_view query,
                                             const account_scope& scope);

/// The text an assistant gets for an unknown or ambiguous contact (lists the candidates).
std::string contact_problem_text(std::string_view query, const contact_match& match);

/// Appends the name a contact is shown by: the profile name, else @username, else +wa_id, else
/// the user id. `String` is std::string or boost::json::string.
template <class String>
void append_display_name(String& out, std::string_view wa_id, std::string_view user_id,
                         std::string_view username, std::string_view profile_name) {
  if (!profile_name.empty()) {
    out.append(profile_name);
  } else if (!username.empty()) {
    out.push_back('@');
    out.append(username);
  } else if (!wa_id.empty()) {
    out.push_back('+');
    out.append(wa_id);
  } else {
    out.append(user_id);
  }
}

/// A contact as JSON: {id, wa_id, user_id, username, name}.
json::object contact_json(const contact_row& c);

/// The column list every message query selects (aliases m = messages, c = contacts).
extern const char* const message_columns;
/// How many columns message_columns selects (a query's own columns come after them).
inline constexpr int message_column_count = 32;

/// Renders the current row of a statement that selected message_columns first, its strings in
/// `storage` (a result's own resource keeps a page of messages out of the general allocator).
json::object message_json(const store::statement& row, json::storage_ptr storage = {});

/// What a message says, for hosts that pass only text to the model: a message that is not a
/// text starts with its kind and how to fetch it, e.g. "[image: call get_media with message_id
/// 42] Is this the broken part?", "[reaction 👍 to #2]", "[location 51.5,-0.12] Pons Shop".
std::string message_summary(const json::object& message);

/// A one-line human rendering of a message JSON (for the text content of results). The
/// message's "summary" says what it says when it has one (message_json() stores it).
std::string message_line(const json::object& message);

/// Appends message_line(message) to `out`, without a line break.
void append_message_line(std::string& out, const json::object& message);

/// The window state {open, expires_at, seconds_left} for a conversation's window_expires_at.
json::object window_json(const std::string& expires_at, store::time_point now);

/// Encodes a (created_at, id) position as the opaque get_messages cursor.
std::string encode_message_cursor(const std::string& created_at, std::int64_t id);

/// Decodes a get_messages cursor.
std::optional<std::pair<std::string, std::int64_t>> decode_message_cursor(std::string_view cursor);

/// Edit distance with adjacent swaps (bytes, case-folded ASCII) for close-match suggestions.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// A value bound to a dynamically built query.
using sql_param = std::variant<std::int64_t, std::string>;

/// Binds `params` to parameters 1..n.
void bind_params(store::statement& s, const std::vector<sql_param>& params);
/// Appends " AND the conversation `conversation_id_column` has label `label` (any ASCII case)"
/// to `where`, its parameter to `params`; nothing when `label` is empty.
void restrict_label(std::string_view label, std::string_view conversation_id_column,
                    std::string& where, std::vector<sql_param>& params);
/// The output schema of a paged list: {`key`: [item...], next_cursor}.
json::object paged_list_schema(std::string_view key, json::object item);

/// Schema fragments shared by the output schemas.
json::object message_schema();
json::object contact_schema();
json::object window_schema();

}  // namespace pons::mcp
