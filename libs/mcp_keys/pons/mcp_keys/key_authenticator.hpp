#pragma once
// /mcp's authenticator backed by API keys: reads `Authorization: Bearer <key>`, verifies it
// against the key store (hash compared in constant time), notes its use, takes a call from the
// key's rate, and hands the transport the key's account and scopes, with a check that refuses a
// tool the key lacks the scope for (403). Refusals carry the RFC 9728 / RFC 6750 challenges. The
// key never reaches a log line, an error message or the database.

#include <string>

#include "pons/auth/token_bucket.hpp"
#include "pons/mcp/registry.hpp"
#include "pons/mcp_http/authenticator.hpp"
#include "pons/store/error.hpp"

namespace pons::mcp_keys {

/// Settings of the key authenticator.
struct key_auth_options {
  /// The URL clients dial for the endpoint (https://example.com/mcp); empty: http://<Host><path>.
  std::string public_url;
  /// The endpoint's path on this listener.
  std::string path = "/mcp";
  /// Calls per key: a burst, then a rate.
  auth::rate_limit rate;
  /// How long a check waits for a lock on the database. It runs on the listener's thread, so it
  /// must never wait long; a read in WAL mode waits for nobody, only noting a use can.
  int busy_timeout_ms = 250;
  /// OAuth sign-in is offered too: the 401 without a token names no scope, so that a client asks
  /// for every scope and the person chooses on the consent page.
  bool oauth = false;
};

/// The authenticator, with its own connection to the database at `db_path` (used under a mutex).
/// `tools` says which scope each tool needs and must outlive the authenticator.
store::result<mcp_http::authenticator> key_authenticator(const std::string& db_path,
                                                         const mcp::registry& tools,
                                                         key_auth_options options = {});

}  // namespace pons::mcp_keys
