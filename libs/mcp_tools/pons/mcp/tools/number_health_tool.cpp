// get_number_health: each of our numbers' standing with Meta (quality rating, messaging limit
// tier, name status, throughput, connection status), asked from the Graph API now, beside what
// Meta's webhooks last said (phone_number_quality_update, phone_number_name_update, and
// account_update about the account's standing).
#include "pons/mcp/tools/number_health_tool.hpp"

#include <fmt/core.h>
#include <fmt/format.h>

#include "pons/mcp/tools/account_filter.hpp"
#include "pons/mcp/tools/read_tools.hpp"
#include "pons/mcp/tools/tool_args.hpp"
#include "pons/store/account_repository.hpp"
#include "pons/store/number_health.hpp"

namespace pons::mcp {

namespace {

// What an assistant should make of a rating or status, or "".
std::string advice(const meta::phone_number_info& n) {
  if (n.status == "FLAGGED" || n.quality_rating == "RED") {
    return "quality is low: Meta may lower this number's messaging limit; send fewer marketing "
           "templates and only to people who expect them";
  }
  if (n.quality_rating == "YELLOW") {
    return "quality is medium: watch what customers block or report";
  }
  if (n.status == "RESTRICTED" || n.status == "BANNED" || n.status == "DISCONNECTED") {
    return "this number cannot send normally now; the user should check WhatsApp Manager";
  }
  return {};
}

tool_result get_number_health(const send_tools_deps& deps, const json::object& args,
                              const account_scope& scope) {
  auto db = deps.read.pool->acquire();
  if (!db) return tool_result::error(database_problem(db.error()));
  std::string problem;
  auto sender = resolve_sender(**db, str_arg(args, "from"), scope, problem);
  if (!sender) return tool_result::error(problem);
  auto numbers = store::list_phone_numbers(**db);
  if (!numbers) return tool_result::error(database_problem(numbers.error()));
  std::erase_if(*numbers, [&](const store::phone_number_record& n) {
    return !scope.allows(n.waba_id) || (!sender->empty() && n.phone_number_id != *sender);
  });
  if (numbers->empty()) {
    return tool_result::error(
        "No phone number of ours is known yet. Ask the user to set WA_PHONE_NUMBER_ID (with "
        "WA_WABA_ID and WA_ACCESS_TOKEN) in pons-mcp's environment, or to list the numbers in "
        "the PONS_CONFIG file.");
  }
  json::array list;
  std::string text;
  std::size_t failures = 0;
  for (const auto& n : *numbers) {
    json::object one{{"phone_number_id", n.phone_number_id},
                     {"display_phone_number", n.display_phone_number}};
    auto stored = store::find_number_health(**db, n.phone_number_id);
    if (!stored) return tool_result::error(database_problem(stored.error()));
    if (*stored && !(*stored)->updated_at.empty()) {
      one["last_quality_event"] =
          json::object{{"event", (*stored)->quality_event},
                       {"messaging_limit_tier", (*stored)->messaging_limit_tier},
                       {"at", (*stored)->updated_at}};
    }
    if (*stored && !(*stored)->name_updated_at.empty()) {
      one["last_name_decision"] =
          json::object{{"decision", (*stored)->name_decision},
                       {"requested_name", (*stored)->requested_name},
                       {"rejection_reason", (*stored)->name_rejection_reason},
                       {"at", (*stored)->name_updated_at}};
    }
    if (*stored && !(*stored)->standing_updated_at.empty()) {
      one["account_standing"] = json::object{{"event", (*stored)->standing_event},
                                             {"detail", (*stored)->standing_detail},
                                             {"at", (*stored)->standing_updated_at}};
    }
    std::string line;
    if (deps.graphs->token_for_number(n.phone_number_id).empty()) {
      ++failures;
      one["error"] = "no access token is configured for this number";
      line = fmt::format(
          "{} ({}): not asked: no access token is configured for it (set "
          "WA_ACCESS_TOKEN, or access_token for its account in PONS_CONFIG)",
          n.display_phone_number, n.phone_number_id);
    } else {
      auto graph = deps.graphs->for_number(n.phone_number_id);
      auto info = graph->get_phone_number(n.phone_number_id);
      if (!info) {
        ++failures;
        one["error"] = info.error().explain();
        line = fmt::format("{} ({}): Meta did not answer: {}", n.display_phone_number,
                           n.phone_number_id, info.error().explain());
      } else {
        one["quality_rating"] = info->quality_rating;
        one["messaging_limit_tier"] = info->messaging_limit_tier;
        one["name_status"] = info->name_status;
        one["throughput_level"] = info->throughput_level;
        one["status"] = info->status;
        one["verified_name"] = info->verified_name;
        const std::string hint = advice(*info);
        if (!hint.empty()) one["advice"] = hint;
        line = fmt::format(
            "{} ({}, {}): quality {}, messaging limit {}, name {}, throughput {}, status {}{}",
            info->display_phone_number.empty() ? n.display_phone_number
                                               : info->display_phone_number,
            info->verified_name, n.phone_number_id, info->quality_rating,
            info->messaging_limit_tier, info->name_status, info->throughput_level, info->status,
            hint.empty() ? "" : "; " + hint);
      }
    }
    if (const auto* last = one.if_contains("last_quality_event")) {
      line += fmt::format(" (Meta's last quality update: {} {} at {})",
                          std::string_view(last->at("event").as_string()),
                          std::string_view(last->at("messaging_limit_tier").as_string()),
                          std::string_view(last->at("at").as_string()));
    }
    if (const auto* name = one.if_contains("last_name_decision")) {
      const std::string_view reason = name->at("rejection_reason").as_string();
      line += fmt::format(" (display name \"{}\" {} at {}{})",
                          std::string_view(name->at("requested_name").as_string()),
                          std::string_view(name->at("decision").as_string()),
                          std::string_view(name->at("at").as_string()),
                          reason.empty() ? "" : fmt::format(": {}", reason));
    }
    if (const auto* standing = one.if_contains("account_standing")) {
      line += fmt::format("\n  account: {} ({}, {})",
                          std::string_view(standing->at("detail").as_string()),
                          std::string_view(standing->at("event").as_string()),
                          std::string_view(standing->at("at").as_string()));
    }
    text += line + "\n";
    list.push_back(std::move(one));
  }
  if (!text.empty()) text.pop_back();
  auto out = tool_result::structured_result(json::object{{"numbers", std::move(list)}}, text);
  if (failures == numbers->size()) out.is_error = true;
  return out;
}

}  // namespace

void register_number_health_tool(registry& reg, const send_tools_deps& deps) {
  tool_def t;
  t.name = "get_number_health";
  t.title = "Check our WhatsApp numbers' standing";
  t.description =
      "Asks Meta now for each of our numbers (or only `from`): quality rating (GREEN, YELLOW, "
      "RED), messaging limit tier, display name status, throughput level and connection "
      "status, with what Meta's last quality, display name and account standing webhooks said "
      "(violations, restrictions, bans) and advice when quality is low. Use "
      "it before a campaign, or when sends start failing.";
  t.input_schema = obj(R"J({"type":"object","additionalProperties":false,"properties":{
      "from":{"type":"string","minLength":1,"maxLength":64,"description":"one of our numbers (phone_number_id or display number); default: all"}}})J");
  t.output_schema = obj(R"J({"type":"object","required":["numbers"],"properties":{
      "numbers":{"type":"array","items":{"type":"object","required":["phone_number_id","display_phone_number"],"properties":{
        "phone_number_id":{"type":"string"},"display_phone_number":{"type":"string"},
        "verified_name":{"type":"string"},"quality_rating":{"type":"string"},
        "messaging_limit_tier":{"type":"string"},"name_status":{"type":"string"},
        "throughput_level":{"type":"string"},"status":{"type":"string"},"advice":{"type":"string"},
        "last_quality_event":{"type":"object","properties":{"event":{"type":"string"},
          "messaging_limit_tier":{"type":"string"},"at":{"type":"string"}}},
        "last_name_decision":{"type":"object","description":"Meta's last phone_number_name_update","properties":{
          "decision":{"type":"string"},"requested_name":{"type":"string"},"rejection_reason":{"type":"string"},"at":{"type":"string"}}},
        "account_standing":{"type":"object","description":"what Meta's last account_update about the account's standing said (violation, restriction, ban)","properties":{
          "event":{"type":"string"},"detail":{"type":"string"},"at":{"type":"string"}}},
        "error":{"type":"string","description":"why this number was not checked"}}}}}})J");
  tool_annotations a;
  a.read_only = true;
  a.destructive = false;
  a.idempotent = true;
  a.open_world = true;
  t.annotations = a;
  t.calls_out = true;
  t.required_scope = scope::read;
  t.handler = [deps](const json::object& args, call_context& ctx) {
    return get_number_health(deps, args, ctx.account());
  };
  reg.add_tool(std::move(t));
}

}  // namespace pons::mcp
