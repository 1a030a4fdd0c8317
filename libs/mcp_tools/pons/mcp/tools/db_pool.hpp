#pragma once
// A few SQLite connections shared by the worker threads that run tool calls. A connection is
// used by one thread at a time (SQLite's rule for our connections); callers lease one.

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "pons/mcp/tools/pool_lease.hpp"
#include "pons/store/database.hpp"

namespace pons::mcp {

/// Connections to one database file, opened on demand up to a maximum.
class db_pool {
 public:
  /// A borrowed connection; returned to the pool when destroyed.
  using lease = pool_lease<store::database, db_pool>;

  /// Opens (and migrates) the database once to check it works, keeping that connection.
  static store::result<std::unique_ptr<db_pool>> open(std::string path, std::size_t max_size);

  /// Borrows a connection, opening one when none is free; waits when `max_size` are in use.
  store::result<lease> acquire();

  /// The database file.
  const std::string& path() const { return path_; }

 private:
  friend lease;
  db_pool(std::string path, std::size_t max_size) : path_(std::move(path)), max_(max_size) {}
  void give_back(std::unique_ptr<store::database> db);

  std::string path_;
  std::size_t max_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<store::database>> free_;
  std::size_t opened_ = 0;
};

}  // namespace pons::mcp
