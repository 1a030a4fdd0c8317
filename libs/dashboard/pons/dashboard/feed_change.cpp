#include "pons/dashboard/feed_change.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace pons::dashboard {

namespace json = boost::json;

std::optional<feed_view> visible_to(const feed_change& change, std::string_view waba_id) {
  const bool everything = waba_id.empty();
  feed_view v;
  for (const auto& [id, account] : change.conversations) {
    // Another account's activity, even its conversation ids, is not for a limited principal.
    if (everything || account == waba_id) v.conversations.push_back(id);
  }
  v.new_conversations = change.new_conversations && (everything || !v.conversations.empty());
  v.templates =
      change.templates &&
      (everything || std::find(change.template_accounts.begin(), change.template_accounts.end(),
                               waba_id) != change.template_accounts.end());
  if (v.conversations.empty() && !v.new_conversations && !v.templates) return std::nullopt;
  return v;
}

std::string feed_opening(std::chrono::milliseconds retry) {
  // EventSource dispatches no event without a data line, so ready carries an empty object.
  return fmt::format("retry: {}\n\nevent: ready\ndata: {{}}\n\n", retry.count());
}

std::string feed_changed_event(const feed_view& view) {
  json::array ids;
  for (auto id : view.conversations) ids.emplace_back(id);
  json::object data{{"conversations", std::move(ids)},
                    {"new_conversations", view.new_conversations},
                    {"templates", view.templates}};
  return fmt::format("event: changed\ndata: {}\n\n", json::serialize(data));
}

std::string_view feed_keepalive() {
  return ": keep-alive\n\n";
}

}  // namespace pons::dashboard
