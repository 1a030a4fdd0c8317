#pragma once
// The routes of pons-webhook: Meta's subscription handshake, signed webhook POSTs stored through a
// single group-committing writer thread, /health and /metrics.

#include <boost/asio/io_context.hpp>
#include <boost/system/result.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "pons/http/server.hpp"
#include "pons/meta/account_config.hpp"
#include "pons/meta/graph_client.hpp"
#include "pons/store/event_log_repository.hpp"
#include "pons/webhook/metrics.hpp"

namespace pons::webhook {

/// What the service needs besides the io_context.
struct webhook_service_options {
  meta::account_config accounts;
  std::string db_path;
  std::string media_dir;           // content-addressed media store
  std::size_t queue_limit = 1024;  // pending writer jobs before 503
  std::size_t max_group = 512;     // requests per transaction, at most
  bool media = true;               // run the media worker
  bool template_sync = false;      // run the template syncer (main turns it on)
  std::chrono::seconds template_sync_interval{6 * 3600};  // 0 = at start and on webhooks only
  meta::graph_config graph;                        // where the media worker reaches the Graph API
  int log_retention_days = 30;                     // webhook_log rows kept; 0 = forever
  int dedup_retention_days = 30;                   // idempotency keys kept (>= 7 days); 0 = forever
  std::chrono::seconds prune_interval{3600};       // pruning runs at start, then this often
  int prune_chunk_rows = store::prune_chunk_rows;  // rows per table per pruning commit
  // Webhook signatures are verified over the raw bytes before parsing. With at most this many
  // distinct app secrets every one is tried (the ids in the bytes pick the first): a forged body
  // costs at most that many HMACs (about 2 ms each for 4 MiB) and is never parsed (up to 80 ms).
  std::size_t max_blind_secrets = 8;
  // With more secrets, a body the hinted secrets do not verify is parsed to learn whose it claims
  // to be, within this many bytes per second (a token bucket holding at least one 4 MiB body);
  // past it such bodies get 503 (Meta retries).
  std::size_t unverified_parse_bytes_per_second = 8 * 1024 * 1024;
  // /health: how long the probe's write transaction waits for another process's lock, and how
  // long the answer waits for the writer at all (it may be mid-commit or stuck on a lock).
  std::chrono::milliseconds probe_busy_timeout{250};
  std::chrono::milliseconds probe_deadline{1000};
  // WAL checkpoints: a background thread runs one this often; the writer itself only when the
  // WAL holds more than checkpoint_backstop_pages pages (SQLite's default would be 1000).
  std::chrono::milliseconds checkpoint_interval{50};
  int checkpoint_backstop_pages = 10000;
  /// Called on the writer thread right after a commit that queued forwarding deliveries (wire
  /// to forward::deliverer::notify so they go out at once instead of at the next poll).
  std::function<void()> on_forward_events;
  /// Makes the writer's commits durable before their requests are answered. Default (empty):
  /// fdatasync of the database's WAL file. Tests replace it to play a failing disk.
  std::function<boost::system::error_code()> wal_sync;
  /// Called once, from a background thread, when a WAL sync has failed: from then on nothing is
  /// written or acknowledged, and the process should exit non-zero without closing the database
  /// cleanly (main does), so a supervisor restarts it and SQLite recovers from the disk.
  std::function<void()> on_sync_failure;
  /// More Prometheus text for /metrics (the HTTP server's connection gauges); called on the
  /// io_context's thread.
  std::function<std::string()> extra_metrics;
};

/// Answer to a subscription handshake: the challenge when mode and token are right.
std::optional<std::string> handshake_challenge(const meta::account_config& accounts,
                                               std::string_view query);

/// The webhook service. open() before serving, close() after the io_context has finished.
class webhook_service {
 public:
  /// A service answering on `io`.
  webhook_service(boost::asio::io_context& io, webhook_service_options options);
  ~webhook_service();
  webhook_service(const webhook_service&) = delete;
  webhook_service& operator=(const webhook_service&) = delete;

  /// Open (and migrate) the database and start the writer and media threads.
  boost::system::result<void> open();

  /// The routes to serve.
  http::router routes();

  /// Count an answered request (wire into server_options::on_response).
  void on_response(std::string_view route, int status, std::chrono::nanoseconds elapsed);

  /// Returns true once no webhook waits for the writer or is being written and none was handed
  /// to it for a few milliseconds (under load the next burst is on its way), false after
  /// `at_most` if that has not come. For work that can wait (tool calls): on a busy machine it
  /// leaves the CPU to the webhooks, which Meta times out and retries, and costs nothing while
  /// none arrive. Any thread.
  bool wait_while_writing(std::chrono::microseconds at_most) const;

  /// Drain the writer queue, stop the workers and close the database.
  void close();

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace pons::webhook
