#include "pons/meta/signature.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>

#include <array>
#include <climits>
#include <cstddef>

namespace pons::meta {
namespace {

constexpr std::string_view prefix = "sha256=";
constexpr std::size_t digest_size = 32;
using digest = std::array<unsigned char, digest_size>;

// OpenSSL wants non-null pointers even for empty inputs; an empty string_view may hold nullptr.
const unsigned char* bytes(std::string_view s) {
  static constexpr unsigned char empty[1] = {0};
  return s.empty() ? empty : reinterpret_cast<const unsigned char*>(s.data());
}

// HMAC() only fails on allocation failure or a key longer than INT_MAX; callers treat a failure
// as "no valid digest", so verification fails closed.
bool hmac_sha256(std::string_view key, std::string_view data, digest& out) {
  unsigned int len = 0;
  return key.size() <= INT_MAX &&
         HMAC(EVP_sha256(), bytes(key), static_cast<int>(key.size()), bytes(data), data.size(),
              out.data(), &len) != nullptr &&
         len == digest_size;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes exactly 64 hex digits; the branches here depend only on the (public) header, never on
// the secret, so they leak nothing an attacker does not already know.
bool decode_hex(std::string_view hex, digest& out) {
  if (hex.size() != 2 * digest_size) return false;
  for (std::size_t i = 0; i < digest_size; ++i) {
    const int hi = hex_value(hex[2 * i]);
    const int lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  return true;
}

}  // namespace

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  static constexpr char digits[] = "0123456789abcdef";
  digest d{};
  const bool ok = hmac_sha256(key, data, d);
  std::string hex;
  hex.reserve(2 * digest_size);
  for (unsigned char b : d) {
    hex.push_back(digits[b >> 4]);
    hex.push_back(digits[b & 0x0f]);
  }
  return ok ? hex : std::string{};
}

std::string sign_body(std::string_view body, std::string_view secret) {
  return std::string(prefix) + hmac_sha256_hex(secret, body);
}

bool verify_signature(std::string_view raw_body, std::string_view header_value,
                      std::string_view app_secret) {
  if (app_secret.empty()) return false;
  if (header_value.substr(0, prefix.size()) != prefix) return false;
  digest claimed{};
  if (!decode_hex(header_value.substr(prefix.size()), claimed)) return false;
  digest expected{};
  return hmac_sha256(app_secret, raw_body, expected) &&
         CRYPTO_memcmp(claimed.data(), expected.data(), digest_size) == 0;
}

struct signature_verifier::impl {
  EVP_MAC* mac = nullptr;
  EVP_MAC_CTX* ctx = nullptr;  // keyed once; re-initialised without the key for each body
  ~impl() {
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
  }
};

signature_verifier::signature_verifier(std::string_view app_secret)
    : impl_(std::make_unique<impl>()) {
  if (app_secret.empty()) return;  // fails closed, like verify_signature
  impl_->mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (impl_->mac) impl_->ctx = EVP_MAC_CTX_new(impl_->mac);
  char digest_name[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
                         OSSL_PARAM_construct_end()};
  if (impl_->ctx && EVP_MAC_init(impl_->ctx, bytes(app_secret), app_secret.size(), params) != 1) {
    EVP_MAC_CTX_free(impl_->ctx);
    impl_->ctx = nullptr;
  }
}

signature_verifier::~signature_verifier() = default;
signature_verifier::signature_verifier(signature_verifier&&) noexcept = default;
signature_verifier& signature_verifier::operator=(signature_verifier&&) noexcept = default;

bool signature_verifier::well_formed(std::string_view header_value) noexcept {
  digest claimed{};
  return header_value.substr(0, prefix.size()) == prefix &&
         decode_hex(header_value.substr(prefix.size()), claimed);
}

bool signature_verifier::verify(std::string_view raw_body, std::string_view header_value) {
  if (!impl_ || !impl_->ctx) return false;
  if (header_value.substr(0, prefix.size()) != prefix) return false;
  digest claimed{};
  if (!decode_hex(header_value.substr(prefix.size()), claimed)) return false;
  digest expected{};
  std::size_t len = 0;
  // A null key keeps the one set in the constructor (no key schedule per call).
  const bool ok = EVP_MAC_init(impl_->ctx, nullptr, 0, nullptr) == 1 &&
                  EVP_MAC_update(impl_->ctx, bytes(raw_body), raw_body.size()) == 1 &&
                  EVP_MAC_final(impl_->ctx, expected.data(), &len, expected.size()) == 1 &&
                  len == digest_size;
  return ok && CRYPTO_memcmp(claimed.data(), expected.data(), digest_size) == 0;
}

}  // namespace pons::meta
