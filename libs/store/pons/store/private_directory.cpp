#include "pons/store/private_directory.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <filesystem>

namespace pons::store {

namespace {

boost::system::error_code last_error() {
  return {errno, boost::system::system_category()};
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
  }
  return {};
}

boost::system::result<void> make_private_directory(const std::string& dir) {
  if (auto r = create_private_directories(dir); !r) return r;
  if (::chmod(dir.c_str(), 0700) != 0) return last_error();
  return {};
}

}  // namespace pons::store
