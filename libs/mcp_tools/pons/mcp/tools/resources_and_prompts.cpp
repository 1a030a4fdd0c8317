// Resources (the inbox, each conversation, the templates) and prompts.
#include <fmt/core.h>

#include <boost/json/serialize.hpp>
#include <charconv>

#include "pons/mcp/tools/account_filter.hpp"
#include "pons/mcp/tools/read_tools.hpp"
#include "pons/mcp/tools/tool_args.hpp"
#include "pons/store/like_pattern.hpp"

namespace pons::mcp {

namespace {

constexpr const char* inbox_uri = "pons://inbox";
constexpr const char* templates_uri = "pons://templates";
constexpr const char* conversation_template = "pons://conversations/{id}";

// Calls a registered tool's handler (the resources show what the tools return).
json::value tool_data(const registry& reg, std::string_view name, json::object args,
                      call_context& ctx, std::string& error) {
  const tool_def* t = reg.find_tool(name);
  if (!t) {
    error = fmt::format("{} is not available", name);
    return nullptr;
  }
  tool_result r = t->handler(args, ctx);
  if (r.protocol_error) {
    error = r.protocol_error->message;
    return nullptr;
  }
  auto structured = r.is_error ? std::nullopt : r.structured_object();
  if (!structured) {
    error = r.content.empty() ? std::string("failed")
                              : std::string(r.content[0].at("text").as_string());
    return nullptr;
  }
  return std::move(*structured);
}

resource_result json_resource(std::string_view uri, json::value data, std::string_view error) {
  if (data.is_null()) {
    resource_result r;
    r.error = rpc_error{rpc_code::internal_error, std::string(error), nullptr};
    return r;
  }
  return resource_result::text(std::string(uri), "application/json", json::serialize(data));
}

// Recent conversation ids and contact names of the accounts `scope` allows, for completion and
// resources/list.
std::vector<std::pair<std::int64_t, std::string>> recent_conversations(const read_tools_deps& deps,
                                                                       std::size_t limit,
                                                                       const account_scope& scope) {
  std::vector<std::pair<std::int64_t, std::string>> out;
  auto db = deps.pool->acquire();
  if (!db) return out;
  auto s = db->operator->()->prepare(fmt::format(
      "SELECT cv.id, CASE WHEN c.profile_name <> '' THEN c.profile_name WHEN c.wa_id <> '' THEN "
      "'+' || c.wa_id ELSE c.user_id END FROM conversations cv JOIN contacts c ON c.id = "
      "cv.contact_id WHERE 1 = 1{} ORDER BY cv.last_message_at DESC, cv.id DESC LIMIT ?1",
      scope_numbers(scope, "cv.phone_number_id", 2)));
  if (!s) return out;
  s->bind(1, static_cast<std::int64_t>(limit));
  bind_scope(*s, scope, 2);
  for (;;) {
    auto row = s->step();
    if (!row || !*row) break;
    out.emplace_back(s->column_int64(0), s->column_text(1));
  }
  return out;
}

std::vector<std::string> contact_names(const read_tools_deps& deps, std::string_view prefix,
                                       const account_scope& scope) {
  std::vector<std::string> out;
  if (!text_arg_problem(prefix, max_contact_chars).empty()) return out;
  auto db = deps.pool->acquire();
  if (!db) return out;
  auto s = db->operator->()->prepare(
      fmt::format("SELECT profile_name FROM contacts WHERE profile_name <> '' AND "
                  "lower(profile_name) LIKE lower(?1) || '%' {}{} GROUP BY profile_name "
                  "ORDER BY lower(profile_name) LIMIT 100",
                  store::like_escape_clause, scope_account_id(scope, "account_id", 2)));
  if (!s) return out;
  s->bind(1, store::escape_like(prefix));
  bind_scope(*s, scope, 2);
  for (;;) {
    auto row = s->step();
    if (!row || !*row) break;
    out.push_back(s->column_text(0));
  }
  return out;
}

json::object user_message(std::string text) {
  return json::object{{"role", "user"},
                      {"content", json::object{{"type", "text"}, {"text", std::move(text)}}}};
}

}  // namespace

void register_resources_and_prompts(registry& reg, const read_tools_deps& deps) {
  const registry* tools = &reg;
  {
    resource_def inbox;
    inbox.uri = inbox_uri;
    inbox.name = "inbox";
    inbox.title = "WhatsApp inbox";
    inbox.description =
        "The 50 most recent conversations with unread counts, previews and 24-hour windows. "
        "Subscribe to be told when anything arrives.";
    inbox.mime_type = "application/json";
    inbox.read = [tools](std::string_view uri, call_context& ctx) {
      std::string error;
      auto data = tool_data(*tools, "list_conversations", json::object{{"limit", 50}}, ctx, error);
      return json_resource(uri, std::move(data), error);
    };
    reg.add_resource(std::move(inbox));
  }
  {
    resource_def templates;
    templates.uri = templates_uri;
    templates.name = "templates";
    templates.title = "Message templates";
    templates.description = "All message templates synced from Meta, with their variables.";
    templates.mime_type = "application/json";
    templates.read = [tools](std::string_view uri, call_context& ctx) {
      std::string error;
      auto data = tool_data(*tools, "list_templates", json::object{{"status", "all"}}, ctx, error);
      return json_resource(uri, std::move(data), error);
    };
    reg.add_resource(std::move(templates));
  }
  {
    resource_template_def conv;
    conv.uri_template = conversation_template;
    conv.name = "conversation";
    conv.title = "WhatsApp conversation";
    conv.description =
        "The last 50 messages of one conversation (id from list_conversations). Subscribe to be "
        "told when it changes.";
    conv.mime_type = "application/json";
    conv.read = [tools](std::string_view uri, const std::map<std::string, std::string>& vars,
                        call_context& ctx) {
      // The id comes from the client: anything that is not a positive 64-bit number names no
      // conversation, so it is "not found" rather than an internal error.
      const std::string& id = vars.at("id");
      std::int64_t conversation_id = 0;
      auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), conversation_id);
      if (ec != std::errc() || end != id.data() + id.size() || conversation_id <= 0) {
        return resource_result::not_found(uri);
      }
      std::string error;
      auto data =
          tool_data(*tools, "get_messages",
                    json::object{{"conversation_id", conversation_id}, {"limit", 50}}, ctx, error);
      if (!data.is_null() && data.at("messages").as_array().empty()) {
        return resource_result::not_found(uri);
      }
      return json_resource(uri, std::move(data), error);
    };
    conv.complete = [deps](std::string_view, std::string_view value,
                           const std::map<std::string, std::string>&, const call_context& call) {
      std::vector<std::string> out;
      for (const auto& [id, name] : recent_conversations(deps, 1000, call.account())) {
        std::string s = std::to_string(id);
        if (s.rfind(value, 0) == 0) out.push_back(s);
      }
      return out;
    };
    reg.add_resource_template(std::move(conv));
  }
  reg.set_resource_lister([deps](const account_scope& scope) {
    std::vector<resource_info> out;
    for (const auto& [id, name] : recent_conversations(deps, 100, scope)) {
      out.push_back({fmt::format("pons://conversations/{}", id), fmt::format("conversation-{}", id),
                     fmt::format("WhatsApp with {}", name), "", "application/json"});
    }
    return out;
  });

  {
    prompt_def triage;
    triage.name = "triage_unread";
    triage.title = "Triage my unread WhatsApp conversations";
    triage.description =
        "Goes through unread WhatsApp conversations, summarises each and proposes what to do.";
    triage.arguments = {{"from", "only conversations on this number of ours", false}};
    triage.get = [tools](const std::map<std::string, std::string>& args, call_context& ctx) {
      json::object list_args{{"unread", true}, {"limit", 30}};
      if (auto it = args.find("from"); it != args.end()) {
        if (auto problem = text_arg_problem(it->second, 64); !problem.empty()) {
          prompt_result bad;
          bad.error = invalid_params("params.arguments.from", problem);
          return bad;
        }
      }
      if (auto it = args.find("from"); it != args.end()) list_args["from"] = it->second;
      std::string error;
      auto data = tool_data(*tools, "list_conversations", list_args, ctx, error);
      prompt_result r;
      r.description = "Triage unread WhatsApp conversations";
      std::string snapshot =
          data.is_null() ? "(could not read the inbox: " + error + ")" : json::serialize(data);
      r.messages.push_back(user_message(fmt::format(
          "Triage my unread WhatsApp conversations. Here they are (JSON from list_conversations):"
          "\n{}\n\nFor each one: read the recent messages with get_messages (contact = the "
          "contact's wa_id), summarise what the customer wants in one line, rate the urgency "
          "(high/medium/low), and propose the next action. Mention when the 24-hour window is "
          "closed or closing soon, because then only a template can be sent. Do not send "
          "anything without my confirmation.",
          snapshot)));
      return r;
    };
    reg.add_prompt(std::move(triage));
  }
  {
    prompt_def draft;
    draft.name = "draft_reply";
    draft.title = "Draft a WhatsApp reply";
    draft.description = "Drafts a reply to a contact from the recent conversation.";
    draft.arguments = {{"contact", "name, number or @username of the contact", true},
                       {"tone", "e.g. friendly, formal, brief", false}};
    draft.get = [tools](const std::map<std::string, std::string>& args, call_context& ctx) {
      const std::string& contact = args.at("contact");
      prompt_result r;
      // Prompt arguments have no schema: bound them here, before they reach a query.
      for (const auto& [name, max] :
           {std::pair<std::string, std::size_t>{"contact", max_contact_chars}, {"tone", 200}}) {
        auto it = args.find(name);
        if (it == args.end()) continue;
        if (auto problem = text_arg_problem(it->second, max); !problem.empty()) {
          r.error = invalid_params("params.arguments." + name, problem);
          return r;
        }
      }
      std::string error;
      auto messages = tool_data(*tools, "get_messages",
                                json::object{{"contact", contact}, {"limit", 20}}, ctx, error);
      if (messages.is_null()) {
        r.error = invalid_params("params.arguments.contact", error);
        return r;
      }
      std::string window_error;
      auto window = tool_data(*tools, "get_window_status", json::object{{"contact", contact}}, ctx,
                              window_error);
      std::string tone = args.count("tone") ? args.at("tone") : "friendly and concise";
      r.description = fmt::format("Draft a reply to {}", contact);
      r.messages.push_back(user_message(fmt::format(
          "Draft a WhatsApp reply to {} in a {} tone. The recent conversation (JSON from "
          "get_messages, oldest first):\n{}\n\nWindow status:\n{}\n\nIf the 24-hour window is "
          "closed, propose an approved template instead (list_templates) and its variables. "
          "Show me the draft; do not send it until I confirm.",
          contact, tone, json::serialize(messages),
          window.is_null() ? window_error : json::serialize(window))));
      return r;
    };
    draft.complete = [deps](std::string_view argument, std::string_view value,
                            const std::map<std::string, std::string>&, const call_context& call) {
      if (argument == "tone") {
        std::vector<std::string> out;
        for (std::string t : {"friendly", "formal", "brief", "apologetic"}) {
          if (t.rfind(value, 0) == 0) out.push_back(t);
        }
        return out;
      }
      return contact_names(deps, value, call.account());
    };
    reg.add_prompt(std::move(draft));
  }
}

}  // namespace pons::mcp
