#pragma once
// OAuth 2.1 for remote MCP clients, as stored: registered clients (RFC 7591), authorization
// codes bound to a PKCE S256 challenge, and grants (one consent each) with their access and
// rotating refresh tokens. Codes and tokens are 256 random bits handed out once; only their
// SHA-256 is stored.

#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "pons/store/error.hpp"
#include "pons/store/timestamp.hpp"

namespace pons::store {

class database;

/// Why an OAuth request was refused (category "pons.oauth"). The names follow RFC 6749 section
/// 5.2 and RFC 7591 section 3.2.2, which the token and registration endpoints answer with.
enum class oauth_errc {
  /// A redirect URI that is neither https nor http to a loopback host, or has a fragment.
  invalid_redirect_uri = 1,
  /// Client metadata without redirect URIs, or a name that is too long.
  invalid_client_metadata,
  /// No client has this client_id.
  invalid_client,
  /// A code or refresh token that is unknown, expired, already used, for another client or
  /// redirect URI, or whose PKCE verifier does not match.
  invalid_grant,
  /// An access token that is unknown, expired, or whose grant was revoked.
  invalid_token,
  /// Scopes are "read", or "read send".
  invalid_scope,
  /// No grant has this id.
  not_found,
  /// The system random number generator failed: nothing was made.
  random_failed,
};

/// The category of oauth_errc ("pons.oauth").
const boost::system::error_category& oauth_category() noexcept;

/// Makes an error_code from an oauth_errc (found by ADL).
boost::system::error_code make_error_code(oauth_errc e) noexcept;

/// How long what is handed out lives.
inline constexpr std::chrono::minutes code_lifetime{5};
inline constexpr std::chrono::hours access_token_lifetime{1};
inline constexpr std::chrono::days refresh_token_lifetime{30};

/// A registered client.
struct oauth_client {
  std::int64_t id = 0;
  std::string client_id;
  std::string name;
  std::vector<std::string> redirect_uris;
  std::string created_at;
};

/// True for a redirect URI a client may register: absolute https, or http to localhost or a
/// loopback address (RFC 8252 section 7.3), without a fragment.
bool acceptable_redirect_uri(std::string_view uri);

/// Registers a public client (no secret: PKCE proves the code's requester). `name` may be
/// empty (then "unnamed client"); at least one redirect URI, each acceptable.
result<oauth_client> register_client(database& db, std::string_view name,
                                     const std::vector<std::string>& redirect_uris, time_point now);

/// The client with this client_id (oauth_errc::invalid_client when there is none).
result<oauth_client> find_client(database& db, std::string_view client_id);

/// What a user consented to, for one client.
struct consent {
  std::int64_t client = 0;  // oauth_client::id
  std::int64_t user_id = 0;
  std::string scopes;   // "read" or "read send"
  std::string waba_id;  // "" = every account
  std::string resource;
  std::string redirect_uri;
  std::string code_challenge;  // base64url SHA-256 of the verifier, 43 characters
};

/// A new authorization code for `c`, valid for code_lifetime.
result<std::string> create_code(database& db, const consent& c, time_point now);

/// Tokens handed out by the token endpoint.
struct token_pair {
  std::string access_token;
  std::string refresh_token;
  std::chrono::seconds expires_in{0};
  std::string scopes;
};

/// Redeems `code` for tokens: the code must be live and unused, issued to `client_id` for
/// `redirect_uri`, and `verifier` must hash to its challenge. A code presented a second time
/// revokes the grant its first redemption made (RFC 6749 section 10.5).
result<token_pair> redeem_code(database& db, std::string_view code, std::string_view client_id,
                               std::string_view redirect_uri, std::string_view verifier,
                               time_point now);

/// Exchanges a refresh token of `client_id` for a new pair; the old refresh token is spent. A
/// spent one presented again revokes its grant (a stolen token's thief and its owner both lose
/// it, and the owner signs in again).
result<token_pair> refresh_tokens(database& db, std::string_view refresh_token,
                                  std::string_view client_id, time_point now);

/// Who a live access token acts for.
struct oauth_access {
  std::int64_t grant_id = 0;
  std::int64_t user_id = 0;
  std::string scopes;   // "read" or "read send"
  std::string waba_id;  // "" = every account
  std::string resource;
};

/// The grant of a live access token of a user who may still sign in (oauth_errc::invalid_token
/// otherwise). Notes the grant's use at most once a minute.
result<oauth_access> verify_access_token(database& db, std::string_view token, time_point now);

/// Whether grant `id` is in force: not revoked, its user not disabled or removed.
result<bool> grant_in_force(database& db, std::int64_t id);

/// Revokes the grant of a token of either kind (RFC 7009); an unknown token is no error.
result<void> revoke_by_token(database& db, std::string_view token, time_point now);

/// A grant as the keys page lists it.
struct oauth_grant_view {
  std::int64_t id = 0;
  std::string client_name;
  std::string redirect_host;
  std::string user_email;
  std::string scopes;
  std::string waba_id;
  std::string created_at;
  std::string last_used_at;
  std::string revoked_at;
};

/// Every grant (of one account's users when `waba_id` is set), newest first.
result<std::vector<oauth_grant_view>> list_grants(database& db, std::string_view waba_id = {});

/// Revokes grant `id` (oauth_errc::not_found when there is none); its tokens stop working.
result<oauth_grant_view> revoke_grant(database& db, std::int64_t id, time_point now);

}  // namespace pons::store

namespace boost::system {
template <>
struct is_error_code_enum<pons::store::oauth_errc> : std::true_type {};
}  // namespace boost::system
