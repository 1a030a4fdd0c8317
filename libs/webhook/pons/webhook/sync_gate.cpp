#include "pons/webhook/sync_gate.hpp"

#include <pthread.h>

#include <utility>

namespace pons::webhook {

sync_gate::sync_gate(sync_function sync, std::string thread_name) : sync_(std::move(sync)) {
  thread_ = std::thread([this, name = std::move(thread_name)] { run(name); });
}

sync_gate::~sync_gate() {
  stop();
}

void sync_gate::after_next_sync(answer a) {
  {
    std::lock_guard lock(mu_);
    waiting_.push_back(std::move(a));
  }
  cv_.notify_one();
}

void sync_gate::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

std::uint64_t sync_gate::syncs() const {
  std::lock_guard lock(mu_);
  return syncs_;
}

void sync_gate::run(const std::string& thread_name) {
  pthread_setname_np(pthread_self(), thread_name.substr(0, 15).c_str());
  std::vector<answer> batch;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !waiting_.empty(); });
      if (waiting_.empty()) return;  // stopping, and nothing left to answer
      batch.swap(waiting_);
    }
    // Everything in `batch` was written before it was queued, so before this sync starts. Some
    // of it may also follow pages a failed sync lost: none of it is durable after a failure.
    if (!failed_) {
      failed_ = sync_();
      std::lock_guard lock(mu_);
      ++syncs_;
    }
    for (auto& a : batch) a(failed_);
    batch.clear();
  }
}

}  // namespace pons::webhook
