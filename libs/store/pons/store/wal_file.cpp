#include "pons/store/wal_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <utility>

namespace pons::store {

namespace {

std::string directory_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

result<wal_file> wal_file::open(const std::string& db_path) {
  const int fd = ::open((db_path + "-wal").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return store_errc::open_failed;
  wal_file wal(fd);
  // SQLite syncs the directory after creating the WAL only on its first own sync of the file;
  // commits acknowledged before that would otherwise sit in a file whose name could be lost.
  const int dir = ::open(directory_of(db_path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return store_errc::open_failed;
  const int rc = ::fsync(dir);
  ::close(dir);
  if (rc != 0) return store_errc::io;
  return wal;
}

wal_file::wal_file(wal_file&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

wal_file& wal_file::operator=(wal_file&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

wal_file::~wal_file() {
  if (fd_ >= 0) ::close(fd_);
}

result<void> wal_file::sync() const {
  if (fd_ < 0) return store_errc::invalid_argument;
  if (::fdatasync(fd_) != 0) return store_errc::io;
  return {};
}

}  // namespace pons::store
