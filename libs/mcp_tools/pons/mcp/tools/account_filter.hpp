#pragma once
// SQL conditions that keep a tool's query within the caller's account scope. Each returns ""
// when the caller sees every account (stdio), so those queries stay exactly as they were, and
// otherwise " AND ..." testing the row against the account whose WABA id is parameter ?`param`.

#include <string>
#include <string_view>
#include <vector>

#include "pons/mcp/account_scope.hpp"
#include "pons/mcp/tools/inbox_model.hpp"

namespace pons::mcp {

/// " AND <column> is one of the account's phone numbers" (a phone_number_id column of
/// conversations, messages, media or phone_numbers).
std::string scope_numbers(const account_scope& scope, std::string_view column, int param);

/// " AND <column> is the account" (an account_id column, e.g. of contacts).
std::string scope_account_id(const account_scope& scope, std::string_view column, int param);

/// " AND <column> is the account's WABA id" (templates.waba_id, accounts.waba_id).
std::string scope_waba(const account_scope& scope, std::string_view column, int param);

/// Binds the scope's WABA id to ?`param` when it names an account.
void bind_scope(store::statement& s, const account_scope& scope, int param);

/// Appends scope_numbers for `column` to `where`, its parameter to `params`.
void restrict_numbers(const account_scope& scope, std::string_view column, std::string& where,
                      std::vector<sql_param>& params);

/// Appends scope_account_id for `column` to `where`, its parameter to `params`.
void restrict_account_id(const account_scope& scope, std::string_view column, std::string& where,
                         std::vector<sql_param>& params);

}  // namespace pons::mcp
