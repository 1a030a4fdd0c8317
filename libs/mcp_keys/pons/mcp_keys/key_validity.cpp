#include "pons/mcp_keys/key_validity.hpp"

#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <memory>
#include <mutex>

#include "pons/store/api_key_repository.hpp"
#include "pons/store/database.hpp"
#include "pons/store/oauth_repository.hpp"
#include "pons/store/timestamp.hpp"

namespace pons::mcp_keys {

namespace {

constexpr std::string_view key_prefix = "key:";
constexpr std::string_view grant_prefix = "oauth:";

std::optional<std::int64_t> id_after(std::string_view principal, std::string_view prefix) {
  if (!principal.starts_with(prefix)) return std::nullopt;
  principal.remove_prefix(prefix.size());
  std::int64_t id = 0;
  auto [end, ec] = std::from_chars(principal.data(), principal.data() + principal.size(), id);
  if (ec != std::errc{} || end != principal.data() + principal.size() || principal.empty()) {
    return std::nullopt;
  }
  return id;
}

struct validity_state {
  explicit validity_state(store::database d) : db(std::move(d)) {}
  std::mutex mutex;  // guards db
  store::database db;
};

bool still_valid(validity_state& state, std::string_view principal) {
  if (auto grant = grant_id_of(principal)) {
    std::lock_guard lock(state.mutex);
    auto in_force = store::grant_in_force(state.db, *grant);
    return !in_force || *in_force;
  }
  auto id = key_id_of(principal);
  if (!id) return true;
  const auto now = std::chrono::system_clock::now();
  std::lock_guard lock(state.mutex);
  auto key = store::get_api_key(state.db, *id);
  if (!key) return key.error() != store::api_key_errc::not_found;
  if (!key->revoked_at.empty()) return false;
  if (key->expires_at.empty()) return true;
  auto expires = store::parse_timestamp(key->expires_at);
  return expires && *expires > now;
}

}  // namespace

std::string key_principal(std::int64_t id) {
  return fmt::format("{}{}", key_prefix, id);
}

std::optional<std::int64_t> key_id_of(std::string_view principal) {
  return id_after(principal, key_prefix);
}

std::string grant_principal(std::int64_t id) {
  return fmt::format("{}{}", grant_prefix, id);
}

std::optional<std::int64_t> grant_id_of(std::string_view principal) {
  return id_after(principal, grant_prefix);
}

store::result<mcp_http::principal_check> key_validity(const std::string& db_path,
                                                      int busy_timeout_ms) {
  store::open_options oo;
  oo.busy_timeout_ms = busy_timeout_ms;
  auto db = store::database::open(db_path, oo);
  if (!db) return db.error();
  auto state = std::make_shared<validity_state>(std::move(*db));
  return mcp_http::principal_check(
      [state](std::string_view principal) { return still_valid(*state, principal); });
}

}  // namespace pons::mcp_keys
