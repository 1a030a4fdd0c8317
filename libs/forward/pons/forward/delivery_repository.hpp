#pragma once
// Forwarding deliveries: claiming due ones for the deliverer, recording every attempt, and the
// listing / manual retry behind `pons-webhook deliveries`.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pons/forward/error.hpp"
#include "pons/store/timestamp.hpp"

namespace pons::store {
class database;
}

namespace pons::forward {

/// One claimed delivery with everything needed to send it. Holds the target's secret: never log
/// or print it.
struct delivery_job {
  std::int64_t delivery_id = 0;
  std::int64_t target_id = 0;
  int attempt = 1;        // the number of this attempt in the delivery's history (1 for the first);
                          // keeps counting across manual retries (X-Pons-Attempt)
  int round_attempt = 1;  // attempts since creation or the last manual retry, this one included:
                          // drives the backoff and when the delivery is dead
  int max_attempts = 1;
  std::chrono::milliseconds timeout{10000};
  std::string url;
  std::string secret;
  std::string event_id;
  std::string event_type;
  std::string body;  // the exact envelope to POST and sign
};

/// How claim_due picks work.
struct claim_limits {
  std::size_t max_jobs = 8;  // claim at most this many in all
  int per_target = 2;        // leased (claimed, not yet recorded) deliveries allowed per target
  std::chrono::milliseconds lease_margin{30000};  // added to the target timeout for the lease
};

/// Claims due deliveries (pending or with an expired lease, next_attempt_at <= now, target
/// enabled), oldest first, at most limits.per_target leased per target, all in one transaction.
/// Claimed rows become 'delivering' with next_attempt_at = now + timeout + lease_margin, so a crash
/// mid-send only delays them. Opens its own write transaction. Several instances sharing one
/// PostgreSQL database claim side by side: a delivery another one is claiming is skipped, so each
/// is leased to one instance at a time; per_target then holds per instance.
result<std::vector<delivery_job>> claim_due(store::database& db, store::time_point now,
                                            const claim_limits& limits);

/// Hands claimed but unsent deliveries back: 'delivering' -> 'pending', due at `now`.
result<void> release_claims(store::database& db, const std::vector<std::int64_t>& delivery_ids,
                            store::time_point now);

/// The earliest next_attempt_at among pending or delivering deliveries of enabled targets.
result<std::optional<store::time_point>> next_due(store::database& db);

/// What one attempt came to.
struct attempt_outcome {
  std::optional<int> status_code;  // set when a response arrived
  std::string error;               // empty on success; why it failed otherwise
  store::time_point started_at;
  std::chrono::milliseconds duration{0};
};

/// Records an attempt (numbered job.attempt) and moves the delivery on: 200 -> succeeded;
/// anything else -> pending again at now + retry_delay, or dead once job.round_attempt reaches
/// job.max_attempts. Updates the target's
/// health. Does nothing when the delivery was removed meanwhile. Opens its own transaction.
result<void> record_attempt(store::database& db, const delivery_job& job,
                            const attempt_outcome& outcome, store::time_point now,
                            std::chrono::milliseconds retry_delay);

/// One finished attempt waiting to be recorded.
struct finished_attempt {
  delivery_job job;
  attempt_outcome outcome;
  std::chrono::milliseconds retry_delay{0};  // when it failed and is not dead: wait this long
};

/// Records several attempts as record_attempt does, all in one transaction (one fsync): either
/// all are recorded or none. Deliveries removed meanwhile are skipped.
result<void> record_attempts(store::database& db, const std::vector<finished_attempt>& attempts,
                             store::time_point now);

/// True when `status_code` counts as delivered: exactly 200.
inline bool is_success(const attempt_outcome& o) {
  return o.status_code && *o.status_code == 200;
}

/// A delivery as listed.
struct delivery_row {
  std::int64_t id = 0;
  std::string event_id;
  std::string event_type;
  std::int64_t target_id = 0;
  std::string state;  // pending, delivering, succeeded, dead
  int attempts = 0;   // attempts made in total (manual retries do not reset it)
  std::string next_attempt_at;
  std::optional<int> last_status_code;
  std::string last_error;
  std::string created_at;
  std::string updated_at;
};

/// One recorded attempt.
struct attempt_row {
  int attempt = 0;
  std::string started_at;
  std::int64_t duration_ms = 0;
  std::optional<int> status_code;
  std::string error;
};

/// A delivery with its event body and attempt history.
struct delivery_detail {
  delivery_row delivery;
  std::string body;
  std::vector<attempt_row> attempts;
};

/// Which deliveries list_deliveries returns (newest first).
struct delivery_filter {
  std::optional<std::int64_t> target_id;
  std::optional<std::string> state;
  int limit = 50;
};

/// Deliveries matching `filter`, newest first.
result<std::vector<delivery_row>> list_deliveries(store::database& db,
                                                  const delivery_filter& filter);

/// One delivery with body and attempts (not_found when absent).
result<delivery_detail> get_delivery(store::database& db, std::int64_t id);

/// Makes a dead or pending delivery due now with a fresh attempt budget (max_attempts more
/// attempts); attempt numbers keep counting, so the history stays readable. invalid_state for
/// one that succeeded or is being sent.
result<void> retry_delivery(store::database& db, std::int64_t id, store::time_point now);

/// How many deliveries of one target are queued (pending or being sent), dead or succeeded.
struct target_backlog {
  std::int64_t target_id = 0;
  std::int64_t queued = 0;
  std::int64_t dead = 0;
  std::int64_t succeeded = 0;
};

/// The backlog of every target that has deliveries, by target id.
result<std::vector<target_backlog>> backlog_by_target(store::database& db);

/// Retries every dead delivery (of one target when given); returns how many.
result<int> retry_dead(store::database& db, std::optional<std::int64_t> target_id,
                       store::time_point now);

}  // namespace pons::forward
