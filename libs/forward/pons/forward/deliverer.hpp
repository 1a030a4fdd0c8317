#pragma once
// The forwarding deliverer: a background worker (run inside pons-webhook) that POSTs due
// deliveries to their targets, signed, with bounded concurrency, and records every attempt.
// Threads: a dispatcher claims due deliveries in batches, workers send them (keep-alive
// connection per target and worker), and a recorder writes the finished attempts in groups.
// An attempt counts only once recorded: a crash before that leaves the lease to expire and the
// delivery is sent again (at-least-once).
// All state lives in the database, so a restart picks up where the last run stopped.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "pons/forward/backoff.hpp"
#include "pons/forward/delivery_repository.hpp"
#include "pons/forward/error.hpp"

namespace pons::forward {

/// How the deliverer runs.
struct deliverer_options {
  std::string database_path;  // the Pons database; the deliverer opens its own connections
  std::size_t workers = 16;   // requests in flight at most, across all targets
  int per_target = 8;         // requests in flight at most per target (a slow one stays contained)
  // Deliveries claimed ahead per target (one transaction claims up to this many; they are sent
  // at most per_target at a time). Results are recorded in groups, one transaction each.
  int claim_batch = 64;
  // Added to the target's timeout for a claim's lease: how long after a crash its claimed
  // deliveries wait before they are sent again.
  std::chrono::milliseconds lease_margin{30000};
  std::chrono::milliseconds poll_interval{1000};  // how often to look for work regardless
  // How often to check PRAGMA data_version for commits by other connections (another process's
  // outbox rows); cheap, and a claim follows only when something is due.
  std::chrono::milliseconds change_check_interval{100};
  backoff_policy backoff;
  bool allow_link_local = false;  // reach link-local / metadata addresses (normally refused)
  std::string ca_file;            // extra PEM CA bundle to trust for https targets
  /// Receives one key=value line per attempt or problem; never secrets or URLs. Default: stderr.
  std::function<void(std::string_view line)> log;
};

/// Reads PONS_FORWARD_BACKOFF_SCALE, PONS_FORWARD_WORKERS, PONS_FORWARD_PER_TARGET,
/// PONS_FORWARD_CLAIM_BATCH, PONS_FORWARD_POLL_MS, PONS_FORWARD_CHANGE_MS,
/// PONS_FORWARD_ALLOW_LINK_LOCAL and PONS_FORWARD_CA_FILE through `getenv` over the defaults.
/// Unparsable values keep the default; numbers are clamped to their documented ranges.
deliverer_options deliverer_options_from_env(std::string database_path,
                                             const std::function<const char*(const char*)>& getenv);

/// The headers of one signed delivery attempt.
struct signed_headers {
  std::string timestamp;  // X-Pons-Timestamp (unix seconds)
  std::string signature;  // X-Pons-Signature: hex HMAC-SHA256 of "<timestamp>.<body>"
};

/// Signs `body` for the moment `unix_seconds` with `secret`. Pure.
signed_headers sign_delivery(std::string_view secret, std::string_view body,
                             std::int64_t unix_seconds);

/// Sends one attempt right now, signed, under the same rules as the deliverer (timeout from the
/// job, no redirects, refused addresses unless allowed). Nothing is recorded. Blocking.
attempt_outcome send_once(const delivery_job& job, bool allow_link_local,
                          const std::string& ca_file = {});

/// Runs the delivery threads between start() and stop().
class deliverer {
 public:
  /// Configures; does not start.
  explicit deliverer(deliverer_options options);
  /// Stops if running.
  ~deliverer();
  deliverer(const deliverer&) = delete;
  deliverer& operator=(const deliverer&) = delete;

  /// Opens the database connections and starts the threads. Fails when the database cannot be
  /// opened.
  result<void> start();
  /// Lets in-flight attempts finish (bounded by the target timeouts), hands claimed but unsent
  /// work back, and joins the threads. Idempotent.
  void stop();
  /// Wakes the dispatcher at once (call after committing new outbox rows in this process).
  void notify();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace pons::forward
