// The webhooks Meta sends about a user's preferences and about our number and account, played by
// the fake on request: POST /_fake/preferences (user_preferences: a user stops or resumes
// marketing messages), POST /_fake/number (a changed quality rating or messaging limit also sends
// phone_number_quality_update, as Meta does), POST /_fake/account-update (account_update: a
// violation, a restriction, a ban). Each is signed and POSTed to the webhook URL.
#include <fmt/format.h>

#include <array>
#include <chrono>

#include "control_answer.hpp"
#include "fake_graph.hpp"

namespace pons::fake_graph {

namespace json = boost::json;
using clock = std::chrono::system_clock;

namespace {

http_response invalid_parameter(const std::string& details) {
  return pons::fake_graph::invalid_parameter(details, "AFakeTraceAccount");
}

// Meta's messaging limit tiers, lowest first.
int tier_rank(std::string_view tier) {
  constexpr std::array<std::string_view, 6> tiers{"TIER_50",  "TIER_250",  "TIER_1K",
                                                  "TIER_10K", "TIER_100K", "TIER_UNLIMITED"};
  for (std::size_t i = 0; i < tiers.size(); ++i) {
    if (tiers[i] == tier) return static_cast<int>(i);
  }
  return -1;
}

// The quality event Meta would report for this change, or "" for none.
std::string quality_event(const json::object& before, const json::object& after) {
  const std::string old_tier = text_of(before, "messaging_limit_tier");
  const std::string new_tier = text_of(after, "messaging_limit_tier");
  if (tier_rank(new_tier) > tier_rank(old_tier)) return "UPGRADE";
  if (tier_rank(new_tier) >= 0 && tier_rank(new_tier) < tier_rank(old_tier)) return "DOWNGRADE";
  const std::string old_rating = text_of(before, "quality_rating");
  const std::string new_rating = text_of(after, "quality_rating");
  if (new_rating == old_rating) return {};
  if (new_rating == "RED") return "FLAGGED";
  if (old_rating == "RED") return "UNFLAGGED";
  return {};
}

}  // namespace

webhook_post fake_graph::account_webhook(const std::string& field, json::object value,
                                         clock::time_point now) const {
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  json::object change{{"value", std::move(value)}, {"field", field}};
  json::object entry{
      {"id", opts_.waba_id}, {"time", seconds}, {"changes", json::array{std::move(change)}}};
  return sign(json::object{{"object", "whatsapp_business_account"},
                           {"entry", json::array{std::move(entry)}}});
}

http_response fake_graph::preferences(const json::object& in, clock::time_point now) {
  const std::string from = text_of(in, "from");
  const std::string user_id = text_of(in, "user_id");
  const std::string value = text_of(in, "value");
  if (from.empty() && user_id.empty())
    return invalid_parameter("preferences needs 'from' or 'user_id'.");
  if (value != "stop" && value != "resume") {
    return invalid_parameter("preferences needs 'value': 'stop' or 'resume'.");
  }
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  json::object who{{"wa_id", from}};
  if (!user_id.empty()) who["user_id"] = user_id;
  json::object preference = who;
  preference["detail"] = fmt::format("User requested to {} marketing messages", value);
  preference["category"] = "marketing_messages";
  preference["value"] = value;
  preference["timestamp"] = seconds;
  json::object payload{
      {"messaging_product", "whatsapp"},
      {"metadata", json::object{{"display_phone_number", opts_.display_phone_number},
                                {"phone_number_id", last_phone_number_id_}}},
      {"contacts", json::array{who}},
      {"user_preferences", json::array{std::move(preference)}}};
  http_response out = answer(200, json::object{{"value", value}});
  out.webhooks.push_back(account_webhook("user_preferences", std::move(payload), now));
  out.webhook_url = opts_.webhook_url;
  return out;
}

http_response fake_graph::change_number(const json::object& in, clock::time_point now) {
  const json::object before = number_health_;
  for (const auto& [key, value] : in) number_health_[key] = value;
  http_response out = answer(200, number_health_);
  const std::string event = quality_event(before, number_health_);
  if (event.empty()) return out;
  json::object value{{"display_phone_number", opts_.display_phone_number},
                     {"event", event},
                     {"current_limit", text_of(number_health_, "messaging_limit_tier")}};
  out.webhooks.push_back(account_webhook("phone_number_quality_update", std::move(value), now));
  out.webhook_url = opts_.webhook_url;
  return out;
}

http_response fake_graph::account_update(const json::object& in, clock::time_point now) {
  if (text_of(in, "event").empty()) {
    return invalid_parameter("account-update needs Meta's 'event' (e.g. ACCOUNT_VIOLATION).");
  }
  http_response out = answer(200, json::object{{"event", text_of(in, "event")}});
  out.webhooks.push_back(account_webhook("account_update", in, now));
  out.webhook_url = opts_.webhook_url;
  return out;
}

}  // namespace pons::fake_graph
