#include "pons/dashboard/accounts_api.hpp"

#include <boost/json/array.hpp>
#include <map>

#include "pons/dashboard/answers.hpp"
#include "pons/store/account_repository.hpp"

namespace pons::dashboard {

namespace net = boost::asio;
namespace json = boost::json;

namespace {

struct accounts_context {
  const guard& access;
  std::shared_ptr<locked_database> db;
};

json::object number_json(const store::phone_number_record& p) {
  return json::object{{"phoneNumberId", p.phone_number_id},
                      {"displayPhoneNumber", p.display_phone_number},
                      {"verifiedName", p.verified_name},
                      {"default", p.is_default}};
}

// Where a credential comes from may name a file: only whether one is configured is shown.
json::object account_json(const store::account_record& a, json::array numbers) {
  return json::object{{"wabaId", a.waba_id},
                      {"name", a.name},
                      {"credentials", json::object{{"appSecret", !a.app_secret_ref.empty()},
                                                   {"accessToken", !a.access_token_ref.empty()},
                                                   {"verifyToken", !a.verify_token_ref.empty()}}},
                      {"phoneNumbers", std::move(numbers)}};
}

net::awaitable<http::server_response> list(accounts_context& c, http::server_request& req) {
  auto v = c.access.require(req, store::user_role::member);
  if (v.status != 0) co_return from_verdict(v);
  std::lock_guard lock(c.db->mutex);
  auto accounts = store::list_accounts(c.db->db);
  if (!accounts)
    co_return json_error(503, "the database cannot answer just now: try again shortly");
  auto numbers = store::list_phone_numbers(c.db->db);
  if (!numbers) co_return json_error(503, "the database cannot answer just now: try again shortly");
  std::map<std::int64_t, json::array> by_account;
  for (const auto& p : *numbers) by_account[p.account_id].push_back(number_json(p));
  json::array out;
  for (const auto& a : *accounts) {
    if (!v.who.waba_id.empty() && a.waba_id != v.who.waba_id) continue;
    out.push_back(account_json(a, std::move(by_account[a.id])));
  }
  co_return json_answer(200, json::object{{"accounts", std::move(out)}});
}

}  // namespace

void add_accounts_route(http::router& routes, const guard& access,
                        std::shared_ptr<locked_database> db) {
  auto c = std::make_shared<accounts_context>(accounts_context{access, std::move(db)});
  routes.add("GET", "/api/v1/accounts", [c](http::server_request& r) { return list(*c, r); });
}

}  // namespace pons::dashboard
