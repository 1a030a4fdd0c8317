#include "pons/store/oauth_repository.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <boost/url/parse.hpp>

#include "pons/store/database.hpp"
#include "pons/store/secret_hash.hpp"
#include "pons/store/sql_support.hpp"

namespace pons::store {

namespace {

class oauth_category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "pons.oauth"; }
  std::string message(int ev) const override {
    switch (static_cast<oauth_errc>(ev)) {
      case oauth_errc::invalid_redirect_uri:
        return "each redirect URI must be https, or http to localhost or a loopback address, "
               "without a fragment";
      case oauth_errc::invalid_client_metadata:
        return "a client registers at least one redirect URI, and a name of at most 100 "
               "characters";
      case oauth_errc::invalid_client:
        return "no client is registered with this client_id: register again";
      case oauth_errc::invalid_grant:
        return "the code or refresh token is unknown, expired, already used, or not this "
               "client's (or the code_verifier does not match): authorize again";
      case oauth_errc::invalid_token:
        return "the access token is unknown, expired or revoked: refresh it or authorize again";
      case oauth_errc::invalid_scope:
        return "scopes are read, or read and send";
      case oauth_errc::not_found:
        return "no OAuth grant has this id";
      case oauth_errc::random_failed:
        return "the system random number generator failed; nothing was made";
    }
    return "unknown OAuth error";
  }
};

const oauth_category_impl category_instance;

constexpr std::string_view code_prefix = "pons_code_";
constexpr std::string_view access_prefix = "pons_at_";
constexpr std::string_view refresh_prefix = "pons_rt_";

// A secret to hand out once: its prefix says what it is, 256 random bits make it unguessable.
result<std::string> new_secret(std::string_view prefix) {
  auto random = random_base64url(32);
  if (!random) return oauth_errc::random_failed;
  return std::string(prefix) + *random;
}

bool loopback_host(std::string_view host) {
  return host == "localhost" || host == "127.0.0.1" || host == "[::1]" || host.starts_with("127.");
}

std::string joined_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) {
    if (!out.empty()) out += '\n';
    out += l;
  }
  return out;
}

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    auto end = text.find('\n');
    out.emplace_back(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return out;
}

// The id of the account with this WABA id; nullopt for "" (every account).
result<std::optional<std::int64_t>> account_id_of(database& db, std::string_view waba_id) {
  if (waba_id.empty()) return std::optional<std::int64_t>{};
  PONS_STORE_TRY(st, db.prepare("SELECT id FROM accounts WHERE waba_id = ?1"));
  st.bind(1, waba_id);
  PONS_STORE_TRY(row, st.step());
  if (!row) return oauth_errc::invalid_scope;
  return std::optional<std::int64_t>(st.column_int64(0));
}

// A new access token and refresh token for grant `grant_id`, stored by their hashes.
result<token_pair> issue_tokens(database& db, std::int64_t grant_id, std::string scopes,
                                time_point now) {
  token_pair out;
  PONS_STORE_TRY(access, new_secret(access_prefix));
  PONS_STORE_TRY(refresh, new_secret(refresh_prefix));
  PONS_STORE_TRY(st, db.prepare("INSERT INTO oauth_tokens (token_hash, grant_id, kind, created_at, "
                                "expires_at) VALUES (?1, ?2, ?3, ?4, ?5)"));
  const auto created = format_timestamp(now);
  st.bind_all(sha256_hex(access), grant_id, std::string_view("access"), created,
              format_timestamp(now + access_token_lifetime));
  PONS_STORE_CHECK(st.run());
  st.reset();
  st.bind_all(sha256_hex(refresh), grant_id, std::string_view("refresh"), created,
              format_timestamp(now + refresh_token_lifetime));
  PONS_STORE_CHECK(st.run());
  out.access_token = std::move(access);
  out.refresh_token = std::move(refresh);
  out.expires_in = access_token_lifetime;
  out.scopes = std::move(scopes);
  return out;
}

result<void> revoke_grant_id(database& db, std::int64_t grant_id, time_point now) {
  PONS_STORE_TRY(st, db.prepare("UPDATE oauth_grants SET revoked_at = ?2 WHERE id = ?1 AND "
                                "revoked_at = ''"));
  st.bind_all(grant_id, format_timestamp(now));
  PONS_STORE_CHECK(st.run());
  return {};
}

