#pragma once
// API keys of the MCP endpoint: created with a secret shown once, listed, revoked, verified.
// Only a SHA-256 of each key is stored; a presented key is found by its non-secret lookup part
// and its hash compared in constant time.

#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "pons/store/error.hpp"
#include "pons/store/timestamp.hpp"

namespace pons::store {

class database;

/// Why an API key could not be created, found or used (category "pons.api_key").
enum class api_key_errc {
  /// The presented text is not a Pons API key ("pons_", 12 + 1 + 43 characters).
  malformed = 1,
  /// No key matches: unknown lookup part, or the secret does not match it.
  unknown,
  /// The key was revoked.
  revoked,
  /// The key's expiry date has passed.
  expired,
  /// No API key has this id.
  not_found,
  /// A key's name must be 1 to 100 printable characters.
  invalid_name,
  /// Scopes are "read", or "read" and "send".
  invalid_scopes,
  /// No account with this WABA id is recorded in the database.
  unknown_account,
  /// The expiry date is not after the creation time.
  invalid_expiry,
  /// The system random number generator failed: no key was made.
  random_failed,
};

/// The category of api_key_errc ("pons.api_key").
const boost::system::error_category& api_key_category() noexcept;

/// Makes an error_code from an api_key_errc (found by ADL).
boost::system::error_code make_error_code(api_key_errc e) noexcept;

/// The scope every key has: the read tools and resources.
inline constexpr std::string_view read_scope = "read";
/// The scope that adds the send tools and mark_read.
inline constexpr std::string_view send_scope = "send";

/// How often at most a key's last-used time is written: a verification does not cost a write
/// per request, and `keys list` is still right to the minute.
inline constexpr std::chrono::seconds last_used_resolution{60};

/// One API key as stored, never with its secret.
struct api_key {
  std::int64_t id = 0;
  std::string name;
  std::string prefix;               // "pons_" + lookup part: names the key, is not secret
  std::vector<std::string> scopes;  // {"read"} or {"read", "send"}
  std::string waba_id;              // the one account it sees; "" = every account
  std::string created_at;
  std::string last_used_at;  // "" = never used; written at most once a last_used_resolution
  std::string expires_at;    // "" = never expires
  std::string revoked_at;    // "" = in force

  /// True when the key carries `scope`.
  bool has_scope(std::string_view scope) const;
};

/// What `create_api_key` makes.
struct api_key_spec {
  std::string name;
  std::vector<std::string> scopes;  // must hold "read"; may hold "send"; in any order
  std::string waba_id;              // "" = every account; else an account recorded here
  std::optional<time_point> expires_at;
};

/// A new key and its secret: the only time the secret exists outside the caller's hands.
struct created_api_key {
  api_key key;
  std::string secret;  // the whole key, "pons_..."; print it once, never log it
};

/// Makes a key: 256 random bits (OpenSSL's RAND_bytes), stored only as their SHA-256.
result<created_api_key> create_api_key(database& db, const api_key_spec& spec, time_point now);

/// Every key, revoked and expired ones included, by id.
result<std::vector<api_key>> list_api_keys(database& db);

/// One key by id (api_key_errc::not_found when there is none).
result<api_key> get_api_key(database& db, std::int64_t id);

/// Revokes a key: it never verifies again. Revoking a revoked key changes nothing. Returns the
/// key as it is now.
result<api_key> revoke_api_key(database& db, std::int64_t id, time_point now);

/// Checks a presented key: its form, then the stored hash (constant time), then revocation and
/// expiry. Reads only (see note_api_key_use). Fails with api_key_errc malformed, unknown, revoked
/// or expired, or with a store error.
result<api_key> verify_api_key(database& db, std::string_view presented, time_point now);

/// Records that a verified key was used at `now`, unless the stored time is less than
/// last_used_resolution old: one write a minute per key at most, however many requests.
/// Returns true when it wrote.
result<bool> note_api_key_use(database& db, const api_key& key, time_point now);

}  // namespace pons::store

namespace boost::system {
template <>
struct is_error_code_enum<pons::store::api_key_errc> : std::true_type {};
}  // namespace boost::system
