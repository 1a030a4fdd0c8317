#pragma once
// Webhook signatures: Meta signs every POST with HMAC-SHA256 of the raw body bytes, keyed with the
// app secret, and sends `X-Hub-Signature-256: sha256=<64 hex digits>`. Pure functions, no I/O.

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

}  // namespace pons::meta
