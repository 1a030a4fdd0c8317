#pragma once
// An API key as people see it, in `pons-webhook keys list --json` and the dashboard's keys API:
// its name, prefix, scopes, account, dates and state; never its secret or hash.

#include <boost/json/object.hpp>
#include <string_view>

#include "pons/store/api_key_repository.hpp"
#include "pons/store/timestamp.hpp"

namespace pons::auth {

/// "active", "expired" or "revoked" at `now`.
std::string_view key_state(const store::api_key& key, store::time_point now);

/// {id, name, prefix, scopes, account, createdAt, lastUsedAt, expiresAt, revokedAt, state}; the
/// dates and the account are null when unset.
boost::json::object key_json(const store::api_key& key, store::time_point now);

}  // namespace pons::auth
