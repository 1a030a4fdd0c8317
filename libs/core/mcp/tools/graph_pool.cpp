#include "core/mcp/tools/graph_pool.hpp"

namespace pons::mcp {

graph_pool::lease graph_pool::acquire() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto client = std::move(idle_.back());
      idle_.pop_back();
      return lease(this, std::move(client));
    }
    ++made_;
  }
  // Built outside the lock: loading the CA store must not hold up other threads' calls.
  return lease(this, std::make_unique<meta::graph_client>(config_));
}

std::size_t graph_pool::clients_made() const {
  std::lock_guard lock(mutex_);
  return made_;
}

void graph_pool::give_back(std::unique_ptr<meta::graph_client> client) {
  std::lock_guard lock(mutex_);
  if (idle_.size() < max_idle_) idle_.push_back(std::move(client));
}

}  // namespace pons::mcp
