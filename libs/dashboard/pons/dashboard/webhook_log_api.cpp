#include "pons/dashboard/webhook_log_api.hpp"

#include <boost/json/array.hpp>
#include <charconv>
#include <optional>

#include "pons/dashboard/answers.hpp"
#include "pons/http/query.hpp"
#include "pons/store/event_log_repository.hpp"

namespace pons::dashboard {

namespace net = boost::asio;
namespace json = boost::json;

namespace {

struct log_context {
  const guard& access;
  std::shared_ptr<locked_database> db;
};

std::optional<int> number_in(std::string_view text, int low, int high) {
  int n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n < low || n > high) return {};
  return n;
}

json::object entry_json(const store::webhook_log_entry& e) {
  return json::object{{"id", e.id},
                      {"receivedAt", e.received_at},
                      {"requestId", e.request_id},
                      {"phoneNumberId", e.phone_number_id},
                      {"signature", e.signature},
                      {"status", e.http_status},
                      {"messages", e.messages},
                      {"statuses", e.statuses},
                      {"duplicates", e.duplicates},
                      {"notes", e.notes},
                      {"body", e.body}};
}

net::awaitable<http::server_response> recent(log_context& c, http::server_request& req) {
  auto v = c.access.require_user(req, store::user_role::admin);
  if (v.status != 0) co_return from_verdict(v);
  store::webhook_log_filter filter;
  filter.waba_id = v.who.waba_id;
  filter.signature = http::query_param(req.query, "signature").value_or("");
  if (!filter.signature.empty() && filter.signature != "valid" && filter.signature != "invalid" &&
      filter.signature != "missing") {
    co_return json_error(400, "signature: valid, invalid or missing");
  }
  int limit = 50;
  if (auto text = http::query_param(req.query, "status"); text && !text->empty()) {
    auto status = number_in(*text, 100, 599);
    if (!status) co_return json_error(400, "status: an HTTP status code, 100 to 599");
    filter.http_status = *status;
  }
  if (auto text = http::query_param(req.query, "limit"); text && !text->empty()) {
    auto n = number_in(*text, 1, 500);
    if (!n) co_return json_error(400, "limit: 1 to 500");
    limit = *n;
  }
  std::lock_guard lock(c.db->mutex);
  auto rows = store::recent_webhook_log(c.db->db, filter, limit);
  if (!rows) co_return json_error(503, "the database cannot answer just now: try again shortly");
  json::array out;
  for (const auto& e : *rows) out.push_back(entry_json(e));
  co_return json_answer(200, json::object{{"requests", std::move(out)}});
}

}  // namespace

void add_webhook_log_route(http::router& routes, const guard& access,
                           std::shared_ptr<locked_database> db) {
  auto c = std::make_shared<log_context>(log_context{access, std::move(db)});
  routes.add("GET", "/api/v1/webhook-log", [c](http::server_request& r) { return recent(*c, r); });
}

}  // namespace pons::dashboard
