// get_contact, search_contacts and get_window_status.
#include <fmt/core.h>

#include <boost/json/parse.hpp>

#include "pons/mcp/tools/account_filter.hpp"
#include "pons/mcp/tools/read_tools.hpp"
#include "pons/mcp/tools/tool_args.hpp"
#include "pons/store/contact_identity.hpp"
#include "pons/store/contact_preferences.hpp"
#include "pons/store/contact_repository.hpp"
#include "pons/store/like_pattern.hpp"

namespace pons::mcp {

namespace {

// The conversations of one contact with their windows, optionally for one of our numbers, on
// the numbers of the accounts `scope` allows.
store::result<json::array> contact_conversations(store::database& db, std::int64_t contact_id,
                                                 const std::string& phone_number_id,
                                                 const account_scope& scope,
                                                 store::time_point now) {
  auto s = db.prepare(fmt::format(
      "SELECT cv.id, cv.phone_number_id, coalesce(p.display_phone_number, ''), "
      "cv.last_message_at, cv.last_inbound_at, cv.unread_count, cv.window_expires_at, "
      "cv.last_direction FROM conversations cv LEFT JOIN phone_numbers p ON p.phone_number_id = "
      "cv.phone_number_id WHERE cv.contact_id = ?1 AND (?2 = '' OR cv.phone_number_id = ?2){} "
      "ORDER BY cv.last_message_at DESC",
      scope_numbers(scope, "cv.phone_number_id", 3)));
  if (!s) return s.error();
  s->bind(1, contact_id).bind(2, phone_number_id);
  bind_scope(*s, scope, 3);
  json::array out;
  for (;;) {
    auto row = s->step();
    if (!row) return row.error();
    if (!*row) break;
    out.push_back(json::object{{"id", s->column_int64(0)},
                               {"phone_number_id", s->column_text(1)},
                               {"display_phone_number", s->column_text(2)},
                               {"last_message_at", s->column_text(3)},
                               {"last_inbound_at", s->column_text(4)},
                               {"unread_count", s->column_int64(5)},
                               {"unanswered", s->column_text(7) == "inbound"},
                               {"window", window_json(s->column_text(6), now)}});
  }
  return out;
}

json::object conversation_schema() {
  auto c = obj(R"J({"type":"object","required":["id","phone_number_id","window"],"properties":{
    "id":{"type":"integer"},"phone_number_id":{"type":"string"},"display_phone_number":{"type":"string"},
    "last_message_at":{"type":"string"},"last_inbound_at":{"type":"string"},
    "unread_count":{"type":"integer"},"unanswered":{"type":"boolean"}}})J");
  c["properties"].as_object()["window"] = window_schema();
  return c;
}

