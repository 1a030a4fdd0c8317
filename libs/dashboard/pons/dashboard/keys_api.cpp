#include "pons/dashboard/keys_api.hpp"

#include <fmt/format.h>

#include <boost/json/array.hpp>
#include <chrono>
#include <optional>

#include "pons/auth/key_view.hpp"
#include "pons/dashboard/answers.hpp"
#include "pons/dashboard/json_body.hpp"
#include "pons/store/api_key_repository.hpp"

namespace pons::dashboard {

namespace net = boost::asio;
namespace json = boost::json;

namespace {

struct keys_context {
  const guard& access;
  std::shared_ptr<locked_database> db;
};

// What a store refusal means to the person filling the form.
http::server_response key_problem(const boost::system::error_code& ec) {
  using store::api_key_errc;
  if (ec == api_key_errc::invalid_name)
    return json_error(400, "name: 1 to 100 printable characters");
  if (ec == api_key_errc::invalid_scopes)
    return json_error(400, "scopes: [\"read\"] or [\"read\", \"send\"]");
  if (ec == api_key_errc::unknown_account)
    return json_error(400, "account: no account with this WABA id is recorded here");
  if (ec == api_key_errc::invalid_expiry) return json_error(400, "expires_days: must be 1 or more");
  if (ec == api_key_errc::not_found) return json_error(404, "no API key has this id");
  return json_error(503, "the database cannot answer just now: try again shortly");
}

net::awaitable<http::server_response> list(keys_context& c, http::server_request& req) {
  auto verdict = c.access.require_user(req, store::user_role::admin);
  if (verdict.status != 0) co_return from_verdict(verdict);
  const auto& admin = verdict.who;
  const auto now = std::chrono::system_clock::now();
  std::lock_guard lock(c.db->mutex);
  auto keys = store::list_api_keys(c.db->db);
  if (!keys) co_return key_problem(keys.error());
  json::array out;
  for (const auto& k : *keys) {
    if (!admin.waba_id.empty() && k.waba_id != admin.waba_id) continue;
    out.push_back(auth::key_json(k, now));
  }
  co_return json_answer(200, json::object{{"keys", std::move(out)}});
}

net::awaitable<http::server_response> create(keys_context& c, http::server_request& req) {
  auto verdict = c.access.require_user(req, store::user_role::admin);
  if (verdict.status != 0) co_return from_verdict(verdict);
  const auto& admin = verdict.who;
  auto body = json_object_body(req);
  if (!body) co_return json_error(400, "send {\"name\", \"scopes\"} as a JSON object");
  store::api_key_spec spec;
  spec.name = text_field(*body, "name");
  if (const auto* s = body->if_contains("scopes"); s && s->is_array()) {
    for (const auto& scope : s->get_array()) {
      if (!scope.is_string()) co_return json_error(400, "scopes: a list of names");
      spec.scopes.emplace_back(scope.get_string());
    }
  }
  spec.waba_id = text_field(*body, "account");
  // An admin of one account makes keys for that account only.
  if (!admin.waba_id.empty()) {
    if (!spec.waba_id.empty() && spec.waba_id != admin.waba_id)
      co_return json_error(403, "you may make keys for your own account only");
    spec.waba_id = admin.waba_id;
  }
  const auto now = std::chrono::system_clock::now();
  if (const auto* d = body->if_contains("expires_days"); d && !d->is_null()) {
    if (!d->is_int64() || d->get_int64() < 1 || d->get_int64() > 3650)
      co_return json_error(400, "expires_days: a whole number of days, 1 to 3650");
    spec.expires_at = now + std::chrono::days(d->get_int64());
  }
  std::lock_guard lock(c.db->mutex);
  auto made = store::create_api_key(c.db->db, spec, now);
  if (!made) co_return key_problem(made.error());
  auto r = json_answer(
      201, json::object{{"key", auth::key_json(made->key, now)}, {"secret", made->secret}});
  r.log_note = fmt::format("key_created=key:{} principal={}", made->key.id, admin.label());
  co_return r;
}

net::awaitable<http::server_response> revoke(keys_context& c, http::server_request& req) {
  auto verdict = c.access.require_user(req, store::user_role::admin);
  if (verdict.status != 0) co_return from_verdict(verdict);
  const auto& admin = verdict.who;
  auto body = json_object_body(req);
  const auto* id = body ? body->if_contains("id") : nullptr;
  if (!id || !id->is_int64()) co_return json_error(400, "send {\"id\": N}, the key's id");
  const auto now = std::chrono::system_clock::now();
  std::lock_guard lock(c.db->mutex);
  auto key = store::get_api_key(c.db->db, id->get_int64());
  if (!key) co_return key_problem(key.error());
  // Another account's key is answered as if it did not exist.
  if (!admin.waba_id.empty() && key->waba_id != admin.waba_id)
    co_return key_problem(store::api_key_errc::not_found);
  auto revoked = store::revoke_api_key(c.db->db, key->id, now);
  if (!revoked) co_return key_problem(revoked.error());
  auto r = json_answer(200, json::object{{"key", auth::key_json(*revoked, now)}});
  r.log_note = fmt::format("key_revoked=key:{} principal={}", key->id, admin.label());
  co_return r;
}

}  // namespace

void add_keys_routes(http::router& routes, const guard& access,
                     std::shared_ptr<locked_database> db) {
  auto c = std::make_shared<keys_context>(keys_context{access, std::move(db)});
  routes.add("GET", "/api/v1/keys", [c](http::server_request& r) { return list(*c, r); });
  routes.add("POST", "/api/v1/keys", [c](http::server_request& r) { return create(*c, r); });
  routes.add("POST", "/api/v1/keys/revoke", [c](http::server_request& r) { return revoke(*c, r); });
}

}  // namespace pons::dashboard
