#include "pons/mcp/tools/account_filter.hpp"

#include <fmt/core.h>

namespace pons::mcp {

std::string scope_numbers(const account_scope& scope, std::string_view column, int param) {
  if (scope.everything()) return {};
  return fmt::format(
      " AND {} IN (SELECT sp.phone_number_id FROM phone_numbers sp JOIN accounts sa ON sa.id = "
      "sp.account_id WHERE sa.waba_id = ?{})",
      column, param);
}

std::string scope_account_id(const account_scope& scope, std::string_view column, int param) {
  if (scope.everything()) return {};
  return fmt::format(" AND {} IN (SELECT sa.id FROM accounts sa WHERE sa.waba_id = ?{})", column,
                     param);
}

std::string scope_waba(const account_scope& scope, std::string_view column, int param) {
  if (scope.everything()) return {};
  return fmt::format(" AND {} = ?{}", column, param);
}

void bind_scope(store::statement& s, const account_scope& scope, int param) {
  if (scope.waba_id) s.bind(param, *scope.waba_id);
}

void restrict_numbers(const account_scope& scope, std::string_view column, std::string& where,
                      std::vector<sql_param>& params) {
  if (scope.everything()) return;
  params.emplace_back(*scope.waba_id);
  where += scope_numbers(scope, column, static_cast<int>(params.size()));
}

void restrict_account_id(const account_scope& scope, std::string_view column, std::string& where,
                         std::vector<sql_param>& params) {
  if (scope.everything()) return;
  params.emplace_back(*scope.waba_id);
  where += scope_account_id(scope, column, static_cast<int>(params.size()));
}

}  // namespace pons::mcp
