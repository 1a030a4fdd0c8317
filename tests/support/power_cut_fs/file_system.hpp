#pragma once
// The power-cut file system's state and operations, in terms of paths inside the mount and
// backing-folder I/O (the FUSE glue in fuse_glue.cpp only translates). Data and directory
// entries reach the backing folder only when a sync makes them durable:
//   - a write or truncation is kept in memory (pending_file) until an fsync/fdatasync of that
//     file writes it to the backing file;
//   - a create, remove or rename happens in the backing folder at once, but is logged
//     (directory_log) and undone by a cut unless an fsync of its directory came after it.
// A cut drops everything unsynced (or lands a random prefix of it), then the file system answers
// every operation with EIO until it is unmounted: the test then mounts a fresh one on what the
// backing folder holds, like a machine booting after a power loss.

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>

#include "directory_log.hpp"
#include "pending_file.hpp"

namespace pons::power_cut {

/// The name, at the mount's root, of the file that takes commands (see control()).
inline constexpr std::string_view control_name = ".power-cut-control";

/// What the file system has done so far (the control file's text).
struct counters {
  std::uint64_t syncs = 0;         // fsyncs that wrote data to the backing folder
  std::uint64_t failed_syncs = 0;  // fsyncs answered with EIO
  std::uint64_t dir_syncs = 0;     // fsyncs of directories
  bool cut = false;                // the power is off
};

/// The file system over one backing folder.
class file_system {
 public:
  /// Serves `backing_root` (an existing folder). `seed` drives the random prefixes of cuts.
  file_system(std::string backing_root, std::uint64_t seed);
  ~file_system();
  file_system(const file_system&) = delete;
  file_system& operator=(const file_system&) = delete;

  // Operations: 0 (or a byte count) on success, -errno on failure. `fh` is a handle from open
  // or create, 0 when the kernel gave none.
  int getattr(const std::string& path, struct stat* st, std::uint64_t fh);
  int readlink(const std::string& path, char* buf, std::size_t size);
  int mkdir(const std::string& path, mode_t mode);
  int unlink(const std::string& path);
  int rmdir(const std::string& path);
  int symlink(const std::string& target, const std::string& path);
  int rename(const std::string& from, const std::string& to, unsigned flags);
  int chmod(const std::string& path, mode_t mode, std::uint64_t fh);
  int chown(const std::string& path, uid_t uid, gid_t gid, std::uint64_t fh);
  int utimens(const std::string& path, const struct timespec tv[2], std::uint64_t fh);
  int truncate(const std::string& path, off_t size, std::uint64_t fh);
  /// Opens `path`; `direct_io` is set for the control file (its text changes under the kernel).
  int open(const std::string& path, int flags, std::uint64_t& fh, bool& direct_io);
  int create(const std::string& path, mode_t mode, int flags, std::uint64_t& fh);
  int read(std::uint64_t fh, char* buf, std::size_t size, off_t offset);
  int write(std::uint64_t fh, const char* buf, std::size_t size, off_t offset);
  int statfs(struct statvfs* st);
  int release(std::uint64_t fh);
  int fsync(std::uint64_t fh);
  /// Opens a directory: its handle remembers the path (the kernel may name it no more).
  int opendir(const std::string& path, std::uint64_t& fh);
  int releasedir(std::uint64_t fh);
  /// Syncs the directory of handle `fh`.
  int fsyncdir(std::uint64_t fh);
  /// Lists the directory of handle `fh` (hiding the file system's own names) through `add`.
  int readdir(std::uint64_t fh, const std::function<void(const char*)>& add);
  /// Unmounting cleanly: everything is synced, as a clean shutdown of a machine does.
  void sync_everything();

  /// Runs one command written to the control file:
  ///   cut               power cut: everything unsynced is lost
  ///   cut-prefix        power cut: a random prefix of each file's unsynced writes (the last
  ///                     one torn at a 512-byte boundary) and of the directory changes lands,
  ///                     the rest is lost
  ///   fail-sync SUFFIX  the next fsync of a file whose path ends with SUFFIX fails with EIO:
  ///                     its unsynced writes never reach the backing file (readers still see
  ///                     them), and every descriptor open at the time sees the error once, as
  ///                     Linux reports write-back errors (later fsyncs succeed again)
  /// 0, or -EINVAL for an unknown command.
  int control(std::string_view command);
  /// The control file's text: the counters as key=value pairs on one line.
  std::string status();

 private:
  struct file_state;
  struct handle;

  std::string backing(const std::string& path) const { return root_ + path; }
  std::string new_grave();
  // The state of the file behind `fd`, made on first use. Caller holds mu_.
  file_state* state_of(int fd);
  // Handle `fh`, or nullptr. Caller holds mu_.
  handle* find(std::uint64_t fh);
  // Removes a grave for good and forgets its file. Caller holds mu_.
  void bury(const std::string& grave);
  // Reverses a directory change a cut takes back. Caller holds mu_.
  void undo(const entry_change& change);
  void cut_locked(bool prefix);

  const std::string root_;
  std::mutex mu_;
  std::mt19937_64 rng_;
  std::map<ino_t, std::unique_ptr<file_state>> files_;
  std::map<std::uint64_t, std::unique_ptr<handle>> handles_;
  std::uint64_t next_handle_ = 1;
  std::uint64_t next_grave_ = 0;
  directory_log entries_;
  counters counters_;
  std::string fail_suffix_;  // the next fsync of a matching file fails (empty: none armed)
};

}  // namespace pons::power_cut
