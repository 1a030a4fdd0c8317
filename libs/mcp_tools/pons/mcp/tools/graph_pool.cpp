#include "pons/mcp/tools/graph_pool.hpp"

namespace pons::mcp {

graph_pool::lease graph_pool::acquire() {
  return acquire_with(config_.access_token);
}

graph_pool::lease graph_pool::for_number(std::string_view phone_number_id) {
  return acquire_with(token_for_number(phone_number_id));
}

graph_pool::lease graph_pool::for_account(std::string_view waba_id) {
  return acquire_with(token_for_account(waba_id));
}

const std::string& graph_pool::token_for_number(std::string_view phone_number_id) const {
  const auto* a = accounts_.find_by_phone_number_id(phone_number_id);
  return a && !a->access_token.empty() ? a->access_token : config_.access_token;
}

const std::string& graph_pool::token_for_account(std::string_view waba_id) const {
  const auto* a = accounts_.find_by_waba_id(waba_id);
  return a && !a->access_token.empty() ? a->access_token : config_.access_token;
}

graph_pool::lease graph_pool::acquire_with(const std::string& token) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = idle_.find(token); it != idle_.end() && !it->second.empty()) {
      auto client = std::move(it->second.back());
      it->second.pop_back();
      return lease(this, std::move(client));
    }
    ++made_;
  }
  // Built outside the lock: loading the CA store must not hold up other threads' calls.
  auto config = config_;
  config.access_token = token;
  return lease(this, std::make_unique<meta::graph_client>(std::move(config)));
}

std::size_t graph_pool::clients_made() const {
  std::lock_guard lock(mutex_);
  return made_;
}

void graph_pool::give_back(std::unique_ptr<meta::graph_client> client) {
  std::lock_guard lock(mutex_);
  auto& idle = idle_[client->config().access_token];
  if (idle.size() < max_idle_) idle.push_back(std::move(client));
}

}  // namespace pons::mcp
