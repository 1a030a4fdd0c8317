#include "pons/store/api_key_repository.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>

#include "pons/store/database.hpp"
#include "pons/store/secret_hash.hpp"
#include "pons/store/sql_support.hpp"

namespace pons::store {

namespace {

class api_key_category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "pons.api_key"; }
  std::string message(int ev) const override {
    switch (static_cast<api_key_errc>(ev)) {
      case api_key_errc::malformed:
        return "this is not a Pons API key (they start with pons_ and are 61 characters long); "
               "copy the whole key that `pons-webhook keys create` printed";
      case api_key_errc::unknown:
        return "no API key matches; create one with `pons-webhook keys create`";
      case api_key_errc::revoked:
        return "this API key was revoked; create a new one with `pons-webhook keys create`";
      case api_key_errc::expired:
        return "this API key has expired; create a new one with `pons-webhook keys create`";
      case api_key_errc::not_found:
        return "no API key has this id; see the ids with `pons-webhook keys list`";
      case api_key_errc::invalid_name:
        return "a key's name must be 1 to 100 printable characters, e.g. --name laptop";
      case api_key_errc::invalid_scopes:
        return "scopes are read (the read tools and resources) or read,send (also the send "
               "tools and mark_read)";
      case api_key_errc::unknown_account:
        return "no account with this WABA id is recorded; pons-webhook records the accounts of "
               "its configuration when it starts, and `pons-webhook keys create --help` says how "
               "to list them";
      case api_key_errc::invalid_expiry:
        return "the expiry must lie in the future (--expires-days 1 or more)";
      case api_key_errc::random_failed:
        return "the system random number generator failed; no key was made";
    }
    return "unknown API key error";
  }
};

const api_key_category_impl category_instance;

// A key is "pons_" + lookup + "_" + secret, both in base62 so a double click selects the whole
// key in a terminal. 43 base62 characters carry 43 * log2(62) = 256.03 bits.
constexpr std::string_view key_start = "pons_";
constexpr std::size_t lookup_chars = 12;
constexpr std::size_t secret_chars = 43;
constexpr std::size_t key_chars = key_start.size() + lookup_chars + 1 + secret_chars;
constexpr std::string_view base62 =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

bool is_base62(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
  });
}

// `n` uniformly random base62 characters. Bytes of 248 or more are dropped (248 = 4 * 62), so
// `byte % 62` is unbiased.
result<std::string> random_base62(std::size_t n) {
  std::string out;
  std::array<unsigned char, 64> bytes{};
  while (out.size() < n) {
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
      return api_key_errc::random_failed;
    }
    for (unsigned char b : bytes) {
      if (b < 248 && out.size() < n) out += base62[b % 62];
    }
  }
  return out;
}

bool valid_name(std::string_view name) {
  if (name.empty()) return false;
  std::size_t chars = 0;
  for (unsigned char c : name) {
    // Names are printed in tables and logs: no control characters (UTF-8 beyond ASCII is fine).
    if (c < 0x20 || c == 0x7F) return false;
    chars += (c & 0xC0) != 0x80;
  }
  return chars <= 100;
}

// The stored form of a scope list ("read" or "read send"), or "" when it is not one.
std::string canonical_scopes(const std::vector<std::string>& scopes) {
  bool read = false;
  bool send = false;
  for (const auto& s : scopes) {
    if (s == read_scope) {
      read = true;
    } else if (s == send_scope) {
      send = true;
    } else {
      return {};
    }
  }
  if (!read) return {};
  return send ? "read send" : "read";
}

constexpr std::string_view key_select =
    "SELECT k.id, k.name, k.lookup, k.scopes, coalesce(a.waba_id, ''), k.created_at, "
    "k.last_used_at, k.expires_at, k.revoked_at, k.secret_hash FROM api_keys k "
    "LEFT JOIN accounts a ON a.id = k.account_id ";

api_key read_key(const statement& st) {
  api_key k;
  k.id = st.column_int64(0);
  k.name = st.column_text(1);
  k.prefix = std::string(key_start) + st.column_text(2);
  k.scopes = {std::string(read_scope)};
  if (st.column_text(3) == "read send") k.scopes.emplace_back(send_scope);
  k.waba_id = st.column_text(4);
  k.created_at = st.column_text(5);
  k.last_used_at = st.column_text(6);
  k.expires_at = st.column_text(7);
  k.revoked_at = st.column_text(8);
  return k;
}

}  // namespace

const boost::system::error_category& api_key_category() noexcept {
  return category_instance;
}

boost::system::error_code make_error_code(api_key_errc e) noexcept {
  return {static_cast<int>(e), category_instance};
}

