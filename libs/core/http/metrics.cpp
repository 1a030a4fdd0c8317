#include "core/http/metrics.hpp"

#include <fmt/format.h>

namespace pons::http {

void metrics::count_request(std::string_view route, int status) {
  std::lock_guard lock(mu_);
  ++requests_[{std::string(route), status}];
}

void metrics::count_signature_failure() {
  std::lock_guard lock(mu_);
  ++signature_failures_;
}

void metrics::count_duplicates(std::uint64_t n) {
  std::lock_guard lock(mu_);
  duplicates_ += n;
}

void metrics::count_queue_full() {
  std::lock_guard lock(mu_);
  ++queue_full_;
}

void metrics::count_probe() {
  std::lock_guard lock(mu_);
  ++probes_;
}

void metrics::observe_ingest(std::chrono::nanoseconds latency) {
  double s = std::chrono::duration<double>(latency).count();
  std::lock_guard lock(mu_);
  for (std::size_t i = 0; i < buckets.size(); ++i)
    if (s <= buckets[i]) ++ingest_buckets_[i];
  ++ingest_count_;
  ingest_sum_ += s;
}

void metrics::observe_commit(std::size_t requests, std::chrono::nanoseconds wall,
                             std::chrono::nanoseconds cpu) {
  std::lock_guard lock(mu_);
  ++commits_;
  committed_requests_ += requests;
  writer_wall_ += std::chrono::duration<double>(wall).count();
  writer_cpu_ += std::chrono::duration<double>(cpu).count();
}

void metrics::count_pruned(std::uint64_t webhook_log, std::uint64_t processed_events) {
  std::lock_guard lock(mu_);
  ++prune_runs_;
  pruned_log_ += webhook_log;
  pruned_keys_ += processed_events;
}

std::string metrics::render(std::string_view extra) const {
  std::lock_guard lock(mu_);
  std::string out;
  out += "# HELP pons_http_requests_total HTTP requests answered, by route and status.\n";
  out += "# TYPE pons_http_requests_total counter\n";
  for (const auto& [key, n] : requests_)
    out += fmt::format("pons_http_requests_total{{route=\"{}\",status=\"{}\"}} {}\n", key.first,
                       key.second, n);
  out +=
      "# HELP pons_webhook_signature_failures_total Webhook POSTs refused (bad signature or "
      "unknown number).\n";
  out += "# TYPE pons_webhook_signature_failures_total counter\n";
  out += fmt::format("pons_webhook_signature_failures_total {}\n", signature_failures_);
  out +=
      "# HELP pons_webhook_parses_total Webhook bodies parsed as JSON, after or before their "
      "signature was verified.\n";
  out += "# TYPE pons_webhook_parses_total counter\n";
  out += fmt::format("pons_webhook_parses_total{{signature=\"verified\"}} {}\n",
                     verified_parses_.load(std::memory_order_relaxed));
  out += fmt::format("pons_webhook_parses_total{{signature=\"unverified\"}} {}\n",
                     unverified_parses_.load(std::memory_order_relaxed));
  out +=
      "# HELP pons_webhook_parse_budget_refusals_total Webhook POSTs answered 503 because the "
      "budget for parsing unverified bodies was spent.\n";
  out += "# TYPE pons_webhook_parse_budget_refusals_total counter\n";
  out += fmt::format("pons_webhook_parse_budget_refusals_total {}\n",
                     parse_budget_refusals_.load(std::memory_order_relaxed));
  out += "# HELP pons_webhook_duplicates_total Deliveries already stored (replays).\n";
  out += "# TYPE pons_webhook_duplicates_total counter\n";
  out += fmt::format("pons_webhook_duplicates_total {}\n", duplicates_);
  out += "# HELP pons_webhook_queue_full_total POSTs answered 503 because the writer was busy.\n";
  out += "# TYPE pons_webhook_queue_full_total counter\n";
  out += fmt::format("pons_webhook_queue_full_total {}\n", queue_full_);
  out +=
      "# HELP pons_writer_probes_total Database probes the writer ran for /health and /metrics.\n";
  out += "# TYPE pons_writer_probes_total counter\n";
  out += fmt::format("pons_writer_probes_total {}\n", probes_);
  out += "# HELP pons_webhook_ingest_seconds Time from request arrival to durable commit.\n";
  out += "# TYPE pons_webhook_ingest_seconds histogram\n";
  for (std::size_t i = 0; i < buckets.size(); ++i)
    out += fmt::format("pons_webhook_ingest_seconds_bucket{{le=\"{}\"}} {}\n", buckets[i],
                       ingest_buckets_[i]);
  out += fmt::format("pons_webhook_ingest_seconds_bucket{{le=\"+Inf\"}} {}\n", ingest_count_);
  out += fmt::format("pons_webhook_ingest_seconds_sum {:.6f}\n", ingest_sum_);
  out += fmt::format("pons_webhook_ingest_seconds_count {}\n", ingest_count_);
  out += "# HELP pons_webhook_commits_total Group commits (transactions) written.\n";
  out += "# TYPE pons_webhook_commits_total counter\n";
  out += fmt::format("pons_webhook_commits_total {}\n", commits_);
  out += "# HELP pons_webhook_committed_requests_total Requests made durable by group commits.\n";
  out += "# TYPE pons_webhook_committed_requests_total counter\n";
  out += fmt::format("pons_webhook_committed_requests_total {}\n", committed_requests_);
  out +=
      "# HELP pons_webhook_writer_busy_seconds_total Wall-clock time the writer spent on group "
      "commits (statements and fsync).\n";
  out += "# TYPE pons_webhook_writer_busy_seconds_total counter\n";
  out += fmt::format("pons_webhook_writer_busy_seconds_total {:.6f}\n", writer_wall_);
  out +=
      "# HELP pons_webhook_writer_cpu_seconds_total CPU time of the writer thread for group "
      "commits.\n";
  out += "# TYPE pons_webhook_writer_cpu_seconds_total counter\n";
  out += fmt::format("pons_webhook_writer_cpu_seconds_total {:.6f}\n", writer_cpu_);
  out += "# HELP pons_prune_runs_total Pruning passes over webhook_log and processed_events.\n";
  out += "# TYPE pons_prune_runs_total counter\n";
  out += fmt::format("pons_prune_runs_total {}\n", prune_runs_);
  out += "# HELP pons_pruned_rows_total Rows deleted by pruning, by table.\n";
  out += "# TYPE pons_pruned_rows_total counter\n";
  out += fmt::format("pons_pruned_rows_total{{table=\"webhook_log\"}} {}\n", pruned_log_);
  out += fmt::format("pons_pruned_rows_total{{table=\"processed_events\"}} {}\n", pruned_keys_);
  out += "# HELP pons_webhook_writer_queue_depth Requests waiting for the writer.\n";
  out += "# TYPE pons_webhook_writer_queue_depth gauge\n";
  out += fmt::format("pons_webhook_writer_queue_depth {}\n", writer_queue_depth.load());
  out += extra;
  return out;
}

}  // namespace pons::http
