#pragma once
// People who sign in to the dashboard: an email (unique whatever its case), a role, optionally
// the one account they see, and an Argon2id password hash that never leaves this layer except
// through user_credentials, for the one check that needs it.

#include <boost/system/error_code.hpp>
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

/// Why a user could not be made, found or changed (category "pons.user").
enum class user_errc {
  /// Not an email address Pons accepts (one '@', no spaces or control characters, at most 254).
  invalid_email = 1,
  /// The role is not owner, admin or member.
  invalid_role,
  /// The password is shorter than 12 or longer than 1024 bytes, or holds control characters.
  unacceptable_password,
  /// A user with this email (in any case) exists already.
  exists,
  /// No user has this email.
  not_found,
  /// No account with this WABA id is recorded in the database.
  unknown_account,
  /// The password could not be hashed (libsodium failed or memory ran out): nothing changed.
  hash_failed,
};

/// The category of user_errc ("pons.user").
const boost::system::error_category& user_category() noexcept;

/// Makes an error_code from a user_errc (found by ADL).
boost::system::error_code make_error_code(user_errc e) noexcept;

/// What a user may do. Each role has what the ones after it have.
enum class user_role {
  /// Also manages users.
  owner,
  /// Also syncs templates and manages forwarding targets and API keys.
  admin,
  /// Reads and sends.
  member,
};

/// "owner", "admin" or "member".
std::string_view to_string(user_role r) noexcept;

/// The role named `text` (exactly, lowercase); nullopt otherwise.
std::optional<user_role> parse_user_role(std::string_view text) noexcept;

/// One user as stored, never with the password hash.
struct user {
  std::int64_t id = 0;
  std::string email;  // as typed
  user_role role = user_role::member;
  std::string waba_id;  // the one account they see; "" = every account
  std::string created_at;
  std::string last_login_at;  // "" = never
  std::string disabled_at;    // "" = may sign in
};

/// A user and the stored hash, for the login check only.
struct user_credentials {
  user who;
  std::string password_hash;
};

/// What `create_user` makes.
struct user_spec {
  std::string email;
  user_role role = user_role::member;
  std::string waba_id;  // "" = every account; else an account recorded here
};

/// The key an email is unique by: ASCII letters lowercased.
std::string email_key(std::string_view email);

/// True when `email` looks like an address (see user_errc::invalid_email).
bool acceptable_email(std::string_view email);

/// Makes a user with the Argon2id hash of `password`.
result<user> create_user(database& db, const user_spec& spec, std::string_view password,
                         time_point now);

/// create_user with the password already hashed (hash_password), so that a caller can hash
/// (tens of milliseconds) without holding what guards the database.
result<user> create_user_with_hash(database& db, const user_spec& spec,
                                   std::string_view password_hash, time_point now);

/// Every user, by id.
result<std::vector<user>> list_users(database& db);

/// One user by email, in any case (user_errc::not_found when there is none).
result<user> find_user(database& db, std::string_view email);

/// A user and the password hash, by email in any case, for a login check.
result<user_credentials> find_credentials(database& db, std::string_view email);

/// Removes a user and every session of theirs; returns them as they were.
result<user> remove_user(database& db, std::string_view email);

/// Replaces a user's password and ends every session of theirs.
result<user> set_user_password(database& db, std::string_view email, std::string_view password);

/// Records a successful login at `now`.
result<void> note_user_login(database& db, std::int64_t user_id, time_point now);

/// Disables (true) or enables (false) a user; a disabled user's sessions end.
result<user> set_user_disabled(database& db, std::string_view email, bool disabled, time_point now);

/// Gives a user another role; it applies from their next request.
result<user> set_user_role(database& db, std::string_view email, user_role role);

}  // namespace pons::store

namespace boost::system {
template <>
struct is_error_code_enum<pons::store::user_errc> : std::true_type {};
}  // namespace boost::system
