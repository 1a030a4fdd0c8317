#pragma once
// One database connection shared by the dashboard's handlers and its password workers, used
// under a mutex (a connection is for one thread at a time).

#include <mutex>

#include "pons/store/database.hpp"

namespace pons::dashboard {

/// A connection and the mutex that guards it.
struct locked_database {
  explicit locked_database(store::database d) : db(std::move(d)) {}
  std::mutex mutex;
  store::database db;
};

}  // namespace pons::dashboard