tool_result get_contact(const read_tools_deps& deps, const json::object& args,
                        const account_scope& scope) {
  std::string query = str_arg(args, "contact");
  auto db = deps.pool->acquire();
  if (!db) return tool_result::error(database_problem(db.error()));
  auto match = resolve_contact(**db, query, scope);
  if (!match) return tool_result::error(database_problem(match.error()));
  if (!match->found) return tool_result::error(contact_problem_text(query, *match));
  const contact_row& c = *match->found;
  auto convs = contact_conversations(**db, c.id, "", scope, deps.now());
  if (!convs) return tool_result::error(database_problem(convs.error()));
  auto count =
      db->operator->()->prepare(fmt::format("SELECT count(*) FROM messages WHERE contact_id = ?1{}",
                                            scope_numbers(scope, "phone_number_id", 2)));
  std::int64_t messages = 0;
  if (count) {
    count->bind(1, c.id);
    bind_scope(*count, scope, 2);
    if (auto r = count->step(); r && *r) messages = count->column_int64(0);
  }
  json::object contact = contact_json(c);
  contact["created_at"] = c.created_at;
  std::string text =
      fmt::format("{} (wa_id {}{}), {} messages, {} conversation(s)",
                  std::string_view(contact["name"].as_string()), c.wa_id.empty() ? "-" : c.wa_id,
                  c.user_id.empty() ? "" : ", user_id " + c.user_id, messages, convs->size());
  for (const auto& cv : *convs) {
    const auto& w = cv.at("window").as_object();
    text += fmt::format("\n- conversation #{} on {}: last message {}, window {}",
                        cv.at("id").as_int64(),
                        std::string_view(cv.at("display_phone_number").as_string()),
                        std::string_view(cv.at("last_message_at").as_string()),
                        w.at("open").as_bool() ? "open" : "closed");
  }
  // What the contact told WhatsApp about marketing messages, per number (within the scope).
  auto prefs = store::list_contact_preferences(**db, c.id);
  if (!prefs) return tool_result::error(database_problem(prefs.error()));
  json::array marketing;
  for (const auto& p : *prefs) {
    if (p.category != store::marketing_messages) continue;
    std::vector<sql_param> params{p.phone_number_id};
    std::string where = "phone_number_id = ?1";
    restrict_numbers(scope, "phone_number_id", where, params);
    auto visible = db->operator->()->prepare("SELECT 1 FROM phone_numbers WHERE " + where);
    if (!visible) return tool_result::error(database_problem(visible.error()));
    bind_params(*visible, params);
    auto row = visible->step();
    if (!row) return tool_result::error(database_problem(row.error()));
    if (!*row) continue;
    const bool stopped = p.value == "stop";
    marketing.push_back(json::object{{"phone_number_id", p.phone_number_id},
                                     {"stopped", stopped},
                                     {"since", p.changed_at},
                                     {"source", p.source}});
    text += fmt::format("\n- marketing messages from {}: {} since {}{}", p.phone_number_id,
                        stopped ? "stopped" : "resumed", p.changed_at,
                        stopped ? " (marketing templates are refused; utility and normal "
                                  "messages still go)"
                                : "");
  }
  auto stored = store::get_contact(**db, c.id);
  if (!stored) return tool_result::error(database_problem(stored.error()));
  if (*stored && !(*stored)->parent_user_id.empty()) {
    contact["parent_user_id"] = (*stored)->parent_user_id;
    text += fmt::format("\n- parent BSUID {}", (*stored)->parent_user_id);
  }
  if (c.wa_id.empty()) {
    text +=
        "\n- known only by their business-scoped user id (a WhatsApp username user): "
        "messages and most templates reach them, authentication templates do not";
  }
  // Earlier ids, as Meta reported the changes (a new number, a new BSUID, two records merged).
  auto history = store::contact_identity_history(**db, c.id);
  if (!history) return tool_result::error(database_problem(history.error()));
  json::array identity_changes;
  for (const auto& h : *history) {
    identity_changes.push_back(json::object{{"kind", h.kind},
                                            {"previous_wa_id", h.previous_wa_id},
                                            {"previous_user_id", h.previous_user_id},
                                            {"changed_at", h.changed_at}});
    const std::string was = !h.previous_wa_id.empty() ? "+" + h.previous_wa_id : h.previous_user_id;
    if (h.kind == "number_changed") {
      text += fmt::format("\n- changed their number on {} (formerly {})", h.changed_at, was);
    } else if (h.kind == "user_id_changed") {
      text += fmt::format("\n- their business-scoped user id changed on {} (formerly {})",
                          h.changed_at, was);
    } else {
      text += fmt::format("\n- merged on {} with the record of {} (Meta linked the two)",
                          h.changed_at, was);
    }
  }
  return tool_result::structured_result(
      json::object{{"contact", std::move(contact)},
                   {"conversations", std::move(*convs)},
                   {"message_count", messages},
                   {"marketing", std::move(marketing)},
                   {"identity_changes", std::move(identity_changes)}},
      text);
}

