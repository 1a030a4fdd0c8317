#include "pons/forward/records_json.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>

namespace pons::forward {

namespace json = boost::json;

namespace {

json::value status_or_null(const std::optional<int>& code) {
  if (code) return *code;
  return nullptr;
}

}  // namespace

json::object target_json(const target& t) {
  json::object o;
  o["id"] = t.id;
  o["url"] = t.url;
  o["description"] = t.description;
  o["phoneNumberId"] = t.phone_number_id;
  json::array types;
  for (const auto& e : t.event_types) types.emplace_back(e);
  o["eventTypes"] = std::move(types);
  o["enabled"] = t.enabled;
  o["maxAttempts"] = t.max_attempts;
  o["timeoutMs"] = t.timeout.count();
  o["lastSuccessAt"] = t.last_success_at;
  o["lastFailureAt"] = t.last_failure_at;
  o["consecutiveFailures"] = t.consecutive_failures;
  o["createdAt"] = t.created_at;
  o["updatedAt"] = t.updated_at;
  return o;
}

json::object delivery_json(const delivery_row& d) {
  json::object o;
  o["id"] = d.id;
  o["eventId"] = d.event_id;
  o["eventType"] = d.event_type;
  o["targetId"] = d.target_id;
  o["state"] = d.state;
  o["attempts"] = d.attempts;
  o["nextAttemptAt"] = d.next_attempt_at;
  o["lastStatusCode"] = status_or_null(d.last_status_code);
  o["lastError"] = d.last_error;
  o["createdAt"] = d.created_at;
  o["updatedAt"] = d.updated_at;
  return o;
}

json::object delivery_detail_json(const delivery_detail& d) {
  auto o = delivery_json(d.delivery);
  boost::system::error_code ec;
  auto body = json::parse(d.body, ec);
  if (ec) {
    o["body"] = d.body;
  } else {
    o["body"] = std::move(body);
  }
  json::array attempts;
  for (const auto& a : d.attempts) {
    json::object x;
    x["attempt"] = a.attempt;
    x["startedAt"] = a.started_at;
    x["durationMs"] = a.duration_ms;
    x["statusCode"] = status_or_null(a.status_code);
    x["error"] = a.error;
    attempts.push_back(std::move(x));
  }
  o["attemptLog"] = std::move(attempts);
  return o;
}

}  // namespace pons::forward
