// list_conversations, get_messages, search_messages and wait_for_messages.
#include <fmt/core.h>

#include <algorithm>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <chrono>

#include "pons/mcp/base64.hpp"
#include "pons/mcp/tools/account_filter.hpp"
#include "pons/mcp/tools/message_writer.hpp"
#include "pons/mcp/tools/read_tools.hpp"
#include "pons/mcp/tools/tool_args.hpp"
#include "pons/store/limit_clause.hpp"
#include "pons/store/message_repository.hpp"
#include "pons/store/message_search.hpp"

namespace pons::mcp {

namespace {

using namespace std::chrono_literals;

std::int64_t int_arg(const json::object& args, std::string_view name, std::int64_t fallback) {
  const json::value* v = args.if_contains(name);
  if (!v) return fallback;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) {
    return v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)
               ? static_cast<std::int64_t>(v->get_uint64())
               : fallback;
  }
  // The schema keeps numbers within int64; a direct caller's out-of-range double falls back.
  if (v->is_double()) {
    double d = v->get_double();
    return d >= -9223372036854775808.0 && d < 9223372036854775808.0 ? static_cast<std::int64_t>(d)
                                                                    : fallback;
  }
  return fallback;
}

bool bool_arg(const json::object& args, std::string_view name) {
  const json::value* v = args.if_contains(name);
  return v && v->is_bool() && v->get_bool();
}

// Filters common to message queries: the caller's accounts, contact, our number, direction.
struct message_filter {
  account_scope scope;
  std::optional<std::int64_t> contact_id;
  std::string phone_number_id;
  std::string direction;  // "" = both
  std::optional<std::int64_t> conversation_id;

  void apply(std::string& where, std::vector<sql_param>& params) const {
    restrict_numbers(scope, "m.phone_number_id", where, params);
    if (contact_id) {
      params.emplace_back(*contact_id);
      where += fmt::format(" AND m.contact_id = ?{}", params.size());
    }
    if (!phone_number_id.empty()) {
      params.emplace_back(phone_number_id);
      where += fmt::format(" AND m.phone_number_id = ?{}", params.size());
    }
    if (!direction.empty()) {
      params.emplace_back(direction);
      where += fmt::format(" AND m.direction = ?{}", params.size());
    }
    if (conversation_id) {
      params.emplace_back(*conversation_id);
      where += fmt::format(" AND m.conversation_id = ?{}", params.size());
    }
  }
};

// Resolves contact/from arguments into a filter within the caller's accounts, or the tool error
// to return.
std::optional<tool_result> build_filter(store::database& db, const json::object& args,
                                        const account_scope& scope, message_filter& filter) {
  filter.scope = scope;
  if (std::string contact = str_arg(args, "contact"); !contact.empty()) {
    auto match = resolve_contact(db, contact, scope);
    if (!match) return tool_result::error(database_problem(match.error()));
    if (!match->found) return tool_result::error(contact_problem_text(contact, *match));
    filter.contact_id = match->found->id;
  }
  std::string problem;
  auto sender = resolve_sender(db, str_arg(args, "from"), scope, problem);
  if (!sender) return tool_result::error(problem);
  filter.phone_number_id = *sender;
  if (std::string d = str_arg(args, "direction"); d == "inbound" || d == "outbound") {
    filter.direction = d;
  }
  return std::nullopt;
}

store::result<std::vector<json::object>> run_messages(store::database& db, const std::string& sql,
                                                      const std::vector<sql_param>& params,
                                                      const json::storage_ptr& storage = {}) {
  auto s = db.prepare(sql);
  if (!s) return s.error();
  bind_params(*s, params);
  std::vector<json::object> rows;
  for (;;) {
    auto more = s->step();
    if (!more) return more.error();
    if (!*more) break;
    rows.push_back(message_json(*s, storage));
  }
  return rows;
}

// A get_messages page as written (message_writer.hpp): every row's JSON object and text line
// back to back in two buffers, and where each row's pieces end. One buffer each instead of two
// strings per row.
struct written_page {
  struct row {
    written_message facts;
    std::size_t json_end = 0;
    std::size_t line_end = 0;
  };
  std::string json;
  std::string lines;
  std::vector<row> rows;

  std::string_view json_of(std::size_t i) const {
    const std::size_t begin = i == 0 ? 0 : rows[i - 1].json_end;
    return std::string_view(json).substr(begin, rows[i].json_end - begin);
  }
  std::string_view line_of(std::size_t i) const {
    const std::size_t begin = i == 0 ? 0 : rows[i - 1].line_end;
    return std::string_view(lines).substr(begin, rows[i].line_end - begin);
  }
};

