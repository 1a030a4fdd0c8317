#pragma once
// What an API key may do with one MCP message: every method needs the read scope, a tool call
// the scope its tool declares (tool_def::required_scope, set beside each tool). Whose data the
// key sees is its account scope, which the transport gives the session's engine.

#include <boost/json/value.hpp>
#include <string>
#include <vector>

#include "pons/mcp/account_scope.hpp"
#include "pons/mcp/registry.hpp"
#include "pons/mcp/scope.hpp"
#include "pons/store/api_key_repository.hpp"

namespace pons::auth {

/// What a verified key grants.
struct grant {
  std::vector<mcp::scope> scopes;  // read, and send when the key has it
  mcp::account_scope account;      // every account, or the key's one account

  /// True when the key carries `s`.
  bool has(mcp::scope s) const;
};

/// The grant of a key as store::verify_api_key returns it (a scope name this build does not know
/// grants nothing).
grant grant_of(const store::api_key& key);

/// The verdict on one message (or batch) for one grant.
struct access_decision {
  bool allowed = true;
  /// When refused: every scope the refused request needs (the `scope` of the 403 challenge);
  /// empty when no key may do it (a tool that declares no scope).
  std::vector<mcp::scope> needed;
  /// When refused: what was refused and why, for the challenge's error_description and the
  /// JSON-RPC error (no secret in it).
  std::string reason;
};

/// The scopes one JSON-RPC message needs: read for every method; for tools/call also the
/// called tool's required scope. An unknown tool needs read (the engine answers that it does not
/// exist); a tool without a required scope cannot be called with any key.
access_decision decide(const grant& g, const boost::json::value& message, const mcp::registry& reg);

}  // namespace pons::auth
