#pragma once
// Counters and a latency histogram for pons-webhook, rendered in Prometheus text format.
// Thread-safe: the io thread counts requests, the writer thread reports commits.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace pons::webhook {

/// Service metrics.
class metrics {
 public:
  /// Count one answered request.
  void count_request(std::string_view route, int status);
  /// Count a webhook POST refused for a missing or wrong signature, or an unknown number.
  void count_signature_failure();
  /// Count deliveries that were already stored (idempotent replays).
  void count_duplicates(std::uint64_t n);
  /// Count a POST answered 503 because the writer queue was full.
  void count_queue_full();
  /// Count one webhook body parsed as JSON: after its signature was verified, or before (only with
  /// more app secrets than are tried blindly, see parse_budget.hpp). Lock-free: once per POST.
  void count_parse(bool verified) noexcept {
    (verified ? verified_parses_ : unverified_parses_).fetch_add(1, std::memory_order_relaxed);
  }
  /// Count a POST answered 503 because the unverified-parse budget was spent.
  void count_parse_budget_refusal() noexcept {
    parse_budget_refusals_.fetch_add(1, std::memory_order_relaxed);
  }
  /// Count one database probe run by the writer (for /health and /metrics).
  void count_probe();
  /// Observe the time from a request's arrival to its durable commit.
  void observe_ingest(std::chrono::nanoseconds latency);
  /// Observe one group commit of `requests` requests, with the writer's wall-clock time for it
  /// (statements and fsync) and its own CPU time: a wide gap means fsync or a busy machine.
  void observe_commit(std::size_t requests, std::chrono::nanoseconds wall,
                      std::chrono::nanoseconds cpu);
  /// Count group commits written a second time, request by request (see
  /// ingest_memo::groups_written_again).
  void count_groups_written_again(std::uint64_t n) noexcept {
    groups_written_again_.fetch_add(n, std::memory_order_relaxed);
  }
  /// Count rows deleted by pruning (webhook_log rows, idempotency keys).
  void count_pruned(std::uint64_t webhook_log, std::uint64_t processed_events);

  /// Current writer queue depth (set by the service).
  std::atomic<std::int64_t> writer_queue_depth{0};

  /// Render everything, followed by `extra` (already formatted gauges, may be empty).
  std::string render(std::string_view extra) const;

  /// Upper bounds of the ingest latency buckets, in seconds.
  static constexpr std::array<double, 12> buckets{0.0005, 0.001, 0.002, 0.005, 0.01, 0.025,
                                                  0.05,   0.1,   0.25,  0.5,   1.0,  2.5};

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, std::uint64_t> requests_;
  std::uint64_t signature_failures_ = 0;
  std::uint64_t duplicates_ = 0;
  std::uint64_t queue_full_ = 0;
  std::uint64_t probes_ = 0;
  std::array<std::uint64_t, buckets.size()> ingest_buckets_{};
  std::uint64_t ingest_count_ = 0;
  double ingest_sum_ = 0;
  std::uint64_t commits_ = 0;
  std::uint64_t committed_requests_ = 0;
  double writer_wall_ = 0;
  double writer_cpu_ = 0;
  std::uint64_t pruned_log_ = 0;
  std::uint64_t pruned_keys_ = 0;
  std::uint64_t prune_runs_ = 0;
  std::atomic<std::uint64_t> verified_parses_{0};
  std::atomic<std::uint64_t> unverified_parses_{0};
  std::atomic<std::uint64_t> parse_budget_refusals_{0};
  std::atomic<std::uint64_t> groups_written_again_{0};
};

}  // namespace pons::webhook
