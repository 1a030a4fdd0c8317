#pragma once
// Whose data a call may see: every account (the local user on stdio), or the one WhatsApp
// Business Account an account-scoped API key names. The tools enforce it in their queries.

#include <optional>
#include <string>
#include <string_view>

namespace pons::mcp {

/// The accounts a call may see. Default: every account.
struct account_scope {
  /// The WABA id of the one account the caller may see; nullopt: every account.
  std::optional<std::string> waba_id;

  /// Every account (stdio, a key without --account).
  static account_scope every_account() { return {}; }
  /// Only the account with this WABA id.
  static account_scope only(std::string waba_id) { return {std::move(waba_id)}; }

  /// True when the caller sees every account.
  bool everything() const { return !waba_id.has_value(); }
  /// True when the caller may see the account with this WABA id.
  bool allows(std::string_view waba) const { return !waba_id || *waba_id == waba; }
};

}  // namespace pons::mcp
