#include "pons/meta/account_standing.hpp"

#include <fmt/format.h>

#include <vector>

namespace pons::meta {

namespace {

namespace json = boost::json;

std::string text_at(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

const json::object* object_at(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v ? v->if_object() : nullptr;
}

// "RESTRICTED_BIZ_INITIATED_MESSAGING until 2026-10-30T13:38:04+0000" for each restriction.
std::string restrictions(const json::object& value) {
  std::vector<std::string> parts;
  const json::value* list = value.if_contains("restriction_info");
  if (list && list->is_array()) {
    for (const auto& r : list->get_array()) {
      const auto* o = r.if_object();
      if (!o) continue;
      const std::string type = text_at(*o, "restriction_type");
      const std::string until = text_at(*o, "expiration");
      if (type.empty()) continue;
      parts.push_back(until.empty() ? type : fmt::format("{} until {}", type, until));
    }
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

}  // namespace

std::optional<account_standing> describe_account_update(const json::object& value) {
  account_standing s;
  s.event = text_at(value, "event");
  if (s.event == "ACCOUNT_VIOLATION") {
    const auto* info = object_at(value, "violation_info");
    const std::string type = info ? text_at(*info, "violation_type") : std::string();
    s.detail = fmt::format(
        "Meta found a policy violation{} on this WhatsApp Business Account; repeated violations "
        "lead to restrictions. The account owner can see and appeal it in Business Support Home.",
        type.empty() ? "" : " (" + type + ")");
    return s;
  }
  if (s.event == "ACCOUNT_RESTRICTION") {
    const std::string what = restrictions(value);
    s.can_message = false;
    s.detail = fmt::format(
        "Meta restricted this WhatsApp Business Account{}; messages it restricts are refused "
        "until then. The account owner can see why in Business Support Home.",
        what.empty() ? "" : ": " + what);
    return s;
  }
  if (s.event == "DISABLED_UPDATE") {
    const auto* info = object_at(value, "ban_info");
    const std::string state = info ? text_at(*info, "waba_ban_state") : std::string();
    const std::string date = info ? text_at(*info, "waba_ban_date") : std::string();
    const std::string since = date.empty() ? "" : " (" + date + ")";
    if (state == "REINSTATE") {
      s.detail =
          "Meta reinstated this WhatsApp Business Account" + since + "; it can message again.";
    } else if (state == "SCHEDULE_FOR_DISABLE") {
      s.detail = "Meta scheduled this WhatsApp Business Account to be disabled" + since +
                 "; the account owner should appeal in Business Support Home now.";
    } else {
      s.can_message = false;
      s.detail = "Meta disabled this WhatsApp Business Account" + since +
                 (state.empty() ? std::string() : " (ban state " + state + ")") +
                 "; it cannot send messages. The account owner can appeal in Business Support "
                 "Home.";
    }
    return s;
  }
  if (s.event == "ACCOUNT_DELETED") {
    s.can_message = false;
    s.detail = "This WhatsApp Business Account was deleted; its numbers cannot send messages.";
    return s;
  }
  return std::nullopt;
}

}  // namespace pons::meta