tool_result search_contacts(const read_tools_deps& deps, const json::object& args,
                            const account_scope& scope) {
  std::string query = str_arg(args, "query");
  std::int64_t limit = 20;
  if (const json::value* l = args.if_contains("limit"); l && l->is_int64()) limit = l->get_int64();
  std::string digits;
  for (char ch : query) {
    if (ch >= '0' && ch <= '9') digits += ch;
  }
  auto db = deps.pool->acquire();
  if (!db) return tool_result::error(database_problem(db.error()));
  auto s = db->operator->()->prepare(fmt::format(
      "SELECT id, wa_id, user_id, username, profile_name, created_at FROM contacts WHERE "
      "(lower(profile_name) LIKE '%' || lower(?4) || '%' {0} OR "
      "lower(username) LIKE '%' || lower(?4) || '%' {0} OR "
      "user_id = ?1 OR (length(?2) >= 3 AND wa_id LIKE '%' || ?2 || '%')){1} "
      "ORDER BY lower(profile_name), id LIMIT ?3",
      store::like_escape_clause, scope_account_id(scope, "account_id", 5)));
  if (!s) return tool_result::error(database_problem(s.error()));
  s->bind(1, query).bind(2, digits).bind(3, limit).bind(4, store::escape_like(query));
  bind_scope(*s, scope, 5);
  json::array list;
  std::string text;
  for (;;) {
    auto row = s->step();
    if (!row) return tool_result::error(database_problem(row.error()));
    if (!*row) break;
    contact_row c{s->column_int64(0), s->column_text(1), s->column_text(2),
                  s->column_text(3),  s->column_text(4), s->column_text(5)};
    auto j = contact_json(c);
    text += fmt::format("- {} (wa_id {})\n", std::string_view(j["name"].as_string()),
                        c.wa_id.empty() ? "-" : c.wa_id);
    list.push_back(std::move(j));
  }
  if (list.empty()) {
    // Nothing contains the text: offer the closest names instead of a blank answer.
    auto match = resolve_contact(**db, query, scope);
    if (match && match->found) {
      list.push_back(contact_json(*match->found));
      text = fmt::format("- {}\n", std::string_view(list.back().at("name").as_string()));
    } else if (match && !match->candidates.empty()) {
      for (const auto& c : match->candidates) list.push_back(contact_json(c));
      text = contact_problem_text(query, *match);
    } else {
      text = fmt::format("No contact matches \"{}\".", query);
    }
  }
  return tool_result::structured_result(json::object{{"contacts", std::move(list)}}, text);
}

tool_result get_window_status(const read_tools_deps& deps, const json::object& args,
                              const account_scope& scope) {
  std::string query = str_arg(args, "contact");
  auto db = deps.pool->acquire();
  if (!db) return tool_result::error(database_problem(db.error()));
  auto match = resolve_contact(**db, query, scope);
  if (!match) return tool_result::error(database_problem(match.error()));
  if (!match->found) return tool_result::error(contact_problem_text(query, *match));
  std::string problem;
  auto sender = resolve_sender(**db, str_arg(args, "from"), scope, problem);
  if (!sender) return tool_result::error(problem);
  auto convs = contact_conversations(**db, match->found->id, *sender, scope, deps.now());
  if (!convs) return tool_result::error(database_problem(convs.error()));
  json::array windows;
  bool any_open = false;
  std::string text;
  std::string name(contact_json(*match->found)["name"].as_string());
  for (const auto& cv : *convs) {
    const auto& w = cv.at("window").as_object();
    bool open = w.at("open").as_bool();
    any_open = any_open || open;
    text += open ? fmt::format(
                       "Window with {} on {} is open for {} more seconds (until {}): "
                       "free-form messages are allowed.\n",
                       name, std::string_view(cv.at("display_phone_number").as_string()),
                       w.at("seconds_left").as_int64(),
                       std::string_view(w.at("expires_at").as_string()))
                 : fmt::format(
                       "Window with {} on {} is closed: only approved templates can be "
                       "sent (see list_templates) until {} writes again.\n",
                       name, std::string_view(cv.at("display_phone_number").as_string()), name);
    windows.push_back(json::object{{"conversation_id", cv.at("id")},
                                   {"phone_number_id", cv.at("phone_number_id")},
                                   {"last_inbound_at", cv.at("last_inbound_at")},
                                   {"window", w}});
  }
  if (windows.empty()) {
    text = fmt::format(
        "{} has never written to us: the window is closed, so only approved "
        "templates can be sent (see list_templates).",
        name);
  }
  return tool_result::structured_result(json::object{{"contact", contact_json(*match->found)},
                                                     {"open", any_open},
                                                     {"windows", std::move(windows)}},
                                        text);
}

}  // namespace

