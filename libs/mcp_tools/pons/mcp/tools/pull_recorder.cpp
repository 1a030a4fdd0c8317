#include "pons/mcp/tools/pull_recorder.hpp"

#include <pthread.h>

#include <algorithm>
#include <optional>

#include "pons/store/database.hpp"

namespace pons::mcp {

pull_recorder::pull_recorder(std::string path, std::chrono::milliseconds interval)
    : path_(std::move(path)), interval_(interval) {
  thread_ = std::thread([this] { run(); });
}

pull_recorder::~pull_recorder() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void pull_recorder::record(const std::string& client, const std::string& phone_number_id,
                           const std::string& pulled_at, std::int64_t last_id) {
  bool first = false;
  {
    std::lock_guard lock(mutex_);
    first = pending_.empty();
    auto& entry = pending_[{client, phone_number_id}];
    entry.first = std::max(entry.first, pulled_at);
    entry.second = std::max(entry.second, last_id);
  }
  // Only the first pull of a batch wakes the writer: later ones join the batch it is waiting to
  // write, and waking it at every call would cost a context switch per get_messages.
  if (first) cv_.notify_all();
}

void pull_recorder::flush() {
  std::unique_lock lock(mutex_);
  ++flushes_waiting_;
  cv_.notify_all();
  cv_.wait(lock, [&] { return pending_.empty() && writing_ == 0; });
  --flushes_waiting_;
}

std::size_t pull_recorder::writes() const {
  std::lock_guard lock(mutex_);
  return writes_;
}

void pull_recorder::run() {
  // Named so its CPU time is told apart from the io thread's (top -H, /proc/<pid>/task/*/comm).
  pthread_setname_np(pthread_self(), "pons-pulls");
  std::optional<store::database> db;
  auto next_write = std::chrono::steady_clock::time_point::min();
  std::unique_lock lock(mutex_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
    if (pending_.empty()) return;
    // One write per interval, unless the recorder stops or someone flushes: pulls coming in
    // meanwhile join this batch.
    cv_.wait_until(lock, next_write, [&] { return stopping_ || flushes_waiting_ > 0; });
    auto batch = std::move(pending_);
    pending_.clear();
    ++writing_;
    lock.unlock();
    if (!db) {
      store::open_options options;
      options.migrate = false;
      if (auto opened = store::database::open(path_, options)) {
        db.emplace(std::move(*opened));
        // A pull time a power cut takes back only shows a few messages as new again: not worth
        // a wait for the disk at every write.
        (void)db->relax_durability();
      }
    }
    if (db) {
      // Bookkeeping only: a failure (busy database) loses a pull time, never a message.
      if (auto tx = store::transaction::begin(*db)) {
        for (const auto& [key, value] : batch) {
          auto s = db->prepare(
              "INSERT INTO mcp_pull_cursors (client_name, phone_number_id, last_pulled_at, "
              "last_message_id) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (client_name, "
              "phone_number_id) DO UPDATE SET last_pulled_at = CASE WHEN "
              "mcp_pull_cursors.last_pulled_at > excluded.last_pulled_at THEN "
              "mcp_pull_cursors.last_pulled_at ELSE excluded.last_pulled_at END, "
              "last_message_id = CASE WHEN mcp_pull_cursors.last_message_id > "
              "excluded.last_message_id THEN mcp_pull_cursors.last_message_id ELSE "
              "excluded.last_message_id END");
          if (!s) break;
          s->bind_all(key.first, key.second, value.first, value.second);
          (void)s->run();
        }
        (void)tx->commit();
      }
    }
    lock.lock();
    --writing_;
    if (db) ++writes_;
    next_write = std::chrono::steady_clock::now() + interval_;
    cv_.notify_all();
  }
}

}  // namespace pons::mcp
