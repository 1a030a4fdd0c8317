// list_unanswered and update_conversation: the inbox as a person works it (who is waiting, for how
// long; archive, unread, note, labels).
#include "pons/mcp/tools/inbox_tools.hpp"

#include <fmt/core.h>
#include <fmt/format.h>

#include <charconv>
#include <chrono>

#include "pons/mcp/base64.hpp"
#include "pons/mcp/tools/account_filter.hpp"
#include "pons/mcp/tools/read_tools.hpp"
#include "pons/mcp/tools/tool_args.hpp"
#include "pons/store/conversation_state.hpp"

namespace pons::mcp {

namespace {

constexpr std::size_t max_note_chars = 2000;
constexpr std::size_t max_label_chars = 40;
constexpr std::size_t max_labels = 20;

std::int64_t limit_arg(const json::object& args) {
  const json::value* v = args.if_contains("limit");
  return v && v->is_int64() ? v->get_int64() : 20;
}

bool flag(const json::object& args, std::string_view name) {
  const json::value* v = args.if_contains(name);
  return v && v->is_bool() && v->get_bool();
}

// "3 h 12 min", "45 s": how long someone has waited.
std::string waited(std::int64_t seconds) {
  if (seconds < 60) return fmt::format("{} s", seconds);
  if (seconds < 3600) return fmt::format("{} min", seconds / 60);
  if (seconds < 86400) return fmt::format("{} h {} min", seconds / 3600, seconds % 3600 / 60);
  return fmt::format("{} d {} h", seconds / 86400, seconds % 86400 / 3600);
}

// The labels of a conversation, oldest first.
store::result<json::array> labels_of(store::database& db, std::int64_t conversation_id) {
  auto s = db.prepare(
      "SELECT label FROM conversation_labels WHERE conversation_id = ?1 ORDER BY created_at, "
      "rowid");
  if (!s) return s.error();
  s->bind(1, conversation_id);
  json::array labels;
  for (;;) {
    auto row = s->step();
    if (!row) return row.error();
    if (!*row) break;
    labels.emplace_back(s->column_text(0));
  }
  return labels;
}

std::string encode_wait_cursor(const std::string& since, std::int64_t id) {
  return base64_encode(fmt::format("u1|{}|{}", since, id), base64_alphabet::url);
}

std::optional<std::pair<std::string, std::int64_t>> decode_wait_cursor(std::string_view cursor) {
  auto raw = base64_decode(cursor, base64_alphabet::url);
  if (!raw || raw->rfind("u1|", 0) != 0) return std::nullopt;
  std::string_view rest = std::string_view(*raw).substr(3);
  auto bar = rest.rfind('|');
  if (bar == std::string_view::npos || !store::parse_timestamp(std::string(rest.substr(0, bar)))) {
    return std::nullopt;
  }
  std::int64_t id = 0;
  std::string_view digits = rest.substr(bar + 1);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return std::pair{std::string(rest.substr(0, bar)), id};
}

// --- list_unanswered -------------------------------------------------------------------------

tool_result list_unanswered(const read_tools_deps& deps, const json::object& args,
                            const account_scope& scope) {
  auto db = deps.pool->acquire();
  if (!db) return tool_result::error(database_problem(db.error()));
  std::string problem;
  auto sender = resolve_sender(**db, str_arg(args, "from"), scope, problem);
  if (!sender) return tool_result::error(problem);
  const std::int64_t limit = limit_arg(args);
  std::vector<sql_param> params;
  std::string where = "cv.last_direction = 'inbound'";
  restrict_numbers(scope, "cv.phone_number_id", where, params);
  if (!flag(args, "include_archived")) where += " AND cv.archived = 0";
  if (!sender->empty()) {
    params.emplace_back(*sender);
    where += fmt::format(" AND cv.phone_number_id = ?{}", params.size());
  }
  restrict_label(str_arg(args, "label"), "cv.id", where, params);
  std::string outer = "1 = 1";
  if (std::string cursor = str_arg(args, "cursor"); !cursor.empty()) {
    auto position = decode_wait_cursor(cursor);
    if (!position) {
      return tool_result::invalid_argument(
          "cursor", "is not a cursor from list_unanswered (omit it for the first page)");
    }
    params.emplace_back(position->first);
    params.emplace_back(position->second);
    outer = fmt::format("(since, id) > (?{0}, ?{1})", params.size() - 1, params.size());
  }
  params.emplace_back(limit + 1);
  // Messages after the last answer are all inbound: the first of them is when the customer
  // started waiting (messages_conversation finds it without a scan).
  auto s = db->operator->()->prepare(fmt::format(
      "SELECT * FROM (SELECT cv.id AS id, cv.phone_number_id, "
      "coalesce(p.display_phone_number, ''), cv.preview, cv.window_expires_at, cv.archived, "
      "cv.note, c.id AS contact_id, c.wa_id, c.user_id, c.username, c.profile_name, "
      "(SELECT min(m.created_at) FROM messages m WHERE m.conversation_id = cv.id AND "
      "m.created_at > cv.last_outbound_at AND m.direction = 'inbound') AS since, "
      "(SELECT count(*) FROM messages m WHERE m.conversation_id = cv.id AND "
      "m.created_at > cv.last_outbound_at AND m.direction = 'inbound') "
      "FROM conversations cv JOIN contacts c ON c.id = cv.contact_id "
      "LEFT JOIN phone_numbers p ON p.phone_number_id = cv.phone_number_id WHERE {}) w "
      "WHERE since IS NOT NULL AND {} ORDER BY since, id LIMIT ?{}",
      where, outer, params.size()));
  if (!s) return tool_result::error(database_problem(s.error()));
  bind_params(*s, params);
  const auto now = deps.now();
  json::array list;
  std::string text;
  std::string last_since;
  std::int64_t last_id = 0;
  bool more = false;
  for (;;) {
    auto row = s->step();
    if (!row) return tool_result::error(database_problem(row.error()));
    if (!*row) break;
    if (static_cast<std::int64_t>(list.size()) == limit) {
      more = true;
      break;
    }
    contact_row c{s->column_int64(7), s->column_text(8),  s->column_text(9),
                  s->column_text(10), s->column_text(11), {}};
    const std::int64_t id = s->column_int64(0);
    std::string since = s->column_text(12);
    auto since_at = store::parse_timestamp(since);
    const std::int64_t seconds =
        since_at ? std::max<std::int64_t>(
                       0, std::chrono::duration_cast<std::chrono::seconds>(now - *since_at).count())
                 : 0;
    auto labels = labels_of(**db, id);
    if (!labels) return tool_result::error(database_problem(labels.error()));
    json::object conv;
    conv["id"] = id;
    conv["contact"] = contact_json(c);
    conv["phone_number_id"] = s->column_text(1);
    conv["display_phone_number"] = s->column_text(2);
    conv["waiting_since"] = since;
    conv["waiting_seconds"] = seconds;
    conv["waiting_messages"] = s->column_int64(13);
    conv["preview"] = s->column_text(3);
    conv["window"] = window_json(s->column_text(4), now);
    conv["archived"] = s->column_int64(5) != 0;
    conv["note"] = s->column_text(6);
    conv["labels"] = std::move(*labels);
    const auto& w = conv["window"].as_object();
    text += fmt::format(
        "#{} {} ({}): waiting {} since {} ({} message{}), last: \"{}\"; window {}\n", id,
        std::string_view(conv["contact"].at("name").as_string()),
        c.wa_id.empty() ? c.user_id : "+" + c.wa_id, waited(seconds), since, s->column_int64(13),
        s->column_int64(13) == 1 ? "" : "s", s->column_text(3),
        w.at("open").as_bool()
            ? fmt::format("open until {}", std::string_view(w.at("expires_at").as_string()))
            : std::string("closed (templates only)"));
    last_since = std::move(since);
    last_id = id;
    list.push_back(std::move(conv));
  }
  json::object out{{"conversations", std::move(list)}};
  if (more) {
    std::string cursor = encode_wait_cursor(last_since, last_id);
    out["next_cursor"] = cursor;
    text += fmt::format("More are waiting: call again with cursor \"{}\".\n", cursor);
  }
  if (text.empty()) text = "Nobody is waiting for an answer.";
  return tool_result::structured_result(std::move(out), text);
}

// --- update_conversation ---------------------------------------------------------------------

// Why a label cannot be stored, or "".
std::string label_problem(std::string_view label) {
  if (label.empty()) return "must not be empty";
  if (label.front() == ' ' || label.back() == ' ') return "must not start or end with a space";
  std::size_t chars = 0;
  for (unsigned char ch : label) {
    if (ch < 0x20 || ch == 0x7F) return "must not contain control characters";
    chars += (ch & 0xC0) != 0x80;
  }
  if (chars > max_label_chars)
    return fmt::format("must have at most {} characters", max_label_chars);
  return {};
}

// The labels of argument `name`, or the tool error to return.
std::optional<tool_result> read_labels(const json::object& args, std::string_view name,
                                       std::vector<std::string>& out) {
  const json::value* v = args.if_contains(name);
  if (!v) return std::nullopt;
  if (!v->is_array()) return tool_result::invalid_argument(name, "must be an array of labels");
  for (const auto& item : v->get_array()) {
    if (!item.is_string()) return tool_result::invalid_argument(name, "must hold strings");
    std::string label(item.get_string());
    if (auto why = label_problem(label); !why.empty()) {
      return tool_result::invalid_argument(name, fmt::format("\"{}\" {}", label, why));
    }
    out.push_back(std::move(label));
  }
  return std::nullopt;
}

json::object state_json(const store::conversation_state& s) {
  json::array labels;
  for (const auto& l : s.labels) labels.emplace_back(l);
  return json::object{{"id", s.id},
                      {"archived", s.archived},
                      {"unread", s.unread_count > 0 || s.marked_unread},
                      {"unread_count", s.unread_count},
                      {"marked_unread", s.marked_unread},
                      {"note", s.note},
                      {"labels", std::move(labels)}};
}

std::string state_text(const store::conversation_state& s) {
  std::vector<std::string> parts;
  parts.push_back(s.archived ? "archived" : "in the inbox");
  if (s.marked_unread) {
    parts.push_back("marked unread");
  } else {
    parts.push_back(s.unread_count > 0 ? fmt::format("{} unread", s.unread_count) : "read");
  }
  parts.push_back(s.labels.empty() ? "no labels"
                                   : fmt::format("labels: {}", fmt::join(s.labels, ", ")));
  parts.push_back(s.note.empty() ? "no note" : fmt::format("note: \"{}\"", s.note));
  return fmt::format("Conversation #{}: {}.", s.id, fmt::join(parts, "; "));
}

tool_result update_conversation(const read_tools_deps& deps, const json::object& args,
                                const account_scope& scope) {
  const json::value* idv = args.if_contains("conversation_id");
  if (!idv || !idv->is_int64() || idv->get_int64() < 1) {
    return tool_result::invalid_argument(
        "conversation_id", "is required: the id from list_conversations or list_unanswered");
  }
  const std::int64_t id = idv->get_int64();
  store::conversation_change change;
  if (const json::value* v = args.if_contains("archived"); v && v->is_bool()) {
    change.archived = v->get_bool();
  }
  if (const json::value* v = args.if_contains("unread"); v && v->is_bool()) {
    change.unread = v->get_bool();
  }
  if (const json::value* v = args.if_contains("note"); v) {
    if (!v->is_string()) return tool_result::invalid_argument("note", "must be a string");
    std::string note(v->get_string());
    if (auto why = text_arg_problem(note, max_note_chars); !why.empty()) {
      return tool_result::invalid_argument("note", why);
    }
    change.note = std::move(note);
  }
  if (args.contains("labels")) {
    std::vector<std::string> labels;
    if (auto problem = read_labels(args, "labels", labels)) return *problem;
    change.labels = std::move(labels);
  }
  if (auto problem = read_labels(args, "add_labels", change.add_labels)) return *problem;
  if (auto problem = read_labels(args, "remove_labels", change.remove_labels)) return *problem;
  if (!change.archived && !change.unread && !change.note && !change.labels &&
      change.add_labels.empty() && change.remove_labels.empty()) {
    return tool_result::invalid_argument(
        "arguments",
        "change nothing: pass archived, unread, note, labels, add_labels or "
        "remove_labels");
  }

  auto db = deps.pool->acquire();
  if (!db) return tool_result::error(database_problem(db.error()));
  auto before = store::read_conversation_state(**db, id);
  if (!before) return tool_result::error(database_problem(before.error()));
  // A conversation of another account is as unknown as one that does not exist.
  bool visible = *before && scope.everything();
  if (*before && !scope.everything()) {
    std::vector<sql_param> params{(*before)->phone_number_id};
    std::string where = "p.phone_number_id = ?1";
    restrict_numbers(scope, "p.phone_number_id", where, params);
    auto s = db->operator->()->prepare("SELECT 1 FROM phone_numbers p WHERE " + where);
    if (!s) return tool_result::error(database_problem(s.error()));
    bind_params(*s, params);
    auto row = s->step();
    if (!row) return tool_result::error(database_problem(row.error()));
    visible = *row;
  }
  if (!visible) {
    return tool_result::error(fmt::format(
        "There is no conversation #{}. Take its id from list_conversations or list_unanswered.",
        id));
  }
  auto current = store::labels_after((*before)->labels, change);
  if (current.size() > max_labels) {
    return tool_result::invalid_argument(
        "labels", fmt::format("would leave {} labels; a conversation has at most {}",
                              current.size(), max_labels));
  }
  auto after = store::change_conversation(**db, id, change, deps.now());
  if (!after) return tool_result::error(database_problem(after.error()));
  if (!*after) {
    return tool_result::error(fmt::format("Conversation #{} no longer exists.", id));
  }
  return tool_result::structured_result(state_json(**after), state_text(**after));
}

json::object labels_schema(std::string_view description) {
  auto s = obj(R"J({"type":"array","maxItems":20,
      "items":{"type":"string","minLength":1,"maxLength":40}})J");
  s["description"] = description;
  return s;
}

}  // namespace

