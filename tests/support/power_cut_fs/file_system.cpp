#include "file_system.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>

namespace pons::power_cut {

namespace {

// Removed and replaced entries wait here until their removal is durable.
constexpr std::string_view graveyard = "/.power-cut-graveyard";

bool is_control(const std::string& path) {
  return path.size() == control_name.size() + 1 && path[0] == '/' &&
         std::string_view(path).substr(1) == control_name;
}

bool is_graveyard(const std::string& path) {
  return path.starts_with(graveyard) &&
         (path.size() == graveyard.size() || path[graveyard.size()] == '/');
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

void remove_all(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

}  // namespace

// A file with unsynced changes (or a write-back error on record).
struct file_system::file_state {
  explicit file_state(int descriptor, off_t size) : fd(descriptor), pending(size) {}
  ~file_state() {
    if (fd >= 0) ::close(fd);
  }
  file_state(const file_state&) = delete;
  file_state& operator=(const file_state&) = delete;

  int fd;  // read-write, for syncs and cuts (the handle that writes may be read-only or gone)
  pending_file pending;
  std::uint64_t errors = 0;  // write-back errors so far; each handle reports each one once
};

// One open file (or the control file).
struct file_system::handle {
  ~handle() {
    if (fd >= 0) ::close(fd);
  }
  int fd = -1;
  ino_t ino = 0;
  std::string path;  // as opened: what fail-sync matches
  std::uint64_t errors_seen = 0;
  bool sync_writes = false;  // O_SYNC/O_DSYNC: every write is durable when it returns
  bool control = false;
  bool directory = false;  // from opendir: no descriptor, only the path
};

file_system::file_system(std::string backing_root, std::uint64_t seed)
    : root_(std::move(backing_root)), rng_(seed) {
  // Graves of a previous mount are removals nobody can undo any more.
  remove_all(backing(std::string(graveyard)));
  ::mkdir(backing(std::string(graveyard)).c_str(), 0700);
}

file_system::~file_system() = default;

std::string file_system::new_grave() {
  return std::string(graveyard) + "/" + std::to_string(next_grave_++);
}

file_system::handle* file_system::find(std::uint64_t fh) {
  auto it = handles_.find(fh);
  return it == handles_.end() ? nullptr : it->second.get();
}

file_system::file_state* file_system::state_of(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return nullptr;
  auto& slot = files_[st.st_ino];
  if (!slot) {
    // A descriptor of our own that can write, whatever the caller's handle can do.
    const std::string self = "/proc/self/fd/" + std::to_string(fd);
    int own = ::open(self.c_str(), O_RDWR | O_CLOEXEC);
    if (own < 0) own = ::dup(fd);
    slot = std::make_unique<file_state>(own, st.st_size);
  }
  return slot.get();
}

void file_system::bury(const std::string& grave) {
  struct stat st {};
  if (::lstat(backing(grave).c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
    const bool open = std::any_of(handles_.begin(), handles_.end(), [&](const auto& h) {
      return h.second->fd >= 0 && h.second->ino == st.st_ino;
    });
    if (!open) files_.erase(st.st_ino);
  }
  remove_all(backing(grave));
}

int file_system::getattr(const std::string& path, struct stat* st, std::uint64_t fh) {
  std::lock_guard lock(mu_);
  if (is_control(path)) {
    *st = {};
    st->st_mode = S_IFREG | 0600;
    st->st_nlink = 1;
    return 0;
  }
  if (counters_.cut) return -EIO;
  if (is_graveyard(path)) return -ENOENT;
  handle* h = fh ? find(fh) : nullptr;
  const auto& where = path.empty() && h ? h->path : path;
  const int rc = h && h->fd >= 0 ? ::fstat(h->fd, st) : ::lstat(backing(where).c_str(), st);
  if (rc != 0) return -errno;
  if (S_ISREG(st->st_mode)) {
    if (auto it = files_.find(st->st_ino); it != files_.end()) {
      st->st_size = it->second->pending.size();
      st->st_blocks = (st->st_size + 511) / 512;
    }
  }
  return 0;
}

int file_system::readlink(const std::string& path, char* buf, std::size_t size) {
  std::lock_guard lock(mu_);
  if (counters_.cut) return -EIO;
  if (size == 0) return -EINVAL;
  const ssize_t n = ::readlink(backing(path).c_str(), buf, size - 1);
  if (n < 0) return -errno;
  buf[n] = '\0';
  return 0;
}

int file_system::mkdir(const std::string& path, mode_t mode) {
  std::lock_guard lock(mu_);
  if (counters_.cut) return -EIO;
  if (is_graveyard(path) || is_control(path)) return -EEXIST;
  if (::mkdir(backing(path).c_str(), mode) != 0) return -errno;
  entries_.created(path);
  return 0;
}

int file_system::unlink(const std::string& path) {
  std::lock_guard lock(mu_);
  if (counters_.cut) return -EIO;
  if (is_graveyard(path) || is_control(path)) return -EPERM;
  struct stat st {};
  if (::lstat(backing(path).c_str(), &st) != 0) return -errno;
  if (S_ISDIR(st.st_mode)) return -EISDIR;
  const auto grave = new_grave();
  if (::rename(backing(path).c_str(), backing(grave).c_str()) != 0) return -errno;
  entries_.removed(path, grave);
  return 0;
}

int file_system::rmdir(const std::string& path) {
  std::lock_guard lock(mu_);
  if (counters_.cut) return -EIO;
  if (path == "/" || is_graveyard(path)) return -EBUSY;
  DIR* d = ::opendir(backing(path).c_str());
  if (!d) return -errno;
  bool empty = true;
  while (auto* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) empty = false;
  }
  ::closedir(d);
  if (!empty) return -ENOTEMPTY;
  const auto grave = new_grave();
  if (::rename(backing(path).c_str(), backing(grave).c_str()) != 0) return -errno;
  entries_.removed(path, grave);
  return 0;
}

int file_system::symlink(const std::string& target, const std::string& path) {
  std::lock_guard lock(mu_);
  if (counters_.cut) return -EIO;
  if (::symlink(target.c_str(), backing(path).c_str()) != 0) return -errno;
  entries_.created(path);
  return 0;
}

int file_system::rename(const std::string& from, const std::string& to, unsigned flags) {
  std::lock_guard lock(mu_);
  if (counters_.cut) return -EIO;
  if (flags & RENAME_EXCHANGE) return -EINVAL;
  if (is_graveyard(from) || is_graveyard(to) || is_control(from) || is_control(to)) return -EPERM;
  struct stat src {
  }, dst{};
  if (::lstat(backing(from).c_str(), &src) != 0) return -errno;
  const bool replaces = ::lstat(backing(to).c_str(), &dst) == 0;
  std::string grave;
  if (replaces) {
    if (flags & RENAME_NOREPLACE) return -EEXIST;
    if (src.st_ino == dst.st_ino) return 0;
    if (S_ISDIR(src.st_mode) && !S_ISDIR(dst.st_mode)) return -ENOTDIR;
    if (!S_ISDIR(src.st_mode) && S_ISDIR(dst.st_mode)) return -EISDIR;
    if (S_ISDIR(dst.st_mode) && !std::filesystem::is_empty(backing(to))) return -ENOTEMPTY;
    grave = new_grave();
    if (::rename(backing(to).c_str(), backing(grave).c_str()) != 0) return -errno;
  }
  if (::rename(backing(from).c_str(), backing(to).c_str()) != 0) {
    const int e = errno;
    if (replaces) ::rename(backing(grave).c_str(), backing(to).c_str());
    return -e;
  }
  entries_.renamed(from, to, grave);
  return 0;
}

int file_system::chmod(const std::string& path, mode_t mode, std::uint64_t fh) {
  std::lock_guard lock(mu_);
  if (counters_.cut) return -EIO;
  handle* h = fh ? find(fh) : nullptr;
  const int rc = h && h->fd >= 0 ? ::fchmod(h->fd, mode) : ::chmod(backing(path).c_str(), mode);
  return rc == 0 ? 0 : -errno;
}

int file_system::chown(const std::string& path, uid_t uid, gid_t gid, std::uint64_t fh) {
  std::lock_guard lock(mu_);
  if (counters_.cut) return -EIO;
  handle* h = fh ? find(fh) : nullptr;
  const int rc =
      h && h->fd >= 0 ? ::fchown(h->fd, uid, gid) : ::lchown(backing(path).c_str(), uid, gid);
  return rc == 0 ? 0 : -errno;
}

int file_system::utimens(const std::string& path, const struct timespec tv[2], std::uint64_t fh) {
  std::lock_guard lock(mu_);
  if (counters_.cut) return -EIO;
  handle* h = fh ? find(fh) : nullptr;
  const int rc = h && !h->control
                     ? ::futimens(h->fd, tv)
                     : ::utimensat(AT_FDCWD, backing(path).c_str(), tv, AT_SYMLINK_NOFOLLOW);
  return rc == 0 ? 0 : -errno;
}

int file_system::truncate(const std::string& path, off_t size, std::uint64_t fh) {
  std::lock_guard lock(mu_);
  if (counters_.cut) return -EIO;
  if (size < 0) return -EINVAL;
  handle* h = fh ? find(fh) : nullptr;
  int fd = h && h->fd >= 0 ? h->fd : ::open(backing(path).c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return -errno;
  auto* state = state_of(fd);
  if (!h) ::close(fd);
  if (!state) return -EIO;
  state->pending.truncate(size);
  return 0;
}

int file_system::open(const std::string& path, int flags, std::uint64_t& fh, bool& direct_io) {
  std::lock_guard lock(mu_);
  auto h = std::make_unique<handle>();
  if (is_control(path)) {
    h->control = true;
    direct_io = true;
  } else {
    if (counters_.cut) return -EIO;
    if (is_graveyard(path)) return -ENOENT;
    // Every backing descriptor can read (reads merge the unsynced writes) and nothing the
    // caller asks for may make a change durable behind our back (O_TRUNC, O_SYNC, O_DIRECT).
    const int kept =
        flags & ~(O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC | O_APPEND | O_DIRECT | O_SYNC | O_DSYNC);
    int fd = ::open(backing(path).c_str(), kept | O_RDWR | O_CLOEXEC);
    if (fd < 0 && (errno == EACCES || errno == EISDIR || errno == EROFS))
      fd = ::open(backing(path).c_str(), kept | (flags & O_ACCMODE) | O_CLOEXEC);
    if (fd < 0) return -errno;
    h->fd = fd;
    struct stat st {};
    ::fstat(fd, &st);
    h->ino = st.st_ino;
    h->path = path;
    h->sync_writes = (flags & O_DSYNC) != 0;
    if (auto it = files_.find(st.st_ino); it != files_.end()) h->errors_seen = it->second->errors;
    if ((flags & O_TRUNC) && (flags & O_ACCMODE) != O_RDONLY) {
      if (auto* state = state_of(fd)) state->pending.truncate(0);
    }
  }
  fh = next_handle_++;
  handles_.emplace(fh, std::move(h));
  return 0;
}

int file_system::create(const std::string& path, mode_t mode, int flags, std::uint64_t& fh) {
  {
    std::lock_guard lock(mu_);
    if (counters_.cut) return -EIO;
    if (is_graveyard(path) || is_control(path)) return -EEXIST;
    const int fd = ::open(backing(path).c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, mode);
    if (fd >= 0) {
      entries_.created(path);
      ::close(fd);
    } else if (errno != EEXIST || (flags & O_EXCL)) {
      return -errno;
    }
  }
  bool direct_io = false;
  return open(path, flags & ~(O_CREAT | O_EXCL), fh, direct_io);
}

int file_system::read(std::uint64_t fh, char* buf, std::size_t size, off_t offset) {
  std::unique_lock lock(mu_);
  handle* h = find(fh);
  if (!h) return -EBADF;
  if (h->control) {
    lock.unlock();
    const auto text = status();
    if (offset >= static_cast<off_t>(text.size())) return 0;
    const auto n = std::min(size, text.size() - static_cast<std::size_t>(offset));
    std::memcpy(buf, text.data() + offset, n);
    return static_cast<int>(n);
  }
  if (counters_.cut) return -EIO;
  auto it = files_.find(h->ino);
  std::size_t want = size;
  if (it != files_.end()) {
    const off_t live = it->second->pending.size();
    if (offset >= live) return 0;
    want = std::min(size, static_cast<std::size_t>(live - offset));
    std::memset(buf, 0, want);  // past the backing file's end the live file reads zeros
  }
  std::size_t got = 0;
  while (got < want) {
    const ssize_t n = ::pread(h->fd, buf + got, want - got, offset + static_cast<off_t>(got));
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  if (it == files_.end()) return static_cast<int>(got);
  it->second->pending.overlay(offset, std::span<char>(buf, want));
  return static_cast<int>(want);
}

int file_system::write(std::uint64_t fh, const char* buf, std::size_t size, off_t offset) {
  std::unique_lock lock(mu_);
  handle* h = find(fh);
  if (!h) return -EBADF;
  if (h->control) {
    lock.unlock();
    const int rc = control(std::string_view(buf, size));
    return rc == 0 ? static_cast<int>(size) : rc;
  }
  if (counters_.cut) return -EIO;
  auto* state = state_of(h->fd);
  if (!state) return -EIO;
  state->pending.write(offset, std::string_view(buf, size));
  if (h->sync_writes && state->pending.persist(state->fd) != 0) return -EIO;
  return static_cast<int>(size);
}

int file_system::statfs(struct statvfs* st) {
  return ::statvfs(root_.c_str(), st) == 0 ? 0 : -errno;
}

int file_system::release(std::uint64_t fh) {
  std::lock_guard lock(mu_);
  auto it = handles_.find(fh);
  if (it == handles_.end()) return -EBADF;
  const auto* h = it->second.get();
  if (h->fd >= 0) {
    struct stat st {};
    // A removed file nobody has open any more can never be read or synced again.
    if (::fstat(h->fd, &st) == 0 && st.st_nlink == 0) {
      const auto others = std::count_if(handles_.begin(), handles_.end(), [&](const auto& o) {
        return o.second->fd >= 0 && o.second->ino == h->ino;
      });
      if (others == 1) files_.erase(h->ino);
    }
  }
  handles_.erase(it);
  return 0;
}

int file_system::fsync(std::uint64_t fh) {
  std::lock_guard lock(mu_);
  if (counters_.cut) return -EIO;
  handle* h = find(fh);
  if (!h) return -EBADF;
  if (h->control) return 0;
  if (!fail_suffix_.empty() && h->path.ends_with(fail_suffix_)) {
    fail_suffix_.clear();
    auto* state = state_of(h->fd);
    if (!state) return -EIO;
    // The pages under write-back are lost; every descriptor open now hears of it once.
    state->pending.lose();
    ++state->errors;
    h->errors_seen = state->errors;
    ++counters_.failed_syncs;
    return -EIO;
  }
  auto it = files_.find(h->ino);
  if (it == files_.end()) {
    ++counters_.syncs;
    return 0;
  }
  auto& state = *it->second;
  if (h->errors_seen < state.errors) {
    h->errors_seen = state.errors;
    ++counters_.failed_syncs;
    return -EIO;
  }
  if (state.pending.persist(state.fd) != 0) return -EIO;
  // Forget a clean file, but keep one with errors on record: a handle may not have heard yet.
  if (state.pending.clean() && state.errors == 0) files_.erase(it);
  ++counters_.syncs;
  return 0;
}

int file_system::opendir(const std::string& path, std::uint64_t& fh) {
  std::lock_guard lock(mu_);
  if (counters_.cut) return -EIO;
  if (is_graveyard(path)) return -ENOENT;
  struct stat st {};
  if (::stat(backing(path).c_str(), &st) != 0) return -errno;
  if (!S_ISDIR(st.st_mode)) return -ENOTDIR;
  auto h = std::make_unique<handle>();
  h->path = path;
  h->directory = true;
  fh = next_handle_++;
  handles_.emplace(fh, std::move(h));
  return 0;
}

int file_system::releasedir(std::uint64_t fh) {
  std::lock_guard lock(mu_);
  handles_.erase(fh);
  return 0;
}

int file_system::fsyncdir(std::uint64_t fh) {
  std::lock_guard lock(mu_);
  if (counters_.cut) return -EIO;
  handle* h = find(fh);
  if (!h || !h->directory) return -EBADF;
  ++counters_.dir_syncs;
  for (const auto& grave : entries_.synced(h->path)) bury(grave);
  return 0;
}

int file_system::readdir(std::uint64_t fh, const std::function<void(const char*)>& add) {
  std::lock_guard lock(mu_);
  if (counters_.cut) return -EIO;
  handle* h = find(fh);
  if (!h || !h->directory) return -EBADF;
  const auto& path = h->path;
  DIR* d = ::opendir(backing(path).c_str());
  if (!d) return -errno;
  while (auto* e = ::readdir(d)) {
    if (path == "/" && graveyard.substr(1) == e->d_name) continue;
    add(e->d_name);
  }
  ::closedir(d);
  return 0;
}

void file_system::sync_everything() {
  std::lock_guard lock(mu_);
  if (counters_.cut) return;
  for (auto& [ino, state] : files_) state->pending.persist(state->fd);
  for (const auto& grave : entries_.cut(entries_.size()).freed) bury(grave);
}

void file_system::undo(const entry_change& c) {
  const auto path = backing(c.path);
  switch (c.what) {
    case entry_change::kind::created:
      remove_all(path);
      break;
    case entry_change::kind::removed:
      if (!exists(path)) {
        ::rename(backing(c.grave).c_str(), path.c_str());
      }
      break;
    case entry_change::kind::renamed:
      if (exists(path) && !exists(backing(c.from))) ::rename(path.c_str(), backing(c.from).c_str());
      if (!c.grave.empty() && !exists(path)) ::rename(backing(c.grave).c_str(), path.c_str());
      break;
  }
}

void file_system::cut_locked(bool prefix) {
  if (counters_.cut) return;
  if (prefix) {
    for (auto& [ino, state] : files_) {
      const auto& ops = state->pending.ops();
      const std::size_t keep = rng_() % (ops.size() + 1);
      std::size_t torn = 0;
      if (keep < ops.size() && ops[keep].what == file_op::kind::write)
        torn = (rng_() % (ops[keep].bytes.size() / 512 + 1)) * 512;
      state->pending.persist_prefix(state->fd, keep, torn);
    }
  }
  const std::size_t keep_entries = prefix ? rng_() % (entries_.size() + 1) : 0;
  auto plan = entries_.cut(keep_entries);
  for (const auto& grave : plan.freed) bury(grave);
  for (const auto& change : plan.undo) undo(change);
  files_.clear();
  // What is left in the graveyard belonged to changes that were taken back or never undone.
  remove_all(backing(std::string(graveyard)));
  ::mkdir(backing(std::string(graveyard)).c_str(), 0700);
  counters_.cut = true;
}

int file_system::control(std::string_view commands) {
  std::istringstream in{std::string(commands)};
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string verb, arg;
    words >> verb >> arg;
    if (verb.empty()) continue;
    std::lock_guard lock(mu_);
    if (verb == "cut" || verb == "cut-prefix") {
      cut_locked(verb == "cut-prefix");
    } else if (verb == "fail-sync" && !arg.empty()) {
      fail_suffix_ = arg;
    } else {
      return -EINVAL;
    }
  }
  return 0;
}

std::string file_system::status() {
  std::lock_guard lock(mu_);
  char text[256];
  std::snprintf(text, sizeof text,
                "cut=%d syncs=%llu failed_syncs=%llu dir_syncs=%llu pending_files=%zu "
                "pending_entries=%zu\n",
                counters_.cut ? 1 : 0, static_cast<unsigned long long>(counters_.syncs),
                static_cast<unsigned long long>(counters_.failed_syncs),
                static_cast<unsigned long long>(counters_.dir_syncs), files_.size(),
                entries_.size());
  return text;
}

}  // namespace pons::power_cut