void register_contact_tools(registry& reg, const read_tools_deps& deps) {
  {
    tool_def t;
    t.name = "get_contact";
    t.title = "Get a WhatsApp contact";
    t.description =
        "Looks a contact up by name, phone number (any format), @username, user id or #id and "
        "returns their details, conversations (per business number, with the 24-hour window) "
        "and message count, and whether they stopped marketing messages from a number. An "
        "unknown contact returns the closest matches.";
    t.input_schema = obj(R"J({"type":"object","additionalProperties":false,"required":["contact"],
      "properties":{"contact":{"type":"string","minLength":1,"maxLength":256,"description":"name, phone number, @username, user id or #id"}}})J");
    auto contact = contact_schema();
    contact["properties"].as_object()["created_at"] = json::object{{"type", "string"}};
    contact["properties"].as_object()["parent_user_id"] =
        json::object{{"type", "string"},
                     {"description", "Meta's parent BSUID, shared by linked business portfolios"}};
    t.output_schema = json::object{
        {"type", "object"},
        {"required", json::array{"contact", "conversations", "message_count"}},
        {"properties",
         json::object{
             {"contact", contact},
             {"conversations", json::object{{"type", "array"}, {"items", conversation_schema()}}},
             {"message_count", json::object{{"type", "integer"}}},
             {"marketing",
              obj(R"J({"type":"array","description":"what the contact told WhatsApp about marketing messages, per number of ours (none: subscribed)",
                "items":{"type":"object","required":["phone_number_id","stopped","since","source"],"properties":{
                "phone_number_id":{"type":"string"},"stopped":{"type":"boolean"},"since":{"type":"string"},
                "source":{"type":"string","enum":["user_preferences","error_131050"]}}}})J")},
             {"identity_changes",
              obj(R"J({"type":"array","description":"earlier ids of this contact, newest first: a changed phone number, a changed business-scoped user id, or another record merged in when Meta linked the two",
                "items":{"type":"object","required":["kind","previous_wa_id","previous_user_id","changed_at"],"properties":{
                "kind":{"type":"string","enum":["number_changed","user_id_changed","merged"]},
                "previous_wa_id":{"type":"string"},"previous_user_id":{"type":"string"},"changed_at":{"type":"string"}}}})J")}}}};
    t.annotations = read_only_hints();
    t.required_scope = scope::read;
    t.handler = [deps](const json::object& args, call_context& ctx) {
      return get_contact(deps, args, ctx.account());
    };
    reg.add_tool(std::move(t));
  }
  {
    tool_def t;
    t.name = "search_contacts";
    t.title = "Search WhatsApp contacts";
    t.description =
        "Finds contacts whose name or username contains the text, or whose number contains the "
        "digits given. When nothing contains it, returns the closest names.";
    t.input_schema = obj(R"J({"type":"object","additionalProperties":false,"required":["query"],
      "properties":{"query":{"type":"string","minLength":1,"maxLength":200},
      "limit":{"type":"integer","minimum":1,"maximum":100,"default":20}}})J");
    t.output_schema = json::object{
        {"type", "object"},
        {"required", json::array{"contacts"}},
        {"properties",
         json::object{{"contacts", json::object{{"type", "array"}, {"items", contact_schema()}}}}}};
    t.annotations = read_only_hints();
    t.required_scope = scope::read;
    t.handler = [deps](const json::object& args, call_context& ctx) {
      return search_contacts(deps, args, ctx.account());
    };
    reg.add_tool(std::move(t));
  }
  {
    tool_def t;
    t.name = "get_window_status";
    t.title = "Check the 24-hour window";
    t.description =
        "Tells whether the 24-hour customer service window with a contact is open (free-form "
        "messages allowed) and when it closes, per business number. When it is closed, only "
        "approved templates can be sent.";
    t.input_schema = obj(R"J({"type":"object","additionalProperties":false,"required":["contact"],
      "properties":{"contact":{"type":"string","minLength":1,"maxLength":256},
      "from":{"type":"string","minLength":1,"maxLength":64,"description":"one of our numbers; default: all"}}})J");
    auto entry = json::object{
        {"type", "object"},
        {"required", json::array{"conversation_id", "phone_number_id", "window"}},
        {"properties", json::object{{"conversation_id", json::object{{"type", "integer"}}},
                                    {"phone_number_id", json::object{{"type", "string"}}},
                                    {"last_inbound_at", json::object{{"type", "string"}}},
                                    {"window", window_schema()}}}};
    t.output_schema = json::object{
        {"type", "object"},
        {"required", json::array{"contact", "open", "windows"}},
        {"properties",
         json::object{{"contact", contact_schema()},
                      {"open", json::object{{"type", "boolean"}}},
                      {"windows", json::object{{"type", "array"}, {"items", entry}}}}}};
    t.annotations = read_only_hints();
    t.required_scope = scope::read;
    t.handler = [deps](const json::object& args, call_context& ctx) {
      return get_window_status(deps, args, ctx.account());
    };
    reg.add_tool(std::move(t));
  }
}

}  // namespace pons::mcp
