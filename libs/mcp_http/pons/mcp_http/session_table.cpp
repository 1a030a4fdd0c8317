#include "pons/mcp_http/session_table.hpp"

namespace pons::mcp_http {

session_table::entries::iterator session_table::oldest_idle(const std::string_view* principal) {
  // A busy session never gives its place: its client is using it right now.
  auto oldest = entries_.end();
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->second.busy != 0) continue;
    if (principal && it->second.principal != *principal) continue;
    if (oldest == entries_.end() || it->second.last_used < oldest->second.last_used) oldest = it;
  }
  return oldest;
}

session_table::admission session_table::add(std::string id, std::string_view principal,
                                            time_point now) {
  admission result;
  // A principal at its limit makes room among its own sessions, never among another's.
  auto victim = entries_.end();
  if (count_of(principal) >= limits_.max_per_principal) {
    victim = oldest_idle(&principal);
    if (victim == entries_.end()) {
      result.principal_full = true;
      return result;
    }
  } else if (entries_.size() >= limits_.max_sessions) {
    victim = oldest_idle(nullptr);
    if (victim == entries_.end()) return result;
  }
  if (victim != entries_.end()) {
    result.evict = victim->first;
    entries_.erase(victim);
  }
  entries_.insert_or_assign(std::move(id), entry{std::string(principal), now, 0});
  result.admitted = true;
  return result;
}

std::size_t session_table::count_of(std::string_view principal) const {
  std::size_t n = 0;
  for (const auto& [id, e] : entries_)
    if (e.principal == principal) ++n;
  return n;
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
