#pragma once
// Passwords of dashboard users: Argon2id through libsodium, in libsodium's encoded form (the
// algorithm, its cost and the salt travel with the hash, so the cost can be raised later
// without breaking stored hashes). Passwords are never logged, stored or returned.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace pons::store {

/// Shortest password accepted, in bytes.
inline constexpr std::size_t min_password_size = 12;
/// Longest password accepted, in bytes (a bounded line on stdin, a bounded form field).
inline constexpr std::size_t max_password_size = 1024;

/// True when `password` may be set: min_password_size to max_password_size bytes, no control
/// characters (it must survive a terminal line and a form field unchanged).
bool acceptable_password(std::string_view password);

/// The Argon2id hash of `password` with a fresh salt (OPSLIMIT_INTERACTIVE and
/// MEMLIMIT_INTERACTIVE); nullopt when libsodium cannot start or the memory is not available.
std::optional<std::string> hash_password(std::string_view password);

/// True when `password` matches `stored` (an encoded Argon2id hash). Takes as long as hashing.
bool verify_password(std::string_view stored, std::string_view password);

/// Spends the time of a verification without a stored hash, so an unknown user is answered no
/// sooner than a wrong password.
void verify_password_of_nobody(std::string_view password);

/// A password of 24 base62 characters (142 bits) from libsodium's randombytes, for people who
/// would rather be given one.
std::string generate_password();

}  // namespace pons::store
