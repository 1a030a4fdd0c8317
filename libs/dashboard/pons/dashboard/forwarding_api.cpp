#include "pons/dashboard/forwarding_api.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <boost/json/array.hpp>
#include <charconv>
#include <chrono>
#include <map>
#include <optional>
#include <set>

#include "pons/dashboard/answers.hpp"
#include "pons/dashboard/json_body.hpp"
#include "pons/dashboard/worker_call.hpp"
#include "pons/forward/deliverer.hpp"
#include "pons/forward/delivery_repository.hpp"
#include "pons/forward/records_json.hpp"
#include "pons/forward/target_repository.hpp"
#include "pons/forward/test_event.hpp"
#include "pons/http/query.hpp"
#include "pons/store/account_repository.hpp"

namespace pons::dashboard {

namespace net = boost::asio;
namespace json = boost::json;
using forward::forward_errc;

namespace {

// A test event holds a worker of the shared pool while it waits: never longer than this,
// whatever the target's own timeout.
constexpr std::chrono::milliseconds longest_test{15000};

struct forwarding_context {
  const guard& access;
  std::shared_ptr<locked_database> db;
  mcp::worker_pool& workers;
  test_event_rules rules;
};

http::server_response unavailable() {
  return json_error(503, "the database cannot answer just now: try again shortly");
}

// What a refusal of the forwarding store means to the person filling the form.
http::server_response forward_problem(const boost::system::error_code& ec,
                                      std::string_view what = "forwarding target") {
  if (ec == forward_errc::invalid_url)
    return json_error(400, "url: an absolute http or https URL with a host");
  if (ec == forward_errc::insecure_url)
    return json_error(400, "url: https, or http to localhost or a loopback address only");
  if (ec == forward_errc::address_refused)
    return json_error(400, "url: link-local and cloud metadata addresses are refused");
  if (ec == forward_errc::unknown_event_type) {
    return json_error(
        400, fmt::format("eventTypes: each one of {}", fmt::join(forward::all_event_types, ", ")));
  }
  if (ec == forward_errc::invalid_value) {
    return json_error(
        400, fmt::format("maxAttempts: 1 to {}; timeoutMs: {} to {}", forward::max_max_attempts,
                         forward::min_timeout.count(), forward::max_timeout.count()));
  }
  if (ec == forward_errc::not_found) return json_error(404, fmt::format("no {} has this id", what));
  if (ec == forward_errc::invalid_state)
    return json_error(409, "only a pending or dead delivery can be retried");
  return unavailable();
}

// The account of a phone number id, "" when no account records it.
std::string account_of_number(store::database& db, const std::string& phone_number_id) {
  if (phone_number_id.empty()) return {};
  auto found = store::find_phone_number(db, phone_number_id);
  if (!found || !*found) return {};
  return (*found)->waba_id;
}

// An admin of one account sees the targets of that account's numbers; a target of every number
// belongs to the admins of every account.
bool manages(const principal& who, store::database& db, const forward::target& t) {
  if (who.waba_id.empty()) return true;
  return account_of_number(db, t.phone_number_id) == who.waba_id;
}

std::optional<std::int64_t> id_field(const json::object& body) {
  const auto* id = body.if_contains("id");
  if (!id || !id->is_int64() || id->get_int64() < 1) return std::nullopt;
  return id->get_int64();
}

std::optional<std::int64_t> positive_number(std::string_view text) {
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n < 1) return std::nullopt;
  return n;
}

// The settings a body gives, as changes: only the fields present. nullopt with `why` set when a
// field has the wrong type.
std::optional<forward::target_changes> changes_in(const json::object& body, std::string& why) {
  forward::target_changes c;
  auto text = [&](std::string_view name, std::optional<std::string>& into) {
    const auto* v = body.if_contains(name);
    if (!v) return true;
    if (!v->is_string()) {
      why = fmt::format("{}: a string", name);
      return false;
    }
    into = std::string(v->get_string());
    return true;
  };
  if (!text("url", c.url) || !text("description", c.description) ||
      !text("phoneNumberId", c.phone_number_id))
    return std::nullopt;
  if (const auto* v = body.if_contains("eventTypes")) {
    if (!v->is_array()) {
      why = "eventTypes: a list of event type names";
      return std::nullopt;
    }
    std::vector<std::string> types;
    for (const auto& t : v->get_array()) {
      if (!t.is_string()) {
        why = "eventTypes: a list of event type names";
        return std::nullopt;
      }
      types.emplace_back(t.get_string());
    }
    c.event_types = std::move(types);
  }
  if (const auto* v = body.if_contains("enabled")) {
    if (!v->is_bool()) {
      why = "enabled: true or false";
      return std::nullopt;
    }
    c.enabled = v->get_bool();
  }
  if (const auto* v = body.if_contains("maxAttempts")) {
    if (!v->is_int64() || v->get_int64() < 1 || v->get_int64() > forward::max_max_attempts) {
      why = fmt::format("maxAttempts: a whole number, 1 to {}", forward::max_max_attempts);
      return std::nullopt;
    }
    c.max_attempts = static_cast<int>(v->get_int64());
  }
  if (const auto* v = body.if_contains("timeoutMs")) {
    if (!v->is_int64() || v->get_int64() < forward::min_timeout.count() ||
        v->get_int64() > forward::max_timeout.count()) {
      why = fmt::format("timeoutMs: a whole number of milliseconds, {} to {}",
                        forward::min_timeout.count(), forward::max_timeout.count());
      return std::nullopt;
    }
    c.timeout = std::chrono::milliseconds(v->get_int64());
  }
  return c;
}

// The phone number a target of an admin of one account must name: one of that account's.
std::optional<http::server_response> check_number(const principal& who, store::database& db,
                                                  const std::string& phone_number_id) {
  if (who.waba_id.empty()) return std::nullopt;
  if (phone_number_id.empty()) {
    return json_error(403,
                      "phoneNumberId: name one of your account's numbers; a target of every "
                      "number is for an admin of every account");
  }
  if (account_of_number(db, phone_number_id) != who.waba_id)
    return json_error(403, "phoneNumberId: not a number of your account");
  return std::nullopt;
}

json::object with_backlog(const forward::target& t, const forward::target_backlog* b) {
  auto o = forward::target_json(t);
  o["queued"] = b ? b->queued : 0;
  o["dead"] = b ? b->dead : 0;
  o["succeeded"] = b ? b->succeeded : 0;
  return o;
}

net::awaitable<http::server_response> list(forwarding_context& c, http::server_request& req) {
  auto v = c.access.require_user(req, store::user_role::admin);
  if (v.status != 0) co_return from_verdict(v);
  std::lock_guard lock(c.db->mutex);
  auto targets = forward::list_targets(c.db->db);
  if (!targets) co_return unavailable();
  auto backlog = forward::backlog_by_target(c.db->db);
  if (!backlog) co_return unavailable();
  std::map<std::int64_t, const forward::target_backlog*> by_target;
  for (const auto& b : *backlog) by_target[b.target_id] = &b;
  json::array out;
  for (const auto& t : *targets) {
    if (!manages(v.who, c.db->db, t)) continue;
    auto b = by_target.find(t.id);
    out.push_back(with_backlog(t, b == by_target.end() ? nullptr : b->second));
  }
  json::array types;
  for (auto type : forward::all_event_types) types.emplace_back(type);
  co_return json_answer(200, json::object{{"targets", std::move(out)}, {"eventTypes", types}});
}

http::server_response with_secret(int status, const forward::target_with_secret& made) {
  return json_answer(
      status, json::object{{"target", forward::target_json(made.value)}, {"secret", made.secret}});
}

net::awaitable<http::server_response> create(forwarding_context& c, http::server_request& req) {
  auto v = c.access.require_user(req, store::user_role::admin);
  if (v.status != 0) co_return from_verdict(v);
  auto body = json_object_body(req);
  if (!body) co_return json_error(400, "send {\"url\": ...} as a JSON object");
  std::string why;
  auto changes = changes_in(*body, why);
  if (!changes) co_return json_error(400, why);
  if (!changes->url) co_return json_error(400, "url: where events are POSTed");
  const auto spec = forward::apply(forward::target_spec{}, *changes);
  std::lock_guard lock(c.db->mutex);
  if (auto refused = check_number(v.who, c.db->db, spec.phone_number_id)) co_return *refused;
  auto made = forward::add_target(c.db->db, spec, std::chrono::system_clock::now());
  if (!made) co_return forward_problem(made.error());
  auto r = with_secret(201, *made);
  r.log_note = fmt::format("target_added=target:{} principal={}", made->value.id, v.who.label());
  co_return r;
}

// The target a body names, when this admin manages it; else the answer to give.
struct named_target {
  std::optional<forward::target> found;
  http::server_response refusal;
};

named_target target_named(forwarding_context& c, const principal& who, const json::object& body) {
  auto id = id_field(body);
  if (!id) return {std::nullopt, json_error(400, "send {\"id\": N}, the target's id")};
  auto t = forward::get_target(c.db->db, *id);
  if (!t) return {std::nullopt, forward_problem(t.error())};
  // Another account's target is answered as if it did not exist.
  if (!manages(who, c.db->db, *t)) return {std::nullopt, forward_problem(forward_errc::not_found)};
  return {std::move(*t), {}};
}

net::awaitable<http::server_response> update(forwarding_context& c, http::server_request& req) {
  auto v = c.access.require_user(req, store::user_role::admin);
  if (v.status != 0) co_return from_verdict(v);
  auto body = json_object_body(req);
  if (!body) co_return json_error(400, "send {\"id\": N, ...the fields to change}");
  std::string why;
  auto changes = changes_in(*body, why);
  if (!changes) co_return json_error(400, why);
  std::lock_guard lock(c.db->mutex);
  auto named = target_named(c, v.who, *body);
  if (!named.found) co_return named.refusal;
  if (changes->phone_number_id) {
    if (auto refused = check_number(v.who, c.db->db, *changes->phone_number_id)) co_return *refused;
  }
  auto t =
      forward::update_target(c.db->db, named.found->id, *changes, std::chrono::system_clock::now());
  if (!t) co_return forward_problem(t.error());
  auto r = json_answer(200, json::object{{"target", forward::target_json(*t)}});
  r.log_note = fmt::format("target_updated=target:{} principal={}", t->id, v.who.label());
  co_return r;
}

// The target a request's {"id"} names, handed to `act` (who, target) under the database lock
// when this admin manages it; the refusal otherwise.
template <class Act>
http::server_response with_named_target(forwarding_context& c, http::server_request& req,
                                        Act&& act) {
  auto v = c.access.require_user(req, store::user_role::admin);
  if (v.status != 0) return from_verdict(v);
  auto body = json_object_body(req);
  if (!body) return json_error(400, "send {\"id\": N}, the target's id");
  std::lock_guard lock(c.db->mutex);
  auto named = target_named(c, v.who, *body);
  if (!named.found) return named.refusal;
  return act(v.who, *named.found);
}

net::awaitable<http::server_response> remove(forwarding_context& c, http::server_request& req) {
  co_return with_named_target(c, req, [&c](const principal& who, const forward::target& t) {
    if (auto gone = forward::remove_target(c.db->db, t.id); !gone)
      return forward_problem(gone.error());
    auto r = json_answer(200, json::object{{"removed", t.id}});
    r.log_note = fmt::format("target_removed=target:{} principal={}", t.id, who.label());
    return r;
  });
}

net::awaitable<http::server_response> rotate(forwarding_context& c, http::server_request& req) {
  co_return with_named_target(c, req, [&c](const principal& who, const forward::target& t) {
    auto made = forward::rotate_secret(c.db->db, t.id, std::chrono::system_clock::now());
    if (!made) return forward_problem(made.error());
    auto r = with_secret(200, *made);
    r.log_note = fmt::format("target_rotated=target:{} principal={}", t.id, who.label());
    return r;
  });
}

net::awaitable<http::server_response> test(forwarding_context& c, http::server_request& req) {
  auto v = c.access.require_user(req, store::user_role::admin);
  if (v.status != 0) co_return from_verdict(v);
  auto body = json_object_body(req);
  if (!body) co_return json_error(400, "send {\"id\": N}, the target's id");
  std::unique_lock lock(c.db->mutex);
  auto named = target_named(c, v.who, *body);
  if (!named.found) co_return named.refusal;
  auto job = forward::make_test_job(c.db->db, named.found->id, "pons dashboard",
                                    std::chrono::system_clock::now());
  lock.unlock();
  if (!job) co_return forward_problem(job.error());
  job->timeout = std::min(job->timeout, longest_test);
  auto send = [job = std::move(*job), rules = c.rules] {
    return forward::send_once(job, rules.allow_link_local, rules.ca_file);
  };
  auto outcome = co_await on_worker(c.workers, std::move(send));
  if (!outcome) co_return json_error(503, "Pons is busy: try again in a moment");
  json::object o{{"targetId", named.found->id},
                 {"ok", forward::is_success(*outcome)},
                 {"error", outcome->error},
                 {"durationMs", outcome->duration.count()}};
  if (outcome->status_code) {
    o["statusCode"] = *outcome->status_code;
  } else {
    o["statusCode"] = nullptr;
  }
  auto r = json_answer(200, o);
  r.log_note = fmt::format("target_tested=target:{} ok={} principal={}", named.found->id,
                           forward::is_success(*outcome), v.who.label());
  co_return r;
}

net::awaitable<http::server_response> deliveries(forwarding_context& c, http::server_request& req) {
  auto v = c.access.require_user(req, store::user_role::admin);
  if (v.status != 0) co_return from_verdict(v);
  forward::delivery_filter filter;
  if (auto text = http::query_param(req.query, "target"); text && !text->empty()) {
    auto id = positive_number(*text);
    if (!id) co_return json_error(400, "target: a target's id");
    filter.target_id = *id;
  }
  if (auto text = http::query_param(req.query, "state"); text && !text->empty()) {
    static const std::set<std::string_view> states{"pending", "delivering", "succeeded", "dead"};
    if (!states.contains(*text))
      co_return json_error(400, "state: pending, delivering, succeeded or dead");
    filter.state = *text;
  }
  if (auto text = http::query_param(req.query, "limit"); text && !text->empty()) {
    auto n = positive_number(*text);
    if (!n || *n > 500) co_return json_error(400, "limit: 1 to 500");
    filter.limit = static_cast<int>(*n);
  }
  std::lock_guard lock(c.db->mutex);
  auto targets = forward::list_targets(c.db->db);
  if (!targets) co_return unavailable();
  std::set<std::int64_t> managed;
  for (const auto& t : *targets)
    if (manages(v.who, c.db->db, t)) managed.insert(t.id);
  if (filter.target_id && !managed.contains(*filter.target_id))
    co_return forward_problem(forward_errc::not_found);
  auto rows = forward::list_deliveries(c.db->db, filter);
  if (!rows) co_return unavailable();
  json::array out;
  for (const auto& d : *rows)
    if (managed.contains(d.target_id)) out.push_back(forward::delivery_json(d));
  co_return json_answer(200, json::object{{"deliveries", std::move(out)}});
}

// The delivery `id` names, when its target is one this admin manages.
boost::system::result<forward::delivery_detail> managed_delivery(forwarding_context& c,
                                                                 const principal& who,
                                                                 std::int64_t id) {
  auto d = forward::get_delivery(c.db->db, id);
  if (!d) return d.error();
  auto t = forward::get_target(c.db->db, d->delivery.target_id);
  if (!t) return t.error();
  if (!manages(who, c.db->db, *t)) return forward_errc::not_found;
  return d;
}

net::awaitable<http::server_response> delivery_detail(forwarding_context& c,
                                                      http::server_request& req) {
  auto v = c.access.require_user(req, store::user_role::admin);
  if (v.status != 0) co_return from_verdict(v);
  auto text = http::query_param(req.query, "id");
  auto id = text ? positive_number(*text) : std::nullopt;
  if (!id) co_return json_error(400, "id: a delivery's id");
  std::lock_guard lock(c.db->mutex);
  auto d = managed_delivery(c, v.who, *id);
  if (!d) co_return forward_problem(d.error(), "delivery");
  co_return json_answer(200, json::object{{"delivery", forward::delivery_detail_json(*d)}});
}

net::awaitable<http::server_response> retry(forwarding_context& c, http::server_request& req) {
  auto v = c.access.require_user(req, store::user_role::admin);
  if (v.status != 0) co_return from_verdict(v);
  auto body = json_object_body(req);
  auto id = body ? id_field(*body) : std::nullopt;
  if (!id) co_return json_error(400, "send {\"id\": N}, the delivery's id");
  std::lock_guard lock(c.db->mutex);
  auto d = managed_delivery(c, v.who, *id);
  if (!d) co_return forward_problem(d.error(), "delivery");
  if (auto done = forward::retry_delivery(c.db->db, *id, std::chrono::system_clock::now()); !done)
    co_return forward_problem(done.error(), "delivery");
  auto again = forward::get_delivery(c.db->db, *id);
  if (!again) co_return forward_problem(again.error(), "delivery");
  auto r = json_answer(200, json::object{{"delivery", forward::delivery_json(again->delivery)}});
  r.log_note = fmt::format("delivery_retried=delivery:{} principal={}", *id, v.who.label());
  co_return r;
}

}  // namespace

