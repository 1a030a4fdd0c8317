#pragma once
// The borrowed object of a pool (db_pool, graph_pool): it goes back to its pool when the lease
// is destroyed, so a call cannot forget to return it, whatever way it leaves.

#include <memory>
#include <utility>

namespace pons::mcp {

/// Holds a `T` borrowed from `Pool`; the pool must have `give_back(std::unique_ptr<T>)`
/// (private is fine when it befriends this class).
template <class T, class Pool>
class pool_lease {
 public:
  pool_lease(Pool* pool, std::unique_ptr<T> object) : pool_(pool), object_(std::move(object)) {}
  pool_lease(pool_lease&&) = default;
  pool_lease& operator=(pool_lease&&) = delete;
  ~pool_lease() {
    if (pool_ && object_) pool_->give_back(std::move(object_));
  }
  T& operator*() const { return *object_; }
  T* operator->() const { return object_.get(); }

 private:
  Pool* pool_;
  std::unique_ptr<T> object_;
};

}  // namespace pons::mcp