bool api_key::has_scope(std::string_view scope) const {
  return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

result<created_api_key> create_api_key(database& db, const api_key_spec& spec, time_point now) {
  if (!valid_name(spec.name)) return api_key_errc::invalid_name;
  const std::string scopes = canonical_scopes(spec.scopes);
  if (scopes.empty()) return api_key_errc::invalid_scopes;
  if (spec.expires_at && *spec.expires_at <= now) return api_key_errc::invalid_expiry;
  std::optional<std::int64_t> account_id;
  if (!spec.waba_id.empty()) {
    PONS_STORE_TRY(st, db.prepare("SELECT id FROM accounts WHERE waba_id = ?1"));
    st.bind(1, spec.waba_id);
    PONS_STORE_TRY(row, st.step());
    if (!row) return api_key_errc::unknown_account;
    account_id = st.column_int64(0);
  }
  PONS_STORE_TRY(lookup, random_base62(lookup_chars));
  PONS_STORE_TRY(secret, random_base62(secret_chars));
  created_api_key out;
  out.secret = std::string(key_start) + lookup + "_" + secret;
  std::int64_t id = 0;
  {
    PONS_STORE_TRY(st, db.prepare("INSERT INTO api_keys(name, lookup, secret_hash, scopes, "
                                  "account_id, created_at, expires_at) "
                                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id"));
    st.bind_all(spec.name, lookup, sha256_hex(out.secret), scopes, account_id,
                format_timestamp(now),
                spec.expires_at ? format_timestamp(*spec.expires_at) : std::string());
    PONS_STORE_TRY(row, st.step());
    if (!row) return store_errc::not_found;
    id = st.column_int64(0);
  }
  PONS_STORE_TRY(key, get_api_key(db, id));
  out.key = std::move(key);
  return out;
}

result<std::vector<api_key>> list_api_keys(database& db) {
  PONS_STORE_TRY(st, db.prepare(std::string(key_select) + "ORDER BY k.id"));
  std::vector<api_key> out;
  for (;;) {
    PONS_STORE_TRY(row, st.step());
    if (!row) break;
    out.push_back(read_key(st));
  }
  return out;
}

result<api_key> get_api_key(database& db, std::int64_t id) {
  PONS_STORE_TRY(st, db.prepare(std::string(key_select) + "WHERE k.id = ?1"));
  st.bind(1, id);
  PONS_STORE_TRY(row, st.step());
  if (!row) return api_key_errc::not_found;
  return read_key(st);
}

result<api_key> revoke_api_key(database& db, std::int64_t id, time_point now) {
  {
    PONS_STORE_TRY(st, db.prepare("UPDATE api_keys SET revoked_at = ?2 "
                                  "WHERE id = ?1 AND revoked_at = ''"));
    st.bind_all(id, format_timestamp(now));
    PONS_STORE_CHECK(st.run());
  }
  return get_api_key(db, id);
}

result<api_key> verify_api_key(database& db, std::string_view presented, time_point now) {
  // The form first: anything else never reaches a query.
  if (presented.size() != key_chars || presented.substr(0, key_start.size()) != key_start ||
      presented[key_start.size() + lookup_chars] != '_') {
    return api_key_errc::malformed;
  }
  const std::string_view lookup = presented.substr(key_start.size(), lookup_chars);
  const std::string_view secret = presented.substr(key_start.size() + lookup_chars + 1);
  if (!is_base62(lookup) || !is_base62(secret)) return api_key_errc::malformed;

  PONS_STORE_TRY(st, db.prepare(std::string(key_select) + "WHERE k.lookup = ?1"));
  st.bind(1, lookup);
  PONS_STORE_TRY(row, st.step());
  if (!row) return api_key_errc::unknown;
  const std::string stored = st.column_text(9);
  const std::string computed = sha256_hex(presented);
  // The lookup part is public; the secret is compared only through its hash, in constant time.
  if (stored.size() != computed.size() ||
      CRYPTO_memcmp(stored.data(), computed.data(), computed.size()) != 0) {
    return api_key_errc::unknown;
  }
  api_key key = read_key(st);
  // Only the holder of the whole key learns that it was revoked or has expired.
  if (!key.revoked_at.empty()) return api_key_errc::revoked;
  if (!key.expires_at.empty()) {
    auto expires = parse_timestamp(key.expires_at);
    if (!expires || *expires <= now) return api_key_errc::expired;
  }
  return key;
}

result<bool> note_api_key_use(database& db, const api_key& key, time_point now) {
  if (auto last = parse_timestamp(key.last_used_at); last && now - *last < last_used_resolution) {
    return false;
  }
  auto st = db.prepare("UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1 AND last_used_at < ?2");
  if (!st) return detail::bool_error(st.error());
  st->bind_all(key.id, format_timestamp(now));
  auto changed = st->run();
  if (!changed) return detail::bool_error(changed.error());
  return *changed > 0;
}

}  // namespace pons::store