void add_forwarding_routes(http::router& routes, const guard& access,
                           std::shared_ptr<locked_database> db, mcp::worker_pool& workers,
                           test_event_rules rules) {
  auto c = std::make_shared<forwarding_context>(
      forwarding_context{access, std::move(db), workers, std::move(rules)});
  routes.add("GET", "/api/v1/targets", [c](http::server_request& r) { return list(*c, r); });
  routes.add("POST", "/api/v1/targets", [c](http::server_request& r) { return create(*c, r); });
  routes.add("POST", "/api/v1/targets/update",
             [c](http::server_request& r) { return update(*c, r); });
  routes.add("POST", "/api/v1/targets/remove",
             [c](http::server_request& r) { return remove(*c, r); });
  routes.add("POST", "/api/v1/targets/rotate",
             [c](http::server_request& r) { return rotate(*c, r); });
  routes.add("POST", "/api/v1/targets/test", [c](http::server_request& r) { return test(*c, r); });
  routes.add("GET", "/api/v1/deliveries",
             [c](http::server_request& r) { return deliveries(*c, r); });
  routes.add("GET", "/api/v1/deliveries/detail",
             [c](http::server_request& r) { return delivery_detail(*c, r); });
  routes.add("POST", "/api/v1/deliveries/retry",
             [c](http::server_request& r) { return retry(*c, r); });
}

}  // namespace pons::dashboard
