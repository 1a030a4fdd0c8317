#pragma once
// What the store keeps instead of a secret it hands out (an API key, a session id, an OAuth code
// or token): its SHA-256. A fast hash is the right one for them: each is 256 random bits, so no
// guessing, online or from a stolen database, can find it; the slow password hashes only protect
// secrets people choose.

#include <optional>
#include <string>
#include <string_view>

namespace pons::store {

/// The lowercase hex SHA-256 of `text` (64 characters).
std::string sha256_hex(std::string_view text);

/// The unpadded base64url SHA-256 of `text` (43 characters): PKCE's S256 (RFC 7636).
std::string sha256_base64url(std::string_view text);

/// `bytes` random bytes from OpenSSL as unpadded base64url; nullopt when the generator fails.
std::optional<std::string> random_base64url(std::size_t bytes);

}  // namespace pons::store
