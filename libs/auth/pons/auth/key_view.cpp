#include "pons/auth/key_view.hpp"

#include <boost/json/array.hpp>
#include <string>

namespace pons::auth {

namespace json = boost::json;

namespace {

json::value text_or_null(const std::string& s) {
  if (s.empty()) return nullptr;
  return json::value(s);
}

}  // namespace

std::string_view key_state(const store::api_key& key, store::time_point now) {
  if (!key.revoked_at.empty()) return "revoked";
  if (!key.expires_at.empty()) {
    auto expires = store::parse_timestamp(key.expires_at);
    if (!expires || *expires <= now) return "expired";
  }
  return "active";
}

json::object key_json(const store::api_key& key, store::time_point now) {
  json::array scopes;
  for (const auto& s : key.scopes) scopes.emplace_back(s);
  return json::object{{"id", key.id},
                      {"name", key.name},
                      {"prefix", key.prefix},
                      {"scopes", std::move(scopes)},
                      {"account", text_or_null(key.waba_id)},
                      {"createdAt", key.created_at},
                      {"lastUsedAt", text_or_null(key.last_used_at)},
                      {"expiresAt", text_or_null(key.expires_at)},
                      {"revokedAt", text_or_null(key.revoked_at)},
                      {"state", key_state(key, now)}};
}

}  // namespace pons::auth
