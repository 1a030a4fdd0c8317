#pragma once
// The write-ahead log of an open database, held so another thread can make commits durable.
// A connection with synchronous=NORMAL commits by writing WAL frames without an fsync; one
// fdatasync of the WAL afterwards makes every commit written before it durable (recovery replays
// the WAL's checksummed frames up to the last whole commit). docs/performance.md says why the
// webhook writer works this way.

#include <string>

#include "pons/store/error.hpp"

namespace pons::store {

/// A read-only descriptor of `<database>-wal`, for fdatasync from any thread. Moves, does not
/// copy; closes the descriptor on destruction (SQLite takes no locks on the WAL file itself, so
/// closing it never drops a lock another connection holds).
class wal_file {
 public:
  /// Opens the WAL of the database at `db_path` (it must exist: open the database in WAL mode
  /// first) and syncs its directory once, so the file's own entry is durable too.
  static result<wal_file> open(const std::string& db_path);

  wal_file(wal_file&& other) noexcept;
  wal_file& operator=(wal_file&& other) noexcept;
  wal_file(const wal_file&) = delete;
  wal_file& operator=(const wal_file&) = delete;
  ~wal_file();

  /// fdatasync: every frame written to the WAL before this call is on stable storage when it
  /// returns without error. store_errc::io when the kernel reports a write-back failure.
  result<void> sync() const;

 private:
  explicit wal_file(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace pons::store