store::result<written_page> write_page(store::database& db, const std::string& sql,
                                       const std::vector<sql_param>& params) {
  auto s = db.prepare(sql);
  if (!s) return s.error();
  bind_params(*s, params);
  written_page page;
  page.json.reserve(16 * 1024);
  page.lines.reserve(4 * 1024);
  for (;;) {
    auto more = s->step();
    if (!more) return more.error();
    if (!*more) break;
    written_message facts = write_message(*s, page.json, page.lines);
    page.rows.push_back({std::move(facts), page.json.size(), page.lines.size()});
  }
  return page;
}

// --- list_conversations ---------------------------------------------------------------------

// A preview as long as the stored ones (120 bytes of text) after the kind marker, cut between
// characters.
std::string short_preview(std::string_view summary) {
  constexpr std::size_t max_bytes = 200;
  if (summary.size() <= max_bytes) return std::string(summary);
  std::size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(summary[cut]) & 0xC0) == 0x80) --cut;
  return std::string(summary.substr(0, cut)) + "…";
}

// Fills each listed conversation's "labels" (in the order they were added) with one query for
// the whole page.
store::result<void> add_labels(store::database& db, json::array& conversations) {
  if (conversations.empty()) return {};
  std::string ids;
  for (std::size_t i = 1; i <= conversations.size(); ++i) {
    ids += fmt::format("{}?{}", i > 1 ? ", " : "", i);
  }
  auto s = db.prepare(fmt::format(
      "SELECT conversation_id, label FROM conversation_labels WHERE conversation_id IN ({}) "
      "ORDER BY conversation_id, created_at, rowid",
      ids));
  if (!s) return s.error();
  for (std::size_t i = 0; i < conversations.size(); ++i) {
    s->bind(static_cast<int>(i + 1), conversations[i].as_object().at("id").as_int64());
  }
  for (;;) {
    auto row = s->step();
    if (!row) return row.error();
    if (!*row) return {};
    const std::int64_t id = s->column_int64(0);
    for (auto& conv : conversations) {
      if (conv.as_object().at("id").as_int64() == id) {
        conv.as_object()["labels"].as_array().emplace_back(s->column_text(1));
        break;
      }
    }
  }
}