constexpr std::string_view grant_select =
    "SELECT g.id, c.name, c.redirect_uris, u.email, g.scopes, coalesce(a.waba_id, ''), "
    "g.created_at, g.last_used_at, g.revoked_at FROM oauth_grants g "
    "JOIN oauth_clients c ON c.id = g.client_id JOIN users u ON u.id = g.user_id "
    "LEFT JOIN accounts a ON a.id = g.account_id ";

oauth_grant_view read_grant(const statement& st) {
  oauth_grant_view g;
  g.id = st.column_int64(0);
  g.client_name = st.column_text(1);
  const auto uris = split_lines(st.column_text(2));
  if (!uris.empty()) {
    auto parsed = boost::urls::parse_absolute_uri(uris.front());
    if (parsed) g.redirect_host = parsed->host();
  }
  g.user_email = st.column_text(3);
  g.scopes = st.column_text(4);
  g.waba_id = st.column_text(5);
  g.created_at = st.column_text(6);
  g.last_used_at = st.column_text(7);
  g.revoked_at = st.column_text(8);
  return g;
}

}  // namespace

const boost::system::error_category& oauth_category() noexcept {
  return category_instance;
}

boost::system::error_code make_error_code(oauth_errc e) noexcept {
  return {static_cast<int>(e), category_instance};
}

bool acceptable_redirect_uri(std::string_view uri) {
  auto parsed = boost::urls::parse_absolute_uri(uri);
  if (!parsed || parsed->has_fragment() || parsed->has_userinfo() || parsed->host().empty())
    return false;
  if (parsed->scheme() == "https") return true;
  return parsed->scheme() == "http" && loopback_host(parsed->encoded_host());
}

result<oauth_client> register_client(database& db, std::string_view name,
                                     const std::vector<std::string>& redirect_uris,
                                     time_point now) {
  if (redirect_uris.empty() || redirect_uris.size() > 10 || name.size() > 100)
    return oauth_errc::invalid_client_metadata;
  for (const auto& uri : redirect_uris) {
    if (uri.size() > 2000 || uri.find('\n') != std::string::npos || !acceptable_redirect_uri(uri))
      return oauth_errc::invalid_redirect_uri;
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7F) return oauth_errc::invalid_client_metadata;
  }
  PONS_STORE_TRY(random, new_secret("pons_client_"));
  oauth_client out;
  out.client_id = std::move(random);
  out.name = name.empty() ? std::string("unnamed client") : std::string(name);
  out.redirect_uris = redirect_uris;
  out.created_at = format_timestamp(now);
  PONS_STORE_TRY(st, db.prepare("INSERT INTO oauth_clients (client_id, name, redirect_uris, "
                                "created_at) VALUES (?1, ?2, ?3, ?4) RETURNING id"));
  st.bind_all(out.client_id, out.name, joined_lines(out.redirect_uris), out.created_at);
  PONS_STORE_TRY(row, st.step());
  if (!row) return store_errc::not_found;
  out.id = st.column_int64(0);
  return out;
}

result<oauth_client> find_client(database& db, std::string_view client_id) {
  PONS_STORE_TRY(st, db.prepare("SELECT id, client_id, name, redirect_uris, created_at FROM "
                                "oauth_clients WHERE client_id = ?1"));
  st.bind(1, client_id);
  PONS_STORE_TRY(row, st.step());
  if (!row) return oauth_errc::invalid_client;
  oauth_client c;
  c.id = st.column_int64(0);
  c.client_id = st.column_text(1);
  c.name = st.column_text(2);
  c.redirect_uris = split_lines(st.column_text(3));
  c.created_at = st.column_text(4);
  return c;
}

result<std::string> create_code(database& db, const consent& c, time_point now) {
  if (c.scopes != "read" && c.scopes != "read send") return oauth_errc::invalid_scope;
  if (c.code_challenge.size() != 43) return oauth_errc::invalid_grant;
  PONS_STORE_TRY(account, account_id_of(db, c.waba_id));
  PONS_STORE_TRY(code, new_secret(code_prefix));
  PONS_STORE_TRY(st, db.prepare("INSERT INTO oauth_codes (code_hash, client_id, user_id, scopes, "
                                "account_id, resource, redirect_uri, code_challenge, created_at, "
                                "expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"));
  st.bind_all(sha256_hex(code), c.client, c.user_id, c.scopes, account, c.resource, c.redirect_uri,
              c.code_challenge, format_timestamp(now), format_timestamp(now + code_lifetime));
  PONS_STORE_CHECK(st.run());
  return code;
}

