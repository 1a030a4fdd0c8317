#include "directory_log.hpp"

#include <algorithm>

namespace pons::power_cut {

std::string parent_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return "/";
  return path.substr(0, slash);
}

void directory_log::created(const std::string& path) {
  changes_.push_back({entry_change::kind::created, path, {}, {}, {parent_of(path)}});
}

void directory_log::removed(const std::string& path, const std::string& grave) {
  changes_.push_back({entry_change::kind::removed, path, {}, grave, {parent_of(path)}});
}

void directory_log::renamed(const std::string& from, const std::string& to,
                            const std::string& grave) {
  std::vector<std::string> dirs{parent_of(from)};
  if (parent_of(to) != dirs.front()) dirs.push_back(parent_of(to));
  changes_.push_back({entry_change::kind::renamed, to, from, grave, std::move(dirs)});
}

std::vector<std::string> directory_log::synced(const std::string& dir) {
  std::vector<std::string> freed;
  std::vector<entry_change> still;
  for (auto& c : changes_) {
    std::erase(c.unsynced, dir);
    if (!c.unsynced.empty()) {
      still.push_back(std::move(c));
    } else if (!c.grave.empty()) {
      freed.push_back(std::move(c.grave));
    }
  }
  changes_ = std::move(still);
  return freed;
}

directory_log::cut_plan directory_log::cut(std::size_t keep) {
  cut_plan plan;
  keep = std::min(keep, changes_.size());
  for (std::size_t i = 0; i < keep; ++i)
    if (!changes_[i].grave.empty()) plan.freed.push_back(changes_[i].grave);
  for (std::size_t i = changes_.size(); i > keep; --i) plan.undo.push_back(changes_[i - 1]);
  changes_.clear();
  return plan;
}

}  // namespace pons::power_cut