tool_result list_conversations(const read_tools_deps& deps, const json::object& args,
                               const account_scope& scope) {
  auto db = deps.pool->acquire();
  if (!db) return tool_result::error(database_problem(db.error()));
  std::string problem;
  auto sender = resolve_sender(**db, str_arg(args, "from"), scope, problem);
  if (!sender) return tool_result::error(problem);
  std::int64_t limit = int_arg(args, "limit", 20);
  std::vector<sql_param> params;
  std::string where = "1 = 1";
  restrict_numbers(scope, "cv.phone_number_id", where, params);
  if (bool_arg(args, "unread")) where += " AND (cv.unread_count > 0 OR cv.marked_unread = 1)";
  if (bool_arg(args, "unanswered")) where += " AND cv.last_direction = 'inbound'";
  if (!bool_arg(args, "include_archived")) where += " AND cv.archived = 0";
  if (!sender->empty()) {
    params.emplace_back(*sender);
    where += fmt::format(" AND cv.phone_number_id = ?{}", params.size());
  }
  restrict_label(str_arg(args, "label"), "cv.id", where, params);
  if (const json::value* id = args.if_contains("conversation_id"); id && id->is_int64()) {
    params.emplace_back(id->get_int64());
    where += fmt::format(" AND cv.id = ?{}", params.size());
  }
  if (std::string cursor = str_arg(args, "cursor"); !cursor.empty()) {
    auto raw = base64_decode(cursor, base64_alphabet::url);
    auto bar = raw ? raw->rfind('|') : std::string::npos;
    std::int64_t after_id = 0;
    std::errc parsed = std::errc::invalid_argument;
    const char* id_end = nullptr;
    if (raw && bar != std::string::npos) {
      auto [end, ec] = std::from_chars(raw->data() + bar + 1, raw->data() + raw->size(), after_id);
      parsed = ec;
      id_end = end;
    }
    // The cursor comes back from the client, so it is parsed like any other input.
    if (!raw || raw->rfind("c1|", 0) != 0 || bar == std::string::npos || bar < 3 ||
        parsed != std::errc() || id_end != raw->data() + raw->size()) {
      return tool_result::invalid_argument(
          "cursor", "is not a cursor from list_conversations (omit it for the first page)");
    }
    params.emplace_back(raw->substr(3, bar - 3));
    params.emplace_back(after_id);
    where += fmt::format(" AND (cv.last_message_at, cv.id) < (?{0}, ?{1})", params.size() - 1,
                         params.size());
  }
  // The last message's kind comes with each row: only a conversation whose last message is not
  // a text needs that message read for its preview.
  auto s = db->operator->()->prepare(fmt::format(
      "SELECT cv.id, cv.phone_number_id, coalesce(p.display_phone_number, ''), "
      "cv.last_message_at, cv.last_inbound_at, cv.last_direction, cv.preview, cv.unread_count, "
      "cv.window_expires_at, cv.archived, c.id, c.wa_id, c.user_id, c.username, c.profile_name, "
      "cv.marked_unread, cv.note, (SELECT m.type FROM messages m WHERE m.conversation_id = cv.id "
      "ORDER BY m.created_at DESC, m.id DESC LIMIT 1) "
      "FROM conversations cv JOIN contacts c ON c.id = cv.contact_id "
      "LEFT JOIN phone_numbers p ON p.phone_number_id = cv.phone_number_id "
      "WHERE {} ORDER BY cv.last_message_at DESC, cv.id DESC {}",
      where, store::limit_clause(limit + 1)));
  if (!s) return tool_result::error(database_problem(s.error()));
  bind_params(*s, params);
  // The stored preview is the last message's text: when that message is not a text, the preview
  // leads with its kind and how to fetch it, as get_messages shows it.
  std::optional<store::statement> last;
  auto preview_of = [&](std::int64_t conversation_id, std::string_view last_type,
                        std::string stored) -> store::result<std::string> {
    if (last_type.empty() || last_type == "text") return stored;
    if (!last) {
      auto prepared = db->operator->()->prepare(
          fmt::format("SELECT {} FROM messages m JOIN contacts c ON c.id = m.contact_id WHERE "
                      "m.conversation_id = ?1 ORDER BY m.created_at DESC, m.id DESC LIMIT 1",
                      message_columns));
      if (!prepared) return prepared.error();
      last.emplace(std::move(*prepared));
    }
    last->reset();
    last->bind(1, conversation_id);
    auto row = last->step();
    if (!row) return row.error();
    if (!*row) return stored;
    json::object m = message_json(*last);
    return short_preview(m.at("summary").as_string());
  };
  auto now = deps.now();
  json::array list;
  bool more = false;
  for (;;) {
    auto row = s->step();
    if (!row) return tool_result::error(database_problem(row.error()));
    if (!*row) break;
    if (static_cast<std::int64_t>(list.size()) == limit) {
      more = true;
      break;
    }
    contact_row c{s->column_int64(10), s->column_text(11), s->column_text(12),
                  s->column_text(13),  s->column_text(14), {}};
    auto preview = preview_of(s->column_int64(0), s->column_view(17), s->column_text(6));
    if (!preview) return tool_result::error(database_problem(preview.error()));
    json::object conv;
    conv["id"] = s->column_int64(0);
    conv["contact"] = contact_json(c);
    conv["phone_number_id"] = s->column_text(1);
    conv["display_phone_number"] = s->column_text(2);
    conv["last_message_at"] = s->column_text(3);
    conv["last_inbound_at"] = s->column_text(4);
    conv["last_direction"] = s->column_text(5);
    conv["preview"] = std::move(*preview);
    conv["unread_count"] = s->column_int64(7);
    conv["unanswered"] = s->column_text(5) == "inbound";
    conv["window"] = window_json(s->column_text(8), now);
    conv["archived"] = s->column_int64(9) != 0;
    conv["marked_unread"] = s->column_int64(15) != 0;
    conv["note"] = s->column_text(16);
    conv["labels"] = json::array();
    list.push_back(std::move(conv));
  }
  if (auto labelled = add_labels(**db, list); !labelled) {
    return tool_result::error(database_problem(labelled.error()));
  }
  std::string text;
  for (const auto& item : list) {
    const json::object& conv = item.as_object();
    const json::object& contact = conv.at("contact").as_object();
    const std::string_view wa_id = contact.at("wa_id").as_string();
    const auto& labels = conv.at("labels").as_array();
    const auto& w = conv.at("window").as_object();
    text += fmt::format(
        "#{} {} ({}): {} unread{}, last {} {}: \"{}\"; window {}{}\n", conv.at("id").as_int64(),
        std::string_view(contact.at("name").as_string()),
        wa_id.empty() ? std::string(contact.at("user_id").as_string()) : fmt::format("+{}", wa_id),
        conv.at("unread_count").as_int64(),
        conv.at("marked_unread").as_bool() ? " (marked unread)" : "",
        std::string_view(conv.at("last_direction").as_string()),
        std::string_view(conv.at("last_message_at").as_string()),
        std::string_view(conv.at("preview").as_string()),
        w.at("open").as_bool()
            ? fmt::format("open until {}", std::string_view(w.at("expires_at").as_string()))
            : std::string("closed (templates only)"),
        labels.empty() ? std::string() : fmt::format("; labels {}", json::serialize(labels)));
  }
  std::string last_at;
  std::int64_t last_id = 0;
  if (!list.empty()) {
    const json::object& tail = list.back().as_object();
    last_at = tail.at("last_message_at").as_string();
    last_id = tail.at("id").as_int64();
  }
  json::object out{{"conversations", std::move(list)}};
  if (more) {
    std::string cursor =
        base64_encode(fmt::format("c1|{}|{}", last_at, last_id), base64_alphabet::url);
    out["next_cursor"] = cursor;
    text += fmt::format("More conversations: call again with cursor \"{}\".\n", cursor);
  }
  if (text.empty()) text = "No conversations match.";
  return tool_result::structured_result(std::move(out), text);
}

