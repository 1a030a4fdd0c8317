#pragma once
// Directory entries a power cut may still take back: every create, remove and rename whose
// directory has not been fsynced since. The file system keeps a removed or replaced entry in a
// graveyard until the removal is durable, so a cut can put it back. Pure bookkeeping: the
// caller moves the files.

#include <cstddef>
#include <string>
#include <vector>

namespace pons::power_cut {

/// One change to a directory entry that no fsync of its directory has made durable yet.
struct entry_change {
  enum class kind { created, removed, renamed };
  kind what = kind::created;
  std::string path;   // created, removed: the entry; renamed: its new name
  std::string from;   // renamed: its old name
  std::string grave;  // removed, or renamed over another entry: where the old entry is kept
  std::vector<std::string> unsynced;  // directories whose fsync it still waits for
};

/// The parent directory of an absolute path inside the file system ("/a/b" -> "/a", "/a" -> "/").
std::string parent_of(const std::string& path);

/// The unsynced directory changes, oldest first.
class directory_log {
 public:
  /// An entry was created at `path` (a file, directory or symlink).
  void created(const std::string& path);
  /// The entry at `path` was removed; what it named is kept at `grave`.
  void removed(const std::string& path, const std::string& grave);
  /// `from` was renamed to `to`; what `to` named before (if anything) is kept at `grave`.
  void renamed(const std::string& from, const std::string& to, const std::string& grave);

  /// An fsync of `dir`: the changes that waited only for it are durable now. Returns the graves
  /// they free (entries whose removal is now final).
  std::vector<std::string> synced(const std::string& dir);

  /// What a power cut does to the changes.
  struct cut_plan {
    std::vector<std::string> freed;  // graves of the changes that survive the cut
    std::vector<entry_change> undo;  // the changes that do not, newest first
  };
  /// A power cut that lands the oldest `keep` changes and takes back the rest. Empties the log.
  cut_plan cut(std::size_t keep);

  /// Changes not durable yet.
  std::size_t size() const { return changes_.size(); }

 private:
  std::vector<entry_change> changes_;
};

}  // namespace pons::power_cut