result<token_pair> redeem_code(database& db, std::string_view code, std::string_view client_id,
                               std::string_view redirect_uri, std::string_view verifier,
                               time_point now) {
  if (!code.starts_with(code_prefix)) return oauth_errc::invalid_grant;
  PONS_STORE_TRY(scope, detail::write_scope::begin(db));
  PONS_STORE_TRY(st, db.prepare("SELECT o.id, o.client_id, o.user_id, o.scopes, o.account_id, "
                                "o.resource, o.redirect_uri, o.code_challenge, o.expires_at, "
                                "o.grant_id, c.client_id FROM oauth_codes o JOIN oauth_clients c "
                                "ON c.id = o.client_id WHERE o.code_hash = ?1"));
  st.bind(1, sha256_hex(code));
  PONS_STORE_TRY(row, st.step());
  if (!row) return oauth_errc::invalid_grant;
  const auto code_id = st.column_int64(0);
  const auto client = st.column_int64(1);
  const auto user_id = st.column_int64(2);
  const auto scopes = st.column_text(3);
  const auto account = st.column_optional_int64(4);
  const auto resource = st.column_text(5);
  const auto bound_redirect = st.column_text(6);
  const auto challenge = st.column_text(7);
  const auto expires_at = st.column_text(8);
  const auto earlier_grant = st.column_optional_int64(9);
  const auto owner = st.column_text(10);
  st.reset();
  if (earlier_grant) {
    // A code used twice: whoever holds it now may not be who redeemed it first.
    PONS_STORE_CHECK(revoke_grant_id(db, *earlier_grant, now));
    PONS_STORE_CHECK(scope.commit());
    return oauth_errc::invalid_grant;
  }
  const auto computed = sha256_base64url(verifier);
  const bool verifier_ok = verifier.size() >= 43 && verifier.size() <= 128 &&
                           computed.size() == challenge.size() &&
                           CRYPTO_memcmp(computed.data(), challenge.data(), computed.size()) == 0;
  if (owner != client_id || bound_redirect != redirect_uri || expires_at <= format_timestamp(now) ||
      !verifier_ok)
    return oauth_errc::invalid_grant;
  PONS_STORE_TRY(grant, db.prepare("INSERT INTO oauth_grants (client_id, user_id, scopes, "
                                   "account_id, resource, created_at) VALUES (?1, ?2, ?3, ?4, "
                                   "?5, ?6) RETURNING id"));
  grant.bind_all(client, user_id, scopes, account, resource, format_timestamp(now));
  PONS_STORE_TRY(granted, grant.step());
  if (!granted) return store_errc::not_found;
  const auto grant_id = grant.column_int64(0);
  grant.reset();  // an open statement would keep SQLite from committing
  PONS_STORE_TRY(used, db.prepare("UPDATE oauth_codes SET grant_id = ?2 WHERE id = ?1"));
  used.bind_all(code_id, grant_id);
  PONS_STORE_CHECK(used.run());
  PONS_STORE_TRY(tokens, issue_tokens(db, grant_id, scopes, now));
  PONS_STORE_CHECK(scope.commit());
  return std::move(tokens);
}

result<token_pair> refresh_tokens(database& db, std::string_view refresh_token,
                                  std::string_view client_id, time_point now) {
  if (!refresh_token.starts_with(refresh_prefix)) return oauth_errc::invalid_grant;
  PONS_STORE_TRY(scope, detail::write_scope::begin(db));
  PONS_STORE_TRY(st, db.prepare("SELECT t.id, t.grant_id, t.expires_at, t.used_at, g.scopes, "
                                "g.revoked_at, c.client_id, u.disabled_at FROM oauth_tokens t "
                                "JOIN oauth_grants g ON g.id = t.grant_id JOIN oauth_clients c ON "
                                "c.id = g.client_id JOIN users u ON u.id = g.user_id WHERE "
                                "t.token_hash = ?1 AND t.kind = 'refresh'"));
  st.bind(1, sha256_hex(refresh_token));
  PONS_STORE_TRY(row, st.step());
  if (!row) return oauth_errc::invalid_grant;
  const auto token_id = st.column_int64(0);
  const auto grant_id = st.column_int64(1);
  const auto expires_at = st.column_text(2);
  const auto used_at = st.column_text(3);
  const auto scopes = st.column_text(4);
  const auto revoked_at = st.column_text(5);
  const auto owner = st.column_text(6);
  const auto disabled_at = st.column_text(7);
  st.reset();
  if (owner != client_id) return oauth_errc::invalid_grant;
  if (!used_at.empty()) {
    // A spent refresh token again: it was copied. The grant ends for everyone holding it.
    PONS_STORE_CHECK(revoke_grant_id(db, grant_id, now));
    PONS_STORE_CHECK(scope.commit());
    return oauth_errc::invalid_grant;
  }
  if (!revoked_at.empty() || !disabled_at.empty() || expires_at <= format_timestamp(now))
    return oauth_errc::invalid_grant;
  PONS_STORE_TRY(spend, db.prepare("UPDATE oauth_tokens SET used_at = ?2 WHERE id = ?1"));
  spend.bind_all(token_id, format_timestamp(now));
  PONS_STORE_CHECK(spend.run());
  PONS_STORE_TRY(tokens, issue_tokens(db, grant_id, scopes, now));
  PONS_STORE_CHECK(scope.commit());
  return std::move(tokens);
}

