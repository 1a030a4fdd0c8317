#include "pons/mcp_http/session_table.hpp"

namespace pons::mcp_http {

session_table::admission session_table::add(std::string id, time_point now) {
  admission result;
  if (entries_.size() >= limits_.max_sessions) {
    // The idle session unused longest gives its place; a busy one never does.
    auto oldest = entries_.end();
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->second.busy != 0) continue;
      if (oldest == entries_.end() || it->second.last_used < oldest->second.last_used) oldest = it;
    }
    if (oldest == entries_.end()) return result;
    result.evict = oldest->first;
    entries_.erase(oldest);
  }
  entries_.insert_or_assign(std::move(id), entry{now, 0});
  result.admitted = true;
  return result;
}

bool session_table::contains(std::string_view id) const {
  return entries_.find(id) != entries_.end();
}

bool session_table::acquire(std::string_view id, time_point now) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return false;
  it->second.last_used = now;
  ++it->second.busy;
  return true;
}

void session_table::release(std::string_view id, time_point now) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  it->second.last_used = now;
  if (it->second.busy > 0) --it->second.busy;
}

bool session_table::remove(std::string_view id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return false;
  entries_.erase(it);
  return true;
}

std::vector<std::string> session_table::expire(time_point now) {
  std::vector<std::string> gone;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.busy == 0 && now - it->second.last_used >= limits_.idle_timeout) {
      gone.push_back(it->first);
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
  return gone;
}

}  // namespace pons::mcp_http
