#include "pons/mcp/tools/db_pool.hpp"

namespace pons::mcp {

store::result<std::unique_ptr<db_pool>> db_pool::open(std::string path, std::size_t max_size) {
  std::unique_ptr<db_pool> pool(new db_pool(std::move(path), max_size == 0 ? 1 : max_size));
  auto first = store::database::open(pool->path_);
  if (!first) return first.error();
  pool->free_.push_back(std::make_unique<store::database>(std::move(*first)));
  pool->opened_ = 1;
  return pool;
}

store::result<db_pool::lease> db_pool::acquire() {
  std::unique_lock lock(mutex_);
  cv_.wait(lock, [&] { return !free_.empty() || opened_ < max_; });
  if (!free_.empty()) {
    auto db = std::move(free_.back());
    free_.pop_back();
    return lease(this, std::move(db));
  }
  ++opened_;
  lock.unlock();
  store::open_options options;
  options.migrate = false;  // the first connection migrated the file
  auto db = store::database::open(path_, options);
  if (!db) {
    std::lock_guard relock(mutex_);
    --opened_;
    cv_.notify_one();
    return db.error();
  }
  return lease(this, std::make_unique<store::database>(std::move(*db)));
}

void db_pool::give_back(std::unique_ptr<store::database> db) {
  {
    std::lock_guard lock(mutex_);
    free_.push_back(std::move(db));
  }
  cv_.notify_one();
}

}  // namespace pons::mcp
