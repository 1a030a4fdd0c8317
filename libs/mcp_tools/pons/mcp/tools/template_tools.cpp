// create_template: Meta's rules checked first (nothing reaches Meta when one is broken), then
// POST /{waba-id}/message_templates, then the new template stored PENDING so list_templates
// shows it at once. delete_template: DELETE /{waba-id}/message_templates by name (every
// language) or by name and the stored template id of one language, then the local rows go.
#include "pons/mcp/tools/template_tools.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <boost/json.hpp>

#include "pons/mcp/tools/read_tools.hpp"
#include "pons/mcp/tools/tool_args.hpp"
#include "pons/meta/template_rules.hpp"
#include "pons/store/account_repository.hpp"
#include "pons/store/database.hpp"
#include "pons/store/template_repository.hpp"

namespace pons::mcp {

namespace {

// The account a call manages templates of, or the tool error that says how to name one.
struct chosen_account {
  std::string waba_id;
  std::optional<tool_result> problem;
};

chosen_account choose_account(const send_tools_deps& deps, store::database& db,
                              const json::object& args, const account_scope& scope) {
  // The accounts pons-mcp is configured with, then those pons-webhook recorded.
  std::vector<std::string> known;
  auto add = [&](const std::string& waba) {
    if (!waba.empty() && scope.allows(waba) &&
        std::find(known.begin(), known.end(), waba) == known.end())
      known.push_back(waba);
  };
  for (const auto& a : deps.graphs->accounts().accounts) add(a.waba_id);
  auto stored = store::list_accounts(db);
  if (!stored) return {{}, tool_result::error(database_problem(stored.error()))};
  for (const auto& a : *stored) add(a.waba_id);
  if (known.empty()) {
    return {{},
            tool_result::error(
                "No WhatsApp Business Account is known, so there is nowhere to manage templates. "
                "Ask the user to set WA_WABA_ID (with WA_ACCESS_TOKEN) in pons-mcp's environment, "
                "or to list the accounts in the PONS_CONFIG file, and restart pons-mcp.")};
  }
  std::string list;
  for (const auto& w : known) list += (list.empty() ? "" : ", ") + w;
  const std::string wanted = str_arg(args, "account");
  if (wanted.empty() && known.size() > 1) {
    return {{},
            tool_result::error(fmt::format(
                "Several WhatsApp Business Accounts are known ({}); pass account, the WABA id "
                "whose templates to manage (list_accounts shows them).",
                list))};
  }
  if (!wanted.empty() && std::find(known.begin(), known.end(), wanted) == known.end()) {
    return {{},
            tool_result::error(fmt::format(
                "Account {} is not known here; the accounts are: {}. Pass one of them as "
                "account.",
                wanted, list))};
  }
  const std::string waba = wanted.empty() ? known.front() : wanted;
  if (deps.graphs->token_for_account(waba).empty()) {
    return {{},
            tool_result::error(fmt::format(
                "No access token is configured for account {}; ask the user to set "
                "WA_ACCESS_TOKEN in pons-mcp's environment (or access_token for the account in "
                "the PONS_CONFIG file) and restart pons-mcp.",
                waba))};
  }
  return {waba, std::nullopt};
}

std::string upper(std::string s) {
  for (auto& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return s;
}

// Meta's request body from the tool's arguments (the same names, without `account`).
json::object template_request(const json::object& args) {
  json::object body;
  for (const char* key : {"name", "language", "category", "parameter_format", "components"}) {
    if (const json::value* v = args.if_contains(key)) body[key] = *v;
  }
  return body;
}

tool_result refused_by_rules(json::object out, const meta::template_check& check) {
  json::array list;
  std::string text =
      fmt::format("Not sent to Meta: the template breaks {} of Meta's documented rules:\n",
                  check.violations.size() + check.more);
  for (const auto& v : check.violations) {
    list.push_back(json::object{{"component", v.component},
                                {"rule", meta::template_rule_name(v.rule)},
                                {"message", v.message}});
    text += "- " + v.message + "\n";
  }
  if (check.more > 0) text += fmt::format("- and {} more\n", check.more);
  text += "Change the template as each line says and call create_template again.";
  out["created"] = false;
  out["violations"] = std::move(list);
  if (check.more > 0) out["more_violations"] = check.more;
  auto r = tool_result::structured_result(std::move(out), std::move(text));
  r.is_error = true;
  return r;
}

tool_result create_template(const send_tools_deps& deps, const json::object& args,
                            const account_scope& scope) {
  auto db = deps.read.pool->acquire();
  if (!db) return tool_result::error(database_problem(db.error()));
  auto account = choose_account(deps, **db, args, scope);
  if (account.problem) return *account.problem;
  const std::string name = str_arg(args, "name");
  const std::string language = str_arg(args, "language");
  json::object out{{"waba_id", account.waba_id}, {"name", name}, {"language", language}};

  const json::object request = template_request(args);
  const auto check = meta::check_template(request);
  if (!check.ok()) return refused_by_rules(std::move(out), check);
  if (deps.dry_run) {
    out["created"] = false;
    out["dry_run"] = true;
    return tool_result::structured_result(
        std::move(out),
        "Dry run: the template follows Meta's documented rules; nothing was sent to Meta.");
  }

  auto graph = deps.graphs->for_account(account.waba_id);
  auto created = graph->create_message_template(account.waba_id, request);
  if (!created) {
    out["created"] = false;
    out["error"] = created.error().explain();
    if (created.error().meta_code() >= 0) out["error_code"] = created.error().meta_code();
    if (created.error().meta && created.error().meta->subcode > 0) {
      out["error_subcode"] = created.error().meta->subcode;
    }
    auto r = tool_result::structured_result(
        std::move(out), fmt::format("Meta refused the template {} ({}): {}", name, language,
                                    created.error().explain()));
    r.is_error = true;
    return r;
  }
  const std::string asked = str_arg(args, "category");
  const std::string category = created->category.empty() ? asked : created->category;
  const std::string status = created->status.empty() ? "PENDING" : created->status;
  out["created"] = true;
  out["id"] = created->id;
  out["status"] = status;
  out["category"] = category;
  std::string text = fmt::format("Created template {} ({}) at Meta: id {}, status {}, category {}.",
                                 name, language, created->id, status, category);
  if (!asked.empty() && category != asked) {
    text += fmt::format(" Meta filed it as {}, not {} as asked.", category, asked);
  }

  // Kept here at once, so list_templates shows it before the next sync or review webhook.
  store::template_record row;
  row.waba_id = account.waba_id;
  row.meta_template_id = created->id;
  row.name = name;
  row.language = language;
  row.category = category;
  row.status = status;
  row.components_json = json::serialize(args.at("components"));
  const std::string format = upper(str_arg(args, "parameter_format"));
  row.parameter_format = format.empty() ? "POSITIONAL" : format;
  if (auto stored = store::store_created_template(**db, row, deps.read.now()); !stored) {
    out["stored"] = false;
    text += fmt::format(" It is not stored here yet ({}); sync_templates fetches it from Meta.",
                        database_problem(stored.error()));
  } else {
    out["stored"] = true;
  }
  text +=
      " Meta reviews new templates, usually within minutes (at most 24 hours): list_templates "
      "with status \"all\" (or \"PENDING\") shows its status as Meta's review arrives, and "
      "send_template can use it once it is APPROVED. If Meta rejects it, list_templates gives "
      "Meta's reason.";
  return tool_result::structured_result(std::move(out), std::move(text));
}

tool_result delete_template(const send_tools_deps& deps, const json::object& args,
                            const account_scope& scope) {
  auto db = deps.read.pool->acquire();
  if (!db) return tool_result::error(database_problem(db.error()));
  auto account = choose_account(deps, **db, args, scope);
  if (account.problem) return *account.problem;
  const std::string name = str_arg(args, "name");
  const std::string language = str_arg(args, "language");
  json::object out{{"waba_id", account.waba_id}, {"name", name}, {"language", language}};
  const std::string which = language.empty() ? "every language" : "language " + language;

  // One language is deleted by Meta's id of it; by name alone Meta deletes every language.
  std::string hsm_id;
  if (!language.empty()) {
    auto stored = store::find_template(**db, account.waba_id, name, language);
    if (!stored) return tool_result::error(database_problem(stored.error()));
    if (!*stored || (*stored)->meta_template_id.empty()) {
      return tool_result::error(fmt::format(
          "No template {} in {} is stored here with Meta's id, and without it Meta would delete "
          "every language of {}. Call sync_templates, check the name and language with "
          "list_templates (status \"all\"), or leave language out to delete every language.",
          name, language, name));
    }
    hsm_id = (*stored)->meta_template_id;
  }
  if (deps.dry_run) {
    out["deleted"] = false;
    out["dry_run"] = true;
    out["removed_here"] = 0;
    return tool_result::structured_result(
        std::move(out),
        fmt::format("Dry run: template {} ({}) would have been deleted; nothing was sent to Meta.",
                    name, which));
  }

  auto graph = deps.graphs->for_account(account.waba_id);
  auto deleted = graph->delete_message_template(account.waba_id, name, hsm_id);
  const bool not_at_meta = !deleted && deleted.error().meta &&
                           deleted.error().meta->code == domain::meta_errc::template_name_not_found;
  if (!deleted && !not_at_meta) {
    out["deleted"] = false;
    out["removed_here"] = 0;
    out["error"] = deleted.error().explain();
    if (deleted.error().meta_code() >= 0) out["error_code"] = deleted.error().meta_code();
    auto r = tool_result::structured_result(
        std::move(out), fmt::format("Meta did not delete the template {} ({}): {}", name, which,
                                    deleted.error().explain()));
    r.is_error = true;
    return r;
  }
  // Deleted at Meta, or Meta has no such template: what is stored here is gone either way.
  auto removed = store::delete_stored_templates(**db, account.waba_id, name, language);
  if (!removed) {
    return tool_result::error(
        fmt::format("{} but the stored copy could not be removed ({}); sync_templates removes it.",
                    not_at_meta ? "Meta has no such template" : "Meta deleted the template",
                    database_problem(removed.error())));
  }
  out["removed_here"] = *removed;
  if (not_at_meta) {
    out["deleted"] = false;
    out["error"] = deleted.error().explain();
    out["error_code"] = deleted.error().meta_code();
    auto r = tool_result::structured_result(
        std::move(out),
        fmt::format("Meta has no template {} ({}) in account {}: {} {} stored row{} removed here. "
                    "list_templates (status \"all\") shows what is left; sync_templates fetches "
                    "Meta's list.",
                    name, which, account.waba_id, deleted.error().explain(), *removed,
                    *removed == 1 ? "" : "s"));
    r.is_error = true;
    return r;
  }
  out["deleted"] = true;
  return tool_result::structured_result(
      std::move(out),
      fmt::format("Deleted template {} ({}) at Meta, and {} stored row{} here. Meta keeps the "
                  "name for 30 days: a new template named {} can't be created in a deleted "
                  "language until then (use another name). Messages already sent with it are "
                  "still delivered.",
                  name, which, *removed, *removed == 1 ? "" : "s", name));
}

// What create_template accepts: Meta's components, each string bounded.
constexpr std::string_view create_input_schema = R"J({"type":"object","additionalProperties":false,
  "required":["name","language","category","components"],
  "properties":{
    "account":{"type":"string","minLength":1,"maxLength":64,"description":"the WABA id (list_accounts); needed only when several accounts are known"},
    "name":{"type":"string","minLength":1,"maxLength":512,"description":"lowercase letters, digits and underscores, e.g. seasonal_promotion"},
    "language":{"type":"string","minLength":1,"maxLength":16,"description":"Meta's language code, e.g. en_US"},
    "category":{"type":"string","enum":["MARKETING","UTILITY","AUTHENTICATION"]},
    "parameter_format":{"type":"string","enum":["positional","named","POSITIONAL","NAMED"],"description":"positional ({{1}}, the default) or named ({{first_name}})"},
    "components":{"type":"array","minItems":1,"maxItems":8,"description":"Meta's components: one BODY; optional HEADER, FOOTER, BUTTONS",
      "items":{"type":"object","additionalProperties":false,"required":["type"],"properties":{
        "type":{"type":"string","maxLength":32,"description":"HEADER, BODY, FOOTER or BUTTONS"},
        "format":{"type":"string","maxLength":32,"description":"HEADER: TEXT, IMAGE, VIDEO, DOCUMENT or LOCATION"},
        "text":{"type":"string","maxLength":4096},
        "add_security_recommendation":{"type":"boolean","description":"AUTHENTICATION body"},
        "code_expiration_minutes":{"type":"integer","description":"AUTHENTICATION footer: 1 to 90"},
        "example":{"type":"object","additionalProperties":false,"properties":{
          "header_text":{"type":"array","maxItems":4,"items":{"type":"string","maxLength":1024}},
          "header_handle":{"type":"array","maxItems":4,"items":{"type":"string","maxLength":2048}},
          "body_text":{"type":"array","maxItems":2,"items":{"type":"array","maxItems":100,"items":{"type":"string","maxLength":1024}}},
          "header_text_named_params":{"type":"array","maxItems":4,"items":{"type":"object","additionalProperties":false,"properties":{
            "param_name":{"type":"string","maxLength":128},"example":{"type":"string","maxLength":1024}}}},
          "body_text_named_params":{"type":"array","maxItems":100,"items":{"type":"object","additionalProperties":false,"properties":{
            "param_name":{"type":"string","maxLength":128},"example":{"type":"string","maxLength":1024}}}}}},
        "buttons":{"type":"array","maxItems":20,"items":{"type":"object","additionalProperties":false,"required":["type"],"properties":{
          "type":{"type":"string","maxLength":32,"description":"QUICK_REPLY, URL, PHONE_NUMBER, COPY_CODE; OTP for AUTHENTICATION"},
          "text":{"type":"string","maxLength":256},
          "url":{"type":"string","maxLength":4096},
          "phone_number":{"type":"string","maxLength":64},
          "example":{"type":["string","array"],"maxLength":4096,"maxItems":2,"items":{"type":"string","maxLength":4096}},
          "otp_type":{"type":"string","maxLength":16,"description":"COPY_CODE, ONE_TAP or ZERO_TAP"},
          "autofill_text":{"type":"string","maxLength":64},
          "package_name":{"type":"string","maxLength":256},
          "signature_hash":{"type":"string","maxLength":64},
          "zero_tap_terms_accepted":{"type":"boolean"},
          "supported_apps":{"type":"array","maxItems":5,"items":{"type":"object","additionalProperties":false,"properties":{
            "package_name":{"type":"string","maxLength":256},"signature_hash":{"type":"string","maxLength":64}}}}}}}}}}}})J";

constexpr std::string_view create_output_schema =
    R"J({"type":"object","required":["waba_id","name","language","created"],"properties":{
  "waba_id":{"type":"string"},"name":{"type":"string"},"language":{"type":"string"},
  "created":{"type":"boolean","description":"true when Meta accepted it for review"},
  "id":{"type":"string","description":"Meta's template id"},
  "status":{"type":"string","description":"PENDING until Meta's review"},
  "category":{"type":"string","description":"Meta's category (it may change the one asked for)"},
  "stored":{"type":"boolean","description":"kept here for list_templates"},
  "dry_run":{"type":"boolean"},
  "violations":{"type":"array","description":"Meta's documented rules the template breaks (nothing was sent)",
    "items":{"type":"object","required":["component","rule","message"],"properties":{
      "component":{"type":"string"},"rule":{"type":"string"},"message":{"type":"string"}}}},
  "more_violations":{"type":"integer"},
  "error":{"type":"string","description":"why Meta refused it, and what to do"},
  "error_code":{"type":"integer"},"error_subcode":{"type":"integer"}}})J";

