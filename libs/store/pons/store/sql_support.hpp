#pragma once
// Private helpers for the store's .cpp files (not part of the public interface).

#include <optional>
#include <utility>

#include "pons/store/database.hpp"

// Evaluates a result-returning expression; on failure returns its error from the enclosing
// function, otherwise binds the value to `var`.
#define PONS_STORE_TRY(var, expr)                   \
  auto var##_result_ = (expr);                      \
  if (!var##_result_) return var##_result_.error(); \
  auto& var = *var##_result_

// Evaluates a result-returning expression only for its success.
#define PONS_STORE_CHECK(expr)                         \
  do {                                                 \
    if (auto check_result_ = (expr); !check_result_) { \
      return check_result_.error();                    \
    }                                                  \
  } while (false)

namespace pons::store::detail {

/// Returns a failed result<bool> (result<bool> cannot be built implicitly from an error_code).
inline result<bool> bool_error(const boost::system::error_code& ec) {
  return result<bool>(boost::system::in_place_error, ec);
}

/// A write transaction that is only opened when the caller has none: repository functions that
/// write several rows use it so they are atomic alone and compose inside a caller's transaction.
class write_scope {
 public:
  static result<write_scope> begin(database& db) {
    write_scope scope;
    if (!db.in_transaction()) {
      auto tx = transaction::begin(db, transaction_mode::immediate);
      if (!tx) return tx.error();
      scope.tx_.emplace(std::move(*tx));
    }
    return scope;
  }
  result<void> commit() {
    if (tx_) return tx_->commit();
    return {};
  }

 private:
  std::optional<transaction> tx_;
};

}  // namespace pons::store::detail
