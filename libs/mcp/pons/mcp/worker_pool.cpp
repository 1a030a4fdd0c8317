#include "pons/mcp/worker_pool.hpp"

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

namespace pons::mcp {

namespace {

// Lowers the calling thread's priority by `niceness` (Linux keeps a nice value per thread).
// Lowering needs no privilege; should it fail anyway, the thread runs at the usual priority,
// which only costs the other threads their precedence.
void lower_priority(int niceness) {
  if (niceness <= 0) return;
  const id_t self = static_cast<id_t>(gettid());
  errno = 0;
  const int now = getpriority(PRIO_PROCESS, self);
  if (errno != 0) return;
  (void)setpriority(PRIO_PROCESS, self, std::min(now + niceness, 19));
}

}  // namespace

worker_pool::worker_pool(std::size_t threads, std::size_t max_queue, int niceness,
                         std::function<void()> before_job)
    : max_queue_(max_queue), niceness_(niceness), before_job_(std::move(before_job)) {
  if (threads == 0) threads = 1;
  threads_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

worker_pool::~worker_pool() {
  stop();
}

bool worker_pool::post(std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= max_queue_) return false;
    queue_.push_back(std::move(job));
  }
  cv_.notify_one();
  return true;
}

void worker_pool::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void worker_pool::run() {
  // Named so per-thread CPU time can be told apart (top -H, /proc/<pid>/task/*/comm).
  pthread_setname_np(pthread_self(), "pons-tool");
  lower_priority(niceness_);
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    if (before_job_) before_job_();
    job();
  }
}

std::size_t quick_worker_count() {
  // The affinity mask, not the machine's cores: a cpuset or taskset may allow fewer. (A CPU
  // quota does not show in it; --mcp-workers says so where one applies.)
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  std::size_t cores = 0;
  if (sched_getaffinity(0, sizeof allowed, &allowed) == 0) {
    cores = static_cast<std::size_t>(CPU_COUNT(&allowed));
  }
  if (cores == 0) cores = std::thread::hardware_concurrency();
  return quick_workers_for(cores);
}

std::size_t quick_workers_for(std::size_t cores) {
  // Each worker holds a database connection (on PostgreSQL, a server process): a large machine
  // gets 16 by default, and more only when asked.
  constexpr std::size_t most = 16;
  return std::clamp<std::size_t>(cores > 1 ? cores - 1 : 1, 1, most);
}

}  // namespace pons::mcp
