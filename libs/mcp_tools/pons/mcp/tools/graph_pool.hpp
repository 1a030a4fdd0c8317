#pragma once
// Graph API clients shared by the threads that run send tools. A graph_client is not thread
// safe, but building one per call is slow: its TLS context loads the system CA store (about
// 100 ms) and its connection to Meta is lost with it. Calls borrow a client instead, so the
// TLS context and the keep-alive connection serve every later call. Each account may have its
// own access token (PONS_CONFIG): clients are kept per token, and a call borrows one with the
// token of the account that owns the number it sends from.

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "pons/mcp/tools/pool_lease.hpp"
#include "pons/meta/account_config.hpp"
#include "pons/meta/graph_client.hpp"

namespace pons::mcp {

/// Idle Graph API clients per access token, made on demand; at most `max_idle` are kept per
/// token between calls.
class graph_pool {
 public:
  /// A borrowed client; returned to the pool when destroyed.
  using lease = pool_lease<meta::graph_client, graph_pool>;

  /// Clients will use `config` (never changed afterwards); its access_token is the default,
  /// for numbers and accounts `accounts` gives no token of their own.
  explicit graph_pool(meta::graph_config config, meta::account_config accounts = {},
                      std::size_t max_idle = 8)
      : config_(std::move(config)), accounts_(std::move(accounts)), max_idle_(max_idle) {}

  /// Borrows a client with the default token.
  lease acquire();
  /// Borrows a client with the token of the account that owns `phone_number_id`.
  lease for_number(std::string_view phone_number_id);
  /// Borrows a client with the token of the account `waba_id`.
  lease for_account(std::string_view waba_id);

  /// The token for_number would use ("" when none is configured).
  const std::string& token_for_number(std::string_view phone_number_id) const;
  /// The token for_account would use ("" when none is configured).
  const std::string& token_for_account(std::string_view waba_id) const;
  /// The configured accounts.
  const meta::account_config& accounts() const { return accounts_; }

  /// How many clients were made so far (to observe reuse).
  std::size_t clients_made() const;

 private:
  friend lease;
  lease acquire_with(const std::string& token);
  void give_back(std::unique_ptr<meta::graph_client> client);

  const meta::graph_config config_;
  const meta::account_config accounts_;
  const std::size_t max_idle_;
  mutable std::mutex mutex_;
  std::map<std::string, std::vector<std::unique_ptr<meta::graph_client>>> idle_;  // by token
  std::size_t made_ = 0;
};

}  // namespace pons::mcp