void register_list_unanswered(registry& reg, const read_tools_deps& deps) {
  tool_def t;
  t.name = "list_unanswered";
  t.title = "List conversations waiting for an answer";
  t.description =
      "Lists the conversations whose last message is from the customer and not yet answered, "
      "the one waiting longest first: since when and how many messages they sent, the last "
      "message, and the 24-hour window (open: any message can be sent; closed: only a "
      "template). Archived conversations are left out unless include_archived. Filter by our "
      "number (from) or a label; page with cursor.";
  t.input_schema = obj(R"J({"type":"object","additionalProperties":false,"properties":{
      "from":{"type":"string","minLength":1,"maxLength":64,"description":"one of our numbers (phone_number_id or display number); default: all"},
      "label":{"type":"string","minLength":1,"maxLength":40,"description":"only conversations with this label (any case)"},
      "include_archived":{"type":"boolean"},
      "limit":{"type":"integer","minimum":1,"maximum":100,"default":20},
      "cursor":{"type":"string","maxLength":512,"description":"next_cursor from the previous page"}}})J");
  auto conv = obj(
      R"J({"type":"object","required":["id","contact","phone_number_id","waiting_since","waiting_seconds","waiting_messages","preview","window","labels","note"],
      "properties":{"id":{"type":"integer"},"phone_number_id":{"type":"string"},
      "display_phone_number":{"type":"string"},
      "waiting_since":{"type":"string","description":"created_at of the first unanswered message"},
      "waiting_seconds":{"type":"integer"},
      "waiting_messages":{"type":"integer","description":"messages received since the last answer"},
      "preview":{"type":"string"},"archived":{"type":"boolean"},"note":{"type":"string"},
      "labels":{"type":"array","items":{"type":"string"}}}})J");
  conv["properties"].as_object()["contact"] = contact_schema();
  conv["properties"].as_object()["window"] = window_schema();
  t.output_schema = paged_list_schema("conversations", std::move(conv));
  t.annotations = read_only_hints();
  t.required_scope = scope::read;
  t.handler = [deps](const json::object& args, call_context& ctx) {
    return list_unanswered(deps, args, ctx.account());
  };
  reg.add_tool(std::move(t));
}

