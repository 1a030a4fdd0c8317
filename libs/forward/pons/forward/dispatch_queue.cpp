#include "pons/forward/dispatch_queue.hpp"

#include <algorithm>

namespace pons::forward {

dispatch_queue::dispatch_queue(int per_target) : per_target_(std::max(per_target, 1)) {}

std::size_t dispatch_queue::add(std::vector<delivery_job> jobs) {
  std::size_t added = 0;
  for (auto& job : jobs) {
    if (!held_.insert(job.delivery_id).second) continue;
    targets_[job.target_id].waiting.push_back(std::move(job));
    ++added;
  }
  return added;
}

std::optional<delivery_job> dispatch_queue::take() {
  if (targets_.empty()) return std::nullopt;
  // Two passes: from the cursor to the end, then from the start, so each target gets its turn.
  auto pick = [&](auto first, auto last) -> std::optional<delivery_job> {
    for (auto it = first; it != last; ++it) {
      auto& work = it->second;
      if (work.waiting.empty() || work.out >= per_target_) continue;
      delivery_job job = std::move(work.waiting.front());
      work.waiting.pop_front();
      ++work.out;
      cursor_ = it->first + 1;
      return job;
    }
    return std::nullopt;
  };
  const auto middle = targets_.lower_bound(cursor_);
  if (auto job = pick(middle, targets_.end())) return job;
  return pick(targets_.begin(), middle);
}

void dispatch_queue::sent(std::int64_t target_id) {
  auto it = targets_.find(target_id);
  if (it == targets_.end()) return;
  if (it->second.out > 0) --it->second.out;
  if (it->second.out == 0 && it->second.waiting.empty()) targets_.erase(it);
}

void dispatch_queue::recorded(std::int64_t delivery_id) {
  held_.erase(delivery_id);
}

std::vector<std::int64_t> dispatch_queue::drain_waiting() {
  std::vector<std::int64_t> ids;
  for (auto it = targets_.begin(); it != targets_.end();) {
    for (const auto& job : it->second.waiting) {
      ids.push_back(job.delivery_id);
      held_.erase(job.delivery_id);
    }
    it->second.waiting.clear();
    it = it->second.out == 0 ? targets_.erase(it) : std::next(it);
  }
  return ids;
}

std::size_t dispatch_queue::waiting() const {
  std::size_t n = 0;
  for (const auto& [id, work] : targets_) n += work.waiting.size();
  return n;
}

}  // namespace pons::forward