// --- get_messages ---------------------------------------------------------------------------

tool_result get_messages(const read_tools_deps& deps, const json::object& args, call_context& ctx) {
  std::string since = str_arg(args, "since");
  std::string cursor = str_arg(args, "cursor");
  // since_id is the name; sinceId, its first spelling, still works for clients that use it.
  const char* since_id_name = args.contains("since_id") ? "since_id" : "sinceId";
  const bool has_since_id = args.contains(since_id_name);
  if (args.contains("since_id") && args.contains("sinceId") &&
      args.at("since_id") != args.at("sinceId")) {
    return tool_result::invalid_argument(
        "since_id", "differs from sinceId, its older name; pass since_id only");
  }
  std::optional<std::pair<std::string, std::int64_t>> position;
  if (!since.empty()) {
    if (!cursor.empty()) {
      return tool_result::invalid_argument("cursor", "cannot be combined with since; pass one");
    }
    if (since.rfind("wamid.", 0) == 0) {
      return tool_result::invalid_argument(
          "since",
          "is a WhatsApp message id (wamid); since takes the ISO 8601 created_at of a message "
          "(e.g. \"2026-11-25T14:00:00.123Z\") with its id as since_id, or pass the cursor "
          "returned by the previous call");
    }
    if (!store::parse_timestamp(since)) {
      return tool_result::invalid_argument(
          "since",
          "must be an ISO 8601 UTC timestamp such as \"2026-11-25T14:00:00.123Z\" (the "
          "created_at of the last message you saw)");
    }
    // Normalise so text comparison with stored created_at is time comparison.
    since = store::format_timestamp(*store::parse_timestamp(since));
    // Without since_id, "since" means strictly after that instant.
    position = std::pair{since, has_since_id ? int_arg(args, since_id_name, 0) : INT64_MAX};
  } else if (has_since_id) {
    return tool_result::invalid_argument(since_id_name,
                                         "needs since (the created_at it breaks ties for)");
  } else if (!cursor.empty()) {
    position = decode_message_cursor(cursor);
    if (!position) {
      return tool_result::invalid_argument(
          "cursor",
          "is not a cursor returned by get_messages (omit it to get the latest messages)");
    }
  }
  std::int64_t limit = int_arg(args, "limit", 20);
  auto db = deps.pool->acquire();
  if (!db) return tool_result::error(database_problem(db.error()));
  message_filter filter;
  if (auto problem = build_filter(**db, args, ctx.account(), filter)) return *problem;
  if (const json::value* cid = args.if_contains("conversation_id"); cid && cid->is_number()) {
    filter.conversation_id = int_arg(args, "conversation_id", 0);
  }
  std::vector<sql_param> params;
  std::string where = "1 = 1";
  filter.apply(where, params);
  // A message still being committed below the newest shown would otherwise be missed by a reader
  // that goes on from this page's newest (see settled_message_id).
  auto settled = store::settled_message_id(**db);
  if (!settled) return tool_result::error(database_problem(settled.error()));
  if (*settled) {
    params.emplace_back(**settled);
    where += fmt::format(" AND m.id <= ?{}", params.size());
  }
  std::string sql;
  if (position) {
    params.emplace_back(position->first);
    params.emplace_back(position->second);
    where +=
        fmt::format(" AND (m.created_at, m.id) > (?{0}, ?{1})", params.size() - 1, params.size());
    sql = fmt::format(
        "SELECT {} FROM messages m JOIN contacts c ON c.id = m.contact_id WHERE {} "
        "ORDER BY m.created_at, m.id {}",
        message_columns, where, store::limit_clause(limit + 1));
  } else {
    sql = fmt::format(
        "SELECT {} FROM messages m JOIN contacts c ON c.id = m.contact_id WHERE {} "
        "ORDER BY m.created_at DESC, m.id DESC {}",
        message_columns, where, store::limit_clause(limit));
  }
  auto page = write_page(**db, sql, params);
  if (!page) return tool_result::error(database_problem(page.error()));
  // The rows in the answer's order (oldest first), as indexes into the page.
  std::vector<std::size_t> order(page->rows.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  bool more = false;
  if (position) {
    if (static_cast<std::int64_t>(order.size()) > limit) {
      more = true;
      order.pop_back();
    }
  } else {
    std::reverse(order.begin(), order.end());
  }
  std::string next;
  if (!order.empty()) {
    const written_message& newest = page->rows[order.back()].facts;
    next = encode_message_cursor(newest.created_at, newest.id);
  } else if (position) {
    next = encode_message_cursor(position->first,
                                 position->second == INT64_MAX ? INT64_MAX : position->second);
  } else {
    next = encode_message_cursor("1970-01-01T00:00:00.000Z", 0);
  }
  // Remember what this client pulled, per number (the next session can start from there).
  std::string pulled_at = store::format_timestamp(deps.now());
  std::vector<std::pair<std::string_view, std::int64_t>> pulled;
  for (const std::size_t i : order) {
    const written_message& row = page->rows[i].facts;
    const std::string_view number = row.phone_number_id;
    auto it =
        std::find_if(pulled.begin(), pulled.end(), [&](auto& p) { return p.first == number; });
    if (it == pulled.end()) {
      pulled.emplace_back(number, row.id);
    } else {
      it->second = std::max(it->second, row.id);
    }
  }
  for (const auto& [number, max_id] : pulled) {
    deps.pulls->record(ctx.client_name(), std::string(number), pulled_at, max_id);
  }
  // The answer is written as JSON text from the rows: the same members message_json() and the
  // envelope below would build, without the objects in between.
  std::string structured;
  structured.reserve(page->json.size() + order.size() + 160);
  structured += "{\"messages\":[";
  std::string text;
  text.reserve(page->lines.size() + order.size() + 160);
  for (std::size_t k = 0; k < order.size(); ++k) {
    if (k) structured += ',';
    structured += page->json_of(order[k]);
    text += page->line_of(order[k]);
    text += '\n';
  }
  if (order.empty()) text = position ? "No newer messages.\n" : "No messages match.\n";
  structured += "],\"next_cursor\":";
  append_json_string(structured, next);
  structured += more ? ",\"has_more\":true" : ",\"has_more\":false";
  structured += ",\"pulled_at\":";
  append_json_string(structured, pulled_at);
  structured += '}';
  text += fmt::format("cursor for newer messages: \"{}\"{}\n", next,
                      more ? " (more are waiting: call again with it)" : "");
  return tool_result::written_result(std::move(structured), std::move(text));
}

// --- search_messages ------------------------------------------------------------------------

tool_result search_messages(const read_tools_deps& deps, const json::object& args,
                            const account_scope& scope) {
  const std::string words(str_arg(args, "query"));
  std::int64_t limit = int_arg(args, "limit", 10);
  std::int64_t context = int_arg(args, "context", 2);
  auto db = deps.pool->acquire();
  if (!db) return tool_result::error(database_problem(db.error()));
  // Whole words, as assistants ask; the store writes the engine's search.
  const store::text_search_sql search =
      store::text_search(**db, words, 1, {.prefix = false, .ellipsis = "..."});
  if (search.value.empty()) {
    return tool_result::invalid_argument("query", "must contain a word to find");
  }
  message_filter filter;
  if (auto problem = build_filter(**db, args, scope, filter)) return *problem;
  std::vector<sql_param> params{search.value};
  std::string where = search.where;
  filter.apply(where, params);
  params.emplace_back(limit);
  auto s = db->operator->()->prepare(fmt::format(
      "SELECT {}, {} FROM {} JOIN contacts c ON c.id = m.contact_id "
      "WHERE {} ORDER BY {} LIMIT ?{}",
      message_columns, search.snippet, search.from, where, search.newest_first, params.size()));
  if (!s) return tool_result::error(database_problem(s.error()));
  bind_params(*s, params);
  std::vector<std::pair<json::object, std::string>> hits;
  for (;;) {
    auto row = s->step();
    if (!row) return tool_result::error(database_problem(row.error()));
    if (!*row) break;
    hits.emplace_back(message_json(*s), s->column_text(message_column_count));
  }
  s->reset();
  json::array out_hits;
  std::string text;
  for (auto& [message, snippet] : hits) {
    json::array before, after;
    if (context > 0) {
      std::vector<sql_param> p{message.at("conversation_id").as_int64(),
                               std::string(message.at("created_at").as_string()),
                               message.at("id").as_int64(), context};
      auto b = run_messages(
          **db,
          fmt::format("SELECT {} FROM messages m JOIN contacts c ON c.id = m.contact_id WHERE "
                      "m.conversation_id = ?1 AND (m.created_at, m.id) < (?2, ?3) "
                      "ORDER BY m.created_at DESC, m.id DESC LIMIT ?4",
                      message_columns),
          p);
      auto a = run_messages(
          **db,
          fmt::format("SELECT {} FROM messages m JOIN contacts c ON c.id = m.contact_id WHERE "
                      "m.conversation_id = ?1 AND (m.created_at, m.id) > (?2, ?3) "
                      "ORDER BY m.created_at, m.id LIMIT ?4",
                      message_columns),
          p);
      if (!b || !a) return tool_result::error(database_problem(!b ? b.error() : a.error()));
      for (auto it = b->rbegin(); it != b->rend(); ++it) before.push_back(std::move(*it));
      for (auto& m : *a) after.push_back(std::move(m));
    }
    auto line = [&text](std::string_view mark, const json::object& m) {
      text += mark;
      append_message_line(text, m);
      text += '\n';
    };
    for (const auto& m : before) line("   ", m.as_object());
    line(" > ", message);
    for (const auto& m : after) line("   ", m.as_object());
    text += "\n";
    out_hits.push_back(json::object{{"message", std::move(message)},
                                    {"snippet", snippet},
                                    {"before", std::move(before)},
                                    {"after", std::move(after)}});
  }
  if (out_hits.empty()) text = "No messages match.";
  std::size_t count = out_hits.size();
  return tool_result::structured_result(
      json::object{{"hits", std::move(out_hits)}, {"count", count}}, text);
}

// --- wait_for_messages ----------------------------------------------------------------------

// Where "from now on" starts: after every message that has committed or may still commit below
// it (see store::settled_message_id; on SQLite messages commit in id order: the largest).
store::result<std::int64_t> newest_settled_id(store::database& db) {
  auto settled = store::settled_message_id(db);
  if (!settled) return settled.error();
  if (*settled) return **settled;
  return db.query_int64("SELECT coalesce(max(id), 0) FROM messages");
}

tool_result wait_for_messages(const read_tools_deps& deps, const json::object& args,
                              call_context& ctx) {
  std::int64_t timeout = int_arg(args, "timeout_seconds", 30);
  message_filter filter;
  std::int64_t after = int_arg(args, "after_id", -1);
  {
    auto pooled = deps.pool->acquire();
    if (!pooled) return tool_result::error(database_problem(pooled.error()));
    if (auto problem = build_filter(**pooled, args, ctx.account(), filter)) return *problem;
    if (after < 0) {
      auto start = newest_settled_id(**pooled);
      if (!start) return tool_result::error(database_problem(start.error()));
      after = *start;
    }
  }
  filter.direction = "inbound";
  // The wait watches data_version on a connection of its own: a pooled one would be held for up
  // to ten minutes, and data_version only compares within one connection.
  store::open_options own_options;
  own_options.migrate = false;
  auto own = store::database::open(deps.pool->path(), own_options);
  if (!own) return tool_result::error(database_problem(own.error()));
  store::database* db = &*own;
  std::vector<sql_param> params;
  std::string where = "1 = 1";
  filter.apply(where, params);
  params.emplace_back(after);
  auto after_sql = [&](std::string_view bound) {
    return fmt::format(
        "SELECT {} FROM messages m JOIN contacts c ON c.id = m.contact_id WHERE {} AND m.id > ?{}"
        "{} ORDER BY m.id LIMIT 50",
        message_columns, where, params.size(), bound);
  };
  const std::string sql = after_sql("");
  // Once something new is there, it is read again up to the settled id (PostgreSQL): a message
  // still being committed below it would otherwise be passed by the after_id returned. Only
  // then, so that a waiting reader does not hold writers up at every change.
  std::vector<sql_param> settled_params = params;
  settled_params.emplace_back(std::int64_t{0});
  const std::string settled_sql = after_sql(fmt::format(" AND m.id <= ?{}", settled_params.size()));
  auto started = std::chrono::steady_clock::now();
  auto deadline = started + std::chrono::seconds(timeout);
  std::optional<std::int64_t> seen_version;
  std::int64_t last_progress = -1;
  for (;;) {
    auto version = db->data_version();
    if (!version) return tool_result::error(database_problem(version.error()));
    if (!seen_version || *version != *seen_version) {
      seen_version = *version;
      auto rows = run_messages(*db, sql, params);
      if (!rows) return tool_result::error(database_problem(rows.error()));
      if (!rows->empty()) {
        auto settled = store::settled_message_id(*db);
        if (!settled) return tool_result::error(database_problem(settled.error()));
        if (*settled) {
          settled_params.back() = **settled;
          rows = run_messages(*db, settled_sql, settled_params);
          if (!rows) return tool_result::error(database_problem(rows.error()));
        }
      }
      if (!rows->empty()) {
        json::array list;
        std::int64_t last = after;
        std::string text;
        for (auto& m : *rows) {
          last = std::max(last, m.at("id").as_int64());
          append_message_line(text, m);
          text += '\n';
          list.push_back(std::move(m));
        }
        text += fmt::format("To wait for the next ones, call again with after_id {}.", last);
        return tool_result::structured_result(
            json::object{{"messages", std::move(list)}, {"timed_out", false}, {"after_id", last}},
            text);
      }
    }
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    auto elapsed = std::chrono::duration_cast<std::chrono::seconds>(now - started).count();
    if (elapsed != last_progress) {
      last_progress = elapsed;
      ctx.progress(static_cast<double>(elapsed), static_cast<double>(timeout),
                   "waiting for a new inbound message");
    }
    auto step = std::min<std::chrono::steady_clock::duration>(200ms, deadline - now);
    if (ctx.token().wait_for(std::chrono::duration_cast<std::chrono::milliseconds>(step))) {
      return tool_result::text("cancelled");
    }
  }
  return tool_result::structured_result(
      json::object{{"messages", json::array{}}, {"timed_out", true}, {"after_id", after}},
      fmt::format("No new message within {} s. Call again with after_id {} to keep waiting.",
                  timeout, after));
}

}  // namespace