constexpr std::string_view delete_input_schema = R"J({"type":"object","additionalProperties":false,
  "required":["name"],
  "properties":{
    "account":{"type":"string","minLength":1,"maxLength":64,"description":"the WABA id (list_accounts); needed only when several accounts are known"},
    "name":{"type":"string","minLength":1,"maxLength":512,"description":"the template's name"},
    "language":{"type":"string","minLength":1,"maxLength":16,"description":"only this language (e.g. en_US); default: every language"}}})J";

constexpr std::string_view delete_output_schema =
    R"J({"type":"object","required":["waba_id","name","language","deleted","removed_here"],"properties":{
  "waba_id":{"type":"string"},"name":{"type":"string"},
  "language":{"type":"string","description":"empty: every language"},
  "deleted":{"type":"boolean","description":"true when Meta deleted it"},
  "removed_here":{"type":"integer","description":"stored rows removed"},
  "dry_run":{"type":"boolean"},
  "error":{"type":"string"},"error_code":{"type":"integer"}}})J";

}  // namespace

void register_template_tools(registry& reg, const send_tools_deps& deps) {
  {
    tool_def t;
    t.name = "create_template";
    t.title = "Create a message template";
    t.description =
        "Submits a new message template to Meta for review, in Meta's format: name (lowercase, "
        "digits, underscores), language (en_US), category (MARKETING, UTILITY or "
        "AUTHENTICATION), optional parameter_format (positional {{1}} or named {{first_name}}) "
        "and components: exactly one BODY (at most 1024 characters, not starting or ending with "
        "a variable, an example value per variable in example.body_text), optional HEADER (TEXT "
        "up to 60 characters with at most one variable, or IMAGE/VIDEO/DOCUMENT with "
        "example.header_handle), optional FOOTER (60 characters, no variables) and BUTTONS "
        "(up to 10: QUICK_REPLY grouped together, up to 2 URL, 1 PHONE_NUMBER, 1 COPY_CODE). "
        "The template is checked against Meta's documented rules first: every broken rule is "
        "listed and nothing is sent. Show the user the template and wait for their go-ahead. "
        "Example: {\"name\":\"order_shipped\",\"language\":\"en_US\",\"category\":\"UTILITY\","
        "\"components\":[{\"type\":\"BODY\",\"text\":\"Your order {{1}} has shipped and "
        "arrives {{2}}.\",\"example\":{\"body_text\":[[\"1042\",\"tomorrow\"]]}}]}. A new "
        "template is PENDING until Meta approves it (usually minutes).";
    t.input_schema = obj(create_input_schema);
    t.output_schema = obj(create_output_schema);
    tool_annotations a;
    a.read_only = false;
    a.destructive = false;
    a.idempotent = false;
    a.open_world = true;
    t.calls_out = true;
    t.annotations = a;
    t.required_scope = scope::send;
    t.administrative = true;
    t.handler = [deps](const json::object& args, call_context& ctx) {
      return create_template(deps, args, ctx.account());
    };
    reg.add_tool(std::move(t));
  }
  {
    tool_def t;
    t.name = "delete_template";
    t.title = "Delete a message template";
    t.description =
        "Deletes a message template at Meta and here: every language of `name`, or only "
        "`language`. It cannot be undone, and Meta keeps the name for 30 days (a new template "
        "needs another name until then). Confirm with the user first. Example: "
        "{\"name\":\"summer_launch\",\"language\":\"en_US\"}.";
    t.input_schema = obj(delete_input_schema);
    t.output_schema = obj(delete_output_schema);
    tool_annotations a;
    a.read_only = false;
    a.destructive = true;
    a.idempotent = true;
    a.open_world = true;
    t.calls_out = true;
    t.annotations = a;
    t.required_scope = scope::send;
    t.administrative = true;
    t.handler = [deps](const json::object& args, call_context& ctx) {
      return delete_template(deps, args, ctx.account());
    };
    reg.add_tool(std::move(t));
  }
}

}  // namespace pons::mcp
