#pragma once
// Whether an API key that opened /mcp sessions may still use them: the transport asks while the
// sessions are in use, so that `pons-webhook keys revoke` (another process, writing the same
// database) or an expiry date ends the key's open streams, not only its next request.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "pons/mcp_http/authenticator.hpp"
#include "pons/store/error.hpp"

namespace pons::mcp_keys {

/// The principal the key authenticator names for key `id` ("key:7"): logged, never secret.
std::string key_principal(std::int64_t id);

/// The key id of a principal key_principal made; nullopt for any other principal.
std::optional<std::int64_t> key_id_of(std::string_view principal);

/// The principal named for OAuth grant `id` ("oauth:3"): logged, never secret.
std::string grant_principal(std::int64_t id);

/// The grant id of a principal grant_principal made; nullopt for any other principal.
std::optional<std::int64_t> grant_id_of(std::string_view principal);

/// The transport's principal check, with its own connection to the database at `db_path`: false
/// when the principal's key is revoked, expired or gone, or its OAuth grant revoked. One read by
/// primary key per call. A principal that is not a key, or a store that cannot be read just now,
/// counts as valid: the next round asks again, and every request meets the authenticator anyway.
store::result<mcp_http::principal_check> key_validity(const std::string& db_path,
                                                      int busy_timeout_ms = 250);

}  // namespace pons::mcp_keys