void register_conversation_tools(registry& reg, const read_tools_deps& deps) {
  auto contact_filter = obj(R"J({"type":"string","minLength":1,"maxLength":256,
      "description":"contact name, phone number (any format), @username or user id"})J");
  auto from_filter = obj(R"J({"type":"string","minLength":1,"maxLength":64,
      "description":"one of our numbers (phone_number_id or display number); default: all"})J");

  {
    tool_def t;
    t.name = "list_conversations";
    t.title = "List WhatsApp conversations";
    t.description =
        "Lists WhatsApp conversations, most recent first, with the contact, a preview of the "
        "last message, unread count, whether the customer is waiting for an answer, and the "
        "24-hour service window (open or closed, and when it closes: outside it only templates "
        "can be sent), and what people noted here (labels, note, marked unread; see "
        "update_conversation). Filter with unread / unanswered / label; page with cursor.";
    t.input_schema = obj(R"J({"type":"object","additionalProperties":false,"properties":{
      "unread":{"type":"boolean","description":"only conversations with unread inbound messages or marked unread"},
      "unanswered":{"type":"boolean","description":"only conversations whose last message is from the customer"},
      "include_archived":{"type":"boolean"},
      "label":{"type":"string","minLength":1,"maxLength":40,"description":"only conversations with this label (any case)"},
      "conversation_id":{"type":"integer","minimum":1,"description":"only this conversation"},
      "limit":{"type":"integer","minimum":1,"maximum":100,"default":20},
      "cursor":{"type":"string","maxLength":512,"description":"next_cursor from the previous page"}}})J");
    t.input_schema["properties"].as_object()["from"] = from_filter;
    auto conv = obj(
        R"J({"type":"object","required":["id","contact","phone_number_id","last_message_at","preview","unread_count","unanswered","window"],
      "properties":{"id":{"type":"integer"},"phone_number_id":{"type":"string"},
      "display_phone_number":{"type":"string"},"last_message_at":{"type":"string"},
      "last_inbound_at":{"type":"string"},"last_direction":{"type":"string"},
      "preview":{"type":"string"},"unread_count":{"type":"integer"},"unanswered":{"type":"boolean"},
      "archived":{"type":"boolean"},"marked_unread":{"type":"boolean"},"note":{"type":"string"},
      "labels":{"type":"array","items":{"type":"string"}}}})J");
    conv["properties"].as_object()["contact"] = contact_schema();
    conv["properties"].as_object()["window"] = window_schema();
    t.output_schema = paged_list_schema("conversations", std::move(conv));
    t.annotations = read_only_hints();
    t.required_scope = scope::read;
    t.handler = [deps](const json::object& args, call_context& ctx) {
      return list_conversations(deps, args, ctx.account());
    };
    reg.add_tool(std::move(t));
  }
  {
    tool_def t;
    t.name = "get_messages";
    t.title = "Get WhatsApp messages";
    t.description =
        "Returns messages in chronological order. Without since/cursor: the latest `limit` "
        "messages. To fetch only what is new since last time, pass the `next_cursor` of the "
        "previous result as `cursor`, or `since` = the created_at of the last message you saw "
        "(ISO 8601 server time, not a wamid) plus `since_id` = its id. Filter by contact, our "
        "number (from) and direction.";
    t.input_schema = obj(R"J({"type":"object","additionalProperties":false,"properties":{
      "since":{"type":"string","maxLength":64,"description":"ISO 8601 created_at; returns messages after it"},
      "since_id":{"type":"integer","minimum":0,"description":"id of the message at `since` (tie-breaker)"},
      "sinceId":{"type":"integer","minimum":0,"description":"older name of since_id, still accepted"},
      "cursor":{"type":"string","maxLength":512,"description":"next_cursor of a previous get_messages result"},
      "limit":{"type":"integer","minimum":1,"maximum":100,"default":20},
      "direction":{"type":"string","enum":["inbound","outbound","all"],"default":"all"},
      "conversation_id":{"type":"integer","minimum":1}}})J");
    t.input_schema["properties"].as_object()["contact"] = contact_filter;
    t.input_schema["properties"].as_object()["from"] = from_filter;
    t.output_schema = json::object{
        {"type", "object"},
        {"required", json::array{"messages", "next_cursor", "has_more"}},
        {"properties",
         json::object{{"messages", json::object{{"type", "array"}, {"items", message_schema()}}},
                      {"next_cursor", json::object{{"type", "string"}}},
                      {"has_more", json::object{{"type", "boolean"}}},
                      {"pulled_at", json::object{{"type", "string"}}}}}};
    t.annotations = read_only_hints();
    t.required_scope = scope::read;
    t.handler = [deps](const json::object& args, call_context& ctx) {
      return get_messages(deps, args, ctx);
    };
    reg.add_tool(std::move(t));
  }
  {
    tool_def t;
    t.name = "search_messages";
    t.title = "Search WhatsApp messages";
    t.description =
        "Full-text search over message text, captions and file names (all words must match; "
        "accents ignored). Each hit comes with a few messages before and after it from the same "
        "conversation. Newest hits first.";
    t.input_schema = obj(R"J({"type":"object","additionalProperties":false,"required":["query"],
      "properties":{"query":{"type":"string","minLength":1,"maxLength":500},
      "limit":{"type":"integer","minimum":1,"maximum":50,"default":10},
      "context":{"type":"integer","minimum":0,"maximum":10,"default":2,"description":"messages of context on each side"},
      "direction":{"type":"string","enum":["inbound","outbound","all"]}}})J");
    t.input_schema["properties"].as_object()["contact"] = contact_filter;
    t.input_schema["properties"].as_object()["from"] = from_filter;
    auto list = json::object{{"type", "array"}, {"items", message_schema()}};
    auto hit =
        json::object{{"type", "object"},
                     {"required", json::array{"message", "snippet", "before", "after"}},
                     {"properties", json::object{{"message", message_schema()},
                                                 {"snippet", json::object{{"type", "string"}}},
                                                 {"before", list},
                                                 {"after", list}}}};
    t.output_schema = json::object{
        {"type", "object"},
        {"required", json::array{"hits", "count"}},
        {"properties", json::object{{"hits", json::object{{"type", "array"}, {"items", hit}}},
                                    {"count", json::object{{"type", "integer"}}}}}};
    t.annotations = read_only_hints();
    t.required_scope = scope::read;
    t.handler = [deps](const json::object& args, call_context& ctx) {
      return search_messages(deps, args, ctx.account());
    };
    reg.add_tool(std::move(t));
  }
  {
    tool_def t;
    t.name = "wait_for_messages";
    t.title = "Wait for new WhatsApp messages";
    t.description =
        "Blocks until a new inbound message arrives (optionally from one contact or to one of "
        "our numbers) or timeout_seconds pass, then returns the new messages. Use after_id from "
        "the previous result to continue without missing any. Cancellable. A few waits may run "
        "at once (4 by default); one more is refused with an error asking to try again later.";
    t.input_schema = obj(R"J({"type":"object","additionalProperties":false,"properties":{
      "timeout_seconds":{"type":"integer","minimum":1,"maximum":600,"default":30},
      "after_id":{"type":"integer","minimum":0,"description":"only messages with a larger id (default: those arriving from now on)"}}})J");
    t.input_schema["properties"].as_object()["contact"] = contact_filter;
    t.input_schema["properties"].as_object()["from"] = from_filter;
    t.output_schema = json::object{
        {"type", "object"},
        {"required", json::array{"messages", "timed_out", "after_id"}},
        {"properties",
         json::object{{"messages", json::object{{"type", "array"}, {"items", message_schema()}}},
                      {"timed_out", json::object{{"type", "boolean"}}},
                      {"after_id", json::object{{"type", "integer"}}}}}};
    t.annotations = read_only_hints(false);
    t.required_scope = scope::read;
    t.long_wait = true;
    t.handler = [deps](const json::object& args, call_context& ctx) {
      return wait_for_messages(deps, args, ctx);
    };
    reg.add_tool(std::move(t));
  }
}

}  // namespace pons::mcp
