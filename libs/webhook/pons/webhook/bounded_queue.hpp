#pragma once
// A bounded multi-producer, single-consumer queue: producers never block (a full queue refuses,
// the caller answers 503), the consumer takes everything waiting at once (group commit).

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <utility>
#include <vector>

namespace pons::webhook {

/// What bounded_queue::pop_batch_until found.
enum class pop_status { items, timeout, closed };

/// Bounded queue handing items from the io thread to a worker thread in batches.
template <class T>
class bounded_queue {
 public:
  /// A queue refusing pushes beyond `capacity` waiting items.
  explicit bounded_queue(std::size_t capacity) : capacity_(capacity) {}

  /// Add an item; false when the queue is full or closed (the item is left untouched).
  bool try_push(T& item) {
    {
      std::lock_guard lock(mu_);
      if (closed_ || items_.size() - unbounded_ >= capacity_) return false;
      items_.push_back({std::move(item), false});
    }
    cv_.notify_one();
    return true;
  }

  /// Add an item even when full (internal work that must not be refused); false when closed.
  /// It does not count against the capacity: it can never make try_push refuse.
  bool push_unbounded(T item) {
    {
      std::lock_guard lock(mu_);
      if (closed_) return false;
      items_.push_back({std::move(item), true});
      ++unbounded_;
    }
    cv_.notify_one();
    return true;
  }

  /// Wait until items are waiting (or the queue is closed), then move up to `max` of them into
  /// `out`. Returns false only when the queue is closed and empty.
  bool pop_batch(std::vector<T>& out, std::size_t max) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return closed_ || !items_.empty(); });
    if (items_.empty()) return false;
    take(out, max);
    return true;
  }

  /// Like pop_batch, but gives up at `deadline`: items, timeout (nothing waiting), or closed
  /// (closed and empty).
  pop_status pop_batch_until(std::vector<T>& out, std::size_t max,
                             std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_until(lock, deadline, [&] { return closed_ || !items_.empty(); }))
      return pop_status::timeout;
    if (items_.empty()) return pop_status::closed;
    take(out, max);
    return pop_status::items;
  }

  /// Refuse new items; items already queued are still handed out.
  void close() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    cv_.notify_all();
  }

  /// Items waiting now.
  std::size_t size() const {
    std::lock_guard lock(mu_);
    return items_.size();
  }

 private:
  // Called with mu_ held.
  void take(std::vector<T>& out, std::size_t max) {
    while (!items_.empty() && out.size() < max) {
      if (items_.front().second) --unbounded_;
      out.push_back(std::move(items_.front().first));
      items_.pop_front();
    }
  }

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<T, bool>> items_;  // the flag: pushed by push_unbounded
  std::size_t unbounded_ = 0;             // items_ pushed by push_unbounded
  std::size_t capacity_;
  bool closed_ = false;
};

}  // namespace pons::webhook
