#include "pons/store/session_repository.hpp"

#include <sodium.h>

#include <array>

#include "pons/store/database.hpp"
#include "pons/store/secret_hash.hpp"
#include "pons/store/sql_support.hpp"

namespace pons::store {

namespace {

constexpr std::size_t secret_bytes = 32;
// 32 bytes in base64url without padding.
constexpr std::size_t secret_chars = 43;

std::string random_token() {
  std::array<unsigned char, secret_bytes> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  std::array<char,
             sodium_base64_ENCODED_LEN(secret_bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING)>
      text{};
  sodium_bin2base64(text.data(), text.size(), bytes.data(), bytes.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(bytes.data(), bytes.size());
  return std::string(text.data());
}

bool well_formed(std::string_view secret) {
  if (secret.size() != secret_chars) return false;
  for (char c : secret) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

result<created_session> create_session(database& db, std::int64_t user_id, time_point now,
                                       const session_limits& limits) {
  if (sodium_init() < 0) return store_errc::invalid_argument;
  created_session out;
  out.secret = random_token();
  const std::string csrf = random_token();
  const std::string created = format_timestamp(now);
  const std::string expires = format_timestamp(now + limits.lifetime);
  PONS_STORE_TRY(scope, detail::write_scope::begin(db));
  std::int64_t id = 0;
  {
    PONS_STORE_TRY(st, db.prepare("DELETE FROM dashboard_sessions WHERE expires_at <= ?1"));
    st.bind(1, created);
    PONS_STORE_CHECK(st.run());
  }
  {
    PONS_STORE_TRY(st, db.prepare("INSERT INTO dashboard_sessions(id_hash, user_id, csrf_token, "
                                  "created_at, last_seen_at, expires_at) "
                                  "VALUES (?1, ?2, ?3, ?4, ?4, ?5) RETURNING id"));
    st.bind_all(sha256_hex(out.secret), user_id, csrf, created, expires);
    PONS_STORE_TRY(row, st.step());
    if (!row) return store_errc::not_found;
    id = st.column_int64(0);
  }
  PONS_STORE_CHECK(scope.commit());
  PONS_STORE_TRY(found, find_session(db, out.secret, now, limits));
  if (found.id != id) return store_errc::not_found;
  out.session = std::move(found);
  return out;
}

result<dashboard_session> find_session(database& db, std::string_view secret, time_point now,
                                       const session_limits& limits) {
  // Anything that is not an id of ours never reaches a query.
  if (!well_formed(secret)) return store_errc::not_found;
  const std::string hash = sha256_hex(secret);
  PONS_STORE_TRY(st, db.prepare("SELECT s.id, s.csrf_token, s.created_at, s.last_seen_at, "
                                "s.expires_at, s.id_hash, u.id, u.email, u.role, "
                                "coalesce(a.waba_id, ''), u.created_at, u.last_login_at, "
                                "u.disabled_at FROM dashboard_sessions s JOIN users u ON "
                                "u.id = s.user_id LEFT JOIN accounts a ON a.id = u.account_id "
                                "WHERE s.id_hash = ?1"));
  st.bind(1, hash);
  PONS_STORE_TRY(row, st.step());
  if (!row) return store_errc::not_found;
  const std::string stored = st.column_text(5);
  if (!same_token(stored, hash)) return store_errc::not_found;
  dashboard_session s;
  s.id = st.column_int64(0);
  s.csrf_token = st.column_text(1);
  s.created_at = st.column_text(2);
  s.last_seen_at = st.column_text(3);
  s.expires_at = st.column_text(4);
  s.who.id = st.column_int64(6);
  s.who.email = st.column_text(7);
  s.who.role = parse_user_role(st.column_text(8)).value_or(user_role::member);
  s.who.waba_id = st.column_text(9);
  s.who.created_at = st.column_text(10);
  s.who.last_login_at = st.column_text(11);
  s.who.disabled_at = st.column_text(12);
  st.reset();
  auto expires = parse_timestamp(s.expires_at);
  auto seen = parse_timestamp(s.last_seen_at);
  if (!expires || !seen || *expires <= now || now - *seen >= limits.idle ||
      !s.who.disabled_at.empty()) {
    return store_errc::not_found;
  }
  if (now - *seen >= session_seen_resolution) {
    PONS_STORE_TRY(up, db.prepare("UPDATE dashboard_sessions SET last_seen_at = ?2 WHERE id = ?1"));
    s.last_seen_at = format_timestamp(now);
    up.bind_all(s.id, s.last_seen_at);
    PONS_STORE_CHECK(up.run());
  }
  return s;
}

result<bool> end_session(database& db, std::string_view secret) {
  if (!well_formed(secret)) return false;
  auto st = db.prepare("DELETE FROM dashboard_sessions WHERE id_hash = ?1");
  if (!st) return detail::bool_error(st.error());
  st->bind(1, sha256_hex(secret));
  auto changed = st->run();
  if (!changed) return detail::bool_error(changed.error());
  return *changed > 0;
}

result<std::int64_t> count_sessions(database& db) {
  return db.query_int64("SELECT count(*) FROM dashboard_sessions");
}

bool same_token(std::string_view expected, std::string_view presented) noexcept {
  if (expected.size() != presented.size() || expected.empty()) return false;
  return sodium_memcmp(expected.data(), presented.data(), expected.size()) == 0;
}

}  // namespace pons::store
