#pragma once
// Webhook signatures: Meta signs every POST with HMAC-SHA256 of the raw body bytes, keyed with the
// app secret, and sends `X-Hub-Signature-256: sha256=<64 hex digits>`. Pure functions, no I/O.

#include <memory>
#include <string>
#include <string_view>

namespace pons::meta {

/// Lowercase hex HMAC-SHA256 of `data` keyed with `key` (64 characters).
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

/// The header value Meta would send for `body`: "sha256=" + hmac_sha256_hex(secret, body).
std::string sign_body(std::string_view body, std::string_view secret);

/// True only when `header_value` is "sha256=<64 hex digits>" and the digits are the HMAC-SHA256 of
/// the exact `raw_body` bytes keyed with `app_secret`. Compares in constant time. False on a
/// missing/empty header, another prefix, a wrong length, non-hex digits, a tampered body or an
/// empty secret (a misconfigured account must fail closed). Hex digits are case-insensitive: the
/// digest is compared as bytes, so the case of its encoding carries no security meaning.
bool verify_signature(std::string_view raw_body, std::string_view header_value,
                      std::string_view app_secret);

/// verify_signature() for one app secret, with the HMAC key schedule computed once instead of on
/// every call (the hot path of pons-webhook). Not thread-safe: one per thread.
class signature_verifier {
 public:
  /// A verifier for `app_secret`; an empty secret verifies nothing.
  explicit signature_verifier(std::string_view app_secret);
  ~signature_verifier();
  signature_verifier(signature_verifier&&) noexcept;
  signature_verifier& operator=(signature_verifier&&) noexcept;
  signature_verifier(const signature_verifier&) = delete;
  signature_verifier& operator=(const signature_verifier&) = delete;

  /// Same answer as verify_signature(raw_body, header_value, app_secret).
  bool verify(std::string_view raw_body, std::string_view header_value);

  /// True when `header_value` has the form of a signature ("sha256=" and 64 hex digits), whatever
  /// the body: one that does not is refused without hashing anything.
  static bool well_formed(std::string_view header_value) noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace pons::meta
