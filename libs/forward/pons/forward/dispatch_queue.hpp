#pragma once
// The deliverer's in-memory work between claim and record: claimed jobs wait per target, at most
// `per_target` of a target's jobs are being sent at a time (a slow target cannot take every
// worker), and every delivery stays "held" until its attempt is recorded, so a re-claim of a row
// whose lease ran out while it waited here is not queued a second time.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "pons/forward/delivery_repository.hpp"

namespace pons::forward {

/// Claimed jobs waiting to be sent, per target, with a per-target send limit. Not thread-safe:
/// the deliverer guards it with its mutex.
class dispatch_queue {
 public:
  /// At most `per_target` (at least 1) jobs of one target are out (taken, not yet sent()).
  explicit dispatch_queue(int per_target);

  /// Queues claimed jobs; jobs already held (claimed earlier, not yet recorded) are dropped.
  /// Returns how many were queued.
  std::size_t add(std::vector<delivery_job> jobs);
  /// The next job whose target has a free send slot, targets served in turn; it counts as out
  /// until sent(). Empty when nothing can be sent now.
  std::optional<delivery_job> take();
  /// A taken job of `target_id` was sent: frees its send slot. It stays held until recorded().
  void sent(std::int64_t target_id);
  /// The delivery's attempt was recorded (or given up to its lease): no longer held.
  void recorded(std::int64_t delivery_id);
  /// Removes every job not yet taken and returns their delivery ids (to hand them back).
  std::vector<std::int64_t> drain_waiting();

  /// Deliveries held: waiting, being sent, or sent and not yet recorded.
  std::size_t held() const { return held_.size(); }
  /// Jobs waiting to be taken.
  std::size_t waiting() const;

 private:
  struct target_work {
    std::deque<delivery_job> waiting;
    int out = 0;
  };
  int per_target_;
  std::map<std::int64_t, target_work> targets_;
  std::set<std::int64_t> held_;
  std::int64_t cursor_ = 0;  // serve targets with an id >= cursor_ first (round robin)
};

}  // namespace pons::forward
