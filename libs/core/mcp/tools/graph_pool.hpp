#pragma once
// Graph API clients shared by the threads that run send tools. A graph_client is not thread
// safe, but building one per call is slow: its TLS context loads the system CA store (about
// 100 ms) and its connection to Meta is lost with it. Calls borrow a client instead, so the
// TLS context and the keep-alive connection serve every later call. The configuration (token
// included) is fixed for the life of the process, so every pooled client is interchangeable.

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "core/mcp/tools/pool_lease.hpp"
#include "core/meta/graph_client.hpp"

namespace pons::mcp {

/// Idle Graph API clients, made on demand; at most `max_idle` are kept between calls.
class graph_pool {
 public:
  /// A borrowed client; returned to the pool when destroyed.
  using lease = pool_lease<meta::graph_client, graph_pool>;

  /// Clients will use `config` (never changed afterwards).
  explicit graph_pool(meta::graph_config config, std::size_t max_idle = 8)
      : config_(std::move(config)), max_idle_(max_idle) {}

  /// Borrows an idle client, or makes one when all are in use.
  lease acquire();

  /// How many clients were made so far (to observe reuse).
  std::size_t clients_made() const;

 private:
  friend lease;
  void give_back(std::unique_ptr<meta::graph_client> client);

  const meta::graph_config config_;
  const std::size_t max_idle_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<meta::graph_client>> idle_;
  std::size_t made_ = 0;
};

}  // namespace pons::mcp
