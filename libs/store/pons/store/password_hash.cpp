#include "pons/store/password_hash.hpp"

#include <sodium.h>

#include <array>
#include <cstring>

namespace pons::store {

namespace {

// INTERACTIVE (2 passes over 64 MiB) rather than MODERATE (3 over 256 MiB): the server hashes
// on its own machine, often a small one, at every login attempt; 64 MiB is well above the
// usual minimum for Argon2id, and MODERATE's 256 MiB per attempt would let a few concurrent
// attempts exhaust memory. Guessing is slowed by the login throttle as well.
constexpr unsigned long long ops_limit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
constexpr std::size_t mem_limit = crypto_pwhash_MEMLIMIT_INTERACTIVE;

bool sodium_ready() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

}  // namespace

bool acceptable_password(std::string_view password) {
  if (password.size() < min_password_size || password.size() > max_password_size) return false;
  for (unsigned char c : password) {
    if (c < 0x20 || c == 0x7F) return false;
  }
  return true;
}

std::optional<std::string> hash_password(std::string_view password) {
  if (!sodium_ready()) return std::nullopt;
  std::array<char, crypto_pwhash_STRBYTES> out{};
  if (crypto_pwhash_str(out.data(), password.data(), password.size(), ops_limit, mem_limit) != 0) {
    return std::nullopt;
  }
  return std::string(out.data());
}

bool verify_password(std::string_view stored, std::string_view password) {
  if (!sodium_ready() || stored.size() >= crypto_pwhash_STRBYTES) return false;
  // libsodium wants a NUL-terminated hash.
  std::array<char, crypto_pwhash_STRBYTES> encoded{};
  std::memcpy(encoded.data(), stored.data(), stored.size());
  return crypto_pwhash_str_verify(encoded.data(), password.data(), password.size()) == 0;
}

void verify_password_of_nobody(std::string_view password) {
  // A hash of a random password, made once with the same cost as real ones.
  static const std::string nobody = hash_password(generate_password()).value_or(std::string());
  (void)verify_password(nobody, password);
}

std::string generate_password() {
  constexpr std::string_view base62 =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  (void)sodium_ready();
  std::string out;
  // randombytes_uniform is unbiased; 24 * log2(62) = 142.9 bits.
  for (int i = 0; i < 24; ++i) out += base62[randombytes_uniform(62)];
  return out;
}

}  // namespace pons::store
