#pragma once
// Answers committed work only after a sync has made it durable, on a thread of its own: the
// writer goes on with its next group commit while the disk flushes the last ones, and one sync
// covers every commit made before it started.

#include <boost/system/error_code.hpp>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace pons::webhook {

/// A thread that runs a sync function and then the answers that were waiting for it. Once a sync
/// has failed, the gate never syncs again: every answer queued later gets that first error,
/// because after a write-back error a later sync that succeeds proves nothing about the pages the
/// kernel dropped (Linux reports such an error once per open file, then returns 0 again).
class sync_gate {
 public:
  /// Makes everything written so far durable; an error when it could not.
  using sync_function = std::function<boost::system::error_code()>;
  /// Called once, on the gate's thread, with the error of the sync that covered the work.
  using answer = std::function<void(const boost::system::error_code&)>;

  /// Starts the thread (named `thread_name` for top -H and per-thread CPU figures).
  explicit sync_gate(sync_function sync, std::string thread_name = "pons-sync");
  sync_gate(const sync_gate&) = delete;
  sync_gate& operator=(const sync_gate&) = delete;
  /// stop().
  ~sync_gate();

  /// Queue `a` to run after the next sync that starts after this call (with the first failure's
  /// error, without a sync, once one has failed). Call it only once the work it answers for has
  /// been written (committed), never before.
  void after_next_sync(answer a);

  /// Syncs once more for whatever is waiting, answers it, and joins the thread. Idempotent;
  /// after_next_sync must not be called any more.
  void stop();

  /// Syncs run so far (each one answered every commit queued before it started).
  std::uint64_t syncs() const;

 private:
  void run(const std::string& thread_name);

  sync_function sync_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<answer> waiting_;
  bool stopping_ = false;
  std::uint64_t syncs_ = 0;
  boost::system::error_code failed_;  // the first failed sync's error (gate thread only)
  std::thread thread_;
};

}  // namespace pons::webhook