result<oauth_access> verify_access_token(database& db, std::string_view token, time_point now) {
  if (!token.starts_with(access_prefix)) return oauth_errc::invalid_token;
  PONS_STORE_TRY(st, db.prepare("SELECT g.id, g.user_id, g.scopes, coalesce(a.waba_id, ''), "
                                "g.resource, t.expires_at, g.revoked_at, u.disabled_at, "
                                "g.last_used_at FROM oauth_tokens t JOIN oauth_grants g ON g.id = "
                                "t.grant_id JOIN users u ON u.id = g.user_id LEFT JOIN accounts a "
                                "ON a.id = g.account_id WHERE t.token_hash = ?1 AND t.kind = "
                                "'access'"));
  st.bind(1, sha256_hex(token));
  PONS_STORE_TRY(row, st.step());
  if (!row) return oauth_errc::invalid_token;
  oauth_access out;
  out.grant_id = st.column_int64(0);
  out.user_id = st.column_int64(1);
  out.scopes = st.column_text(2);
  out.waba_id = st.column_text(3);
  out.resource = st.column_text(4);
  const auto expires_at = st.column_text(5);
  const auto revoked_at = st.column_text(6);
  const auto disabled_at = st.column_text(7);
  const auto last_used = parse_timestamp(st.column_text(8));
  st.reset();
  if (expires_at <= format_timestamp(now) || !revoked_at.empty() || !disabled_at.empty())
    return oauth_errc::invalid_token;
  if (!last_used || now - *last_used >= std::chrono::minutes(1)) {
    // A use noted late or not at all costs nothing but a stale column on the keys page.
    if (auto seen = db.prepare("UPDATE oauth_grants SET last_used_at = ?2 WHERE id = ?1")) {
      seen->bind_all(out.grant_id, format_timestamp(now));
      (void)seen->run();
    }
  }
  return out;
}

result<bool> grant_in_force(database& db, std::int64_t id) {
  auto st = db.prepare(
      "SELECT 1 FROM oauth_grants g JOIN users u ON u.id = g.user_id WHERE "
      "g.id = ?1 AND g.revoked_at = '' AND u.disabled_at = ''");
  if (!st) return detail::bool_error(st.error());
  st->bind(1, id);
  return st->step();
}

result<void> revoke_by_token(database& db, std::string_view token, time_point now) {
  PONS_STORE_TRY(st, db.prepare("SELECT grant_id FROM oauth_tokens WHERE token_hash = ?1"));
  st.bind(1, sha256_hex(token));
  PONS_STORE_TRY(row, st.step());
  if (!row) return {};
  const auto grant_id = st.column_int64(0);
  st.reset();
  return revoke_grant_id(db, grant_id, now);
}

result<std::vector<oauth_grant_view>> list_grants(database& db, std::string_view waba_id) {
  PONS_STORE_TRY(st, db.prepare(std::string(grant_select) +
                                "WHERE ?1 = '' OR a.waba_id = ?1 ORDER BY g.id DESC"));
  st.bind(1, waba_id);
  std::vector<oauth_grant_view> out;
  for (;;) {
    PONS_STORE_TRY(row, st.step());
    if (!row) break;
    out.push_back(read_grant(st));
  }
  return out;
}

result<oauth_grant_view> revoke_grant(database& db, std::int64_t id, time_point now) {
  PONS_STORE_CHECK(revoke_grant_id(db, id, now));
  PONS_STORE_TRY(st, db.prepare(std::string(grant_select) + "WHERE g.id = ?1"));
  st.bind(1, id);
  PONS_STORE_TRY(row, st.step());
  if (!row) return oauth_errc::not_found;
  return read_grant(st);
}

}  // namespace pons::store