void register_update_conversation(registry& reg, const read_tools_deps& deps) {
  tool_def t;
  t.name = "update_conversation";
  t.title = "Archive, mark unread, note or label a conversation";
  t.description =
      "Changes how a conversation is kept here (WhatsApp and the customer see none of it): "
      "archived (true hides it from list_conversations and list_unanswered until the customer "
      "writes again), unread (true marks it to come back to; false marks it read here without "
      "sending read receipts, which mark_read does), note (free text for whoever answers next; "
      "\"\" clears it), labels (replaces them all) or add_labels / remove_labels. Returns the "
      "conversation's state.";
  t.input_schema =
      obj(R"J({"type":"object","additionalProperties":false,"required":["conversation_id"],
      "properties":{"conversation_id":{"type":"integer","minimum":1,"description":"the id from list_conversations or list_unanswered"},
      "archived":{"type":"boolean"},
      "unread":{"type":"boolean"},
      "note":{"type":"string","maxLength":2000,"description":"\"\" clears the note"}}})J");
  auto& props = t.input_schema["properties"].as_object();
  props["labels"] = labels_schema("every label of the conversation (replaces them)");
  props["add_labels"] = labels_schema("labels to add");
  props["remove_labels"] = labels_schema("labels to remove (any case)");
  t.output_schema = obj(
      R"J({"type":"object","required":["id","archived","unread","unread_count","marked_unread","note","labels"],
      "properties":{"id":{"type":"integer"},"archived":{"type":"boolean"},
      "unread":{"type":"boolean","description":"unread messages, or marked unread"},
      "unread_count":{"type":"integer"},"marked_unread":{"type":"boolean"},
      "note":{"type":"string"},"labels":{"type":"array","items":{"type":"string"}}}})J");
  tool_annotations a;
  a.read_only = false;
  a.destructive = false;
  a.idempotent = true;
  a.open_world = false;
  t.annotations = a;
  t.required_scope = scope::send;
  t.handler = [deps](const json::object& args, call_context& ctx) {
    return update_conversation(deps, args, ctx.account());
  };
  reg.add_tool(std::move(t));
}

}  // namespace pons::mcp
