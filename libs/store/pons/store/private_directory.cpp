#include "pons/store/private_directory.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

namespace pons::store {

namespace {

boost::system::error_code last_error() {
  return {errno, boost::system::system_category()};
}

// A new folder's name is an entry of its parent: until the parent is synced, a power cut may
// take the folder, and the database in it, away.
boost::system::result<void> sync_parent(const std::filesystem::path& dir) {
  const auto parent = dir.has_parent_path() ? dir.parent_path() : std::filesystem::path(".");
  const int fd = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return last_error();
  const int rc = ::fsync(fd);
  const auto error = last_error();
  ::close(fd);
  if (rc != 0) return error;
  return {};
}

}  // namespace

boost::system::result<void> create_private_directories(const std::string& dir) {
  std::filesystem::path partial;
  for (const auto& part : std::filesystem::path(dir)) {
    partial /= part;
    struct stat st {};
    if (::stat(partial.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode))
        return boost::system::error_code(ENOTDIR, boost::system::system_category());
      continue;
    }
    if (::mkdir(partial.c_str(), 0700) != 0) {
      if (errno != EEXIST) return last_error();
      continue;  // made by someone else meanwhile
    }
    // mkdir's mode passes through the umask, which may also take the owner's bits.
    if (::chmod(partial.c_str(), 0700) != 0) return last_error();
    if (auto synced = sync_parent(partial); !synced) return synced;
  }
  return {};
}

boost::system::result<void> make_private_directory(const std::string& dir) {
  if (auto r = create_private_directories(dir); !r) return r;
  if (::chmod(dir.c_str(), 0700) != 0) return last_error();
  return {};
}

}  // namespace pons::store
