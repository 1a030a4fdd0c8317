#pragma once
// A small fixed pool of threads with a bounded queue, so a slow tool never blocks the reader.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace pons::mcp {

/// Runs jobs on `threads` threads; at most `max_queue` jobs wait.
class worker_pool {
 public:
  /// Starts the threads. `niceness` above 0 lowers their scheduling priority by that much
  /// (Linux: each thread's own nice value, at most 19): work that can wait yields the CPU to the
  /// process's other threads when both want it, and takes all of it when they do not.
  /// `before_job`, when set, runs on the worker thread before each job, and may hold it back
  /// for a while (pons-webhook lets the webhooks being written go first).
  worker_pool(std::size_t threads, std::size_t max_queue, int niceness = 0,
              std::function<void()> before_job = {});
  /// Runs the jobs already queued, then joins the threads.
  ~worker_pool();
  worker_pool(const worker_pool&) = delete;
  worker_pool& operator=(const worker_pool&) = delete;

  /// Queues a job; false when the queue is full or the pool is stopping.
  bool post(std::function<void()> job);

  /// Stops accepting jobs, finishes the queued ones and joins the threads. Idempotent.
  void stop();

 private:
  void run();

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  std::size_t max_queue_;
  int niceness_;
  std::function<void()> before_job_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

/// How many threads work that uses the CPU (the quick tool calls: reads) should run on: one
/// fewer than the cores this process may run on, at least one and at most 16. More add no CPU; on a
/// small machine Linux tends to queue the extra ones behind each other on one core while another
/// core idles, and the remaining core is the webhook path's.
std::size_t quick_worker_count();
/// The same for a machine of `cores` cores.
std::size_t quick_workers_for(std::size_t cores);

}  // namespace pons::mcp
