#include "pons/webhook/metrics.hpp"

#include <fmt/format.h>

#include "pons/prometheus/text.hpp"

namespace pons::webhook {

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
  namespace prom = pons::prometheus;
  std::lock_guard lock(mu_);
  std::string out;
  prom::append_family(out, "pons_http_requests_total", "counter",
                      "HTTP requests answered, by route and status.");
  for (const auto& [key, n] : requests_)
    prom::append_sample(out, "pons_http_requests_total",
                        {{"route", key.first}, {"status", std::to_string(key.second)}}, n);
  prom::append_metric(out, "pons_webhook_signature_failures_total", "counter",
                      "Webhook POSTs refused (bad signature or unknown number).",
                      signature_failures_);
  prom::append_family(
      out, "pons_webhook_parses_total", "counter",
      "Webhook bodies parsed as JSON, after or before their signature was verified.");
  prom::append_sample(out, "pons_webhook_parses_total", {{"signature", "verified"}},
                      verified_parses_.load(std::memory_order_relaxed));
  prom::append_sample(out, "pons_webhook_parses_total", {{"signature", "unverified"}},
                      unverified_parses_.load(std::memory_order_relaxed));
  prom::append_family(out, "pons_webhook_parse_budget_refusals_total", "counter",
                      "Webhook POSTs answered 503 because the budget for parsing unverified "
                      "bodies was spent.");
  prom::append_sample(out, "pons_webhook_parse_budget_refusals_total",
                      parse_budget_refusals_.load(std::memory_order_relaxed));
  prom::append_metric(out, "pons_webhook_duplicates_total", "counter",
                      "Deliveries already stored (replays).", duplicates_);
  prom::append_metric(out, "pons_webhook_queue_full_total", "counter",
                      "POSTs answered 503 because the writer was busy.", queue_full_);
  prom::append_metric(out, "pons_writer_probes_total", "counter",
                      "Database probes the writer ran for /health and /metrics.", probes_);
  prom::append_family(out, "pons_webhook_ingest_seconds", "histogram",
                      "Time from request arrival to durable commit.");
  for (std::size_t i = 0; i < buckets.size(); ++i)
    prom::append_sample(out, "pons_webhook_ingest_seconds_bucket",
                        {{"le", fmt::format("{}", buckets[i])}}, ingest_buckets_[i]);
  prom::append_sample(out, "pons_webhook_ingest_seconds_bucket", {{"le", "+Inf"}}, ingest_count_);
  prom::append_sample(out, "pons_webhook_ingest_seconds_sum", fmt::format("{:.6f}", ingest_sum_));
  prom::append_sample(out, "pons_webhook_ingest_seconds_count", ingest_count_);
  prom::append_metric(out, "pons_webhook_commits_total", "counter",
                      "Group commits (transactions) written.", commits_);
  prom::append_metric(out, "pons_webhook_committed_requests_total", "counter",
                      "Requests made durable by group commits.", committed_requests_);
  prom::append_metric(out, "pons_webhook_groups_written_again_total", "counter",
                      "Group commits written a second time, request by request: a request "
                      "failed, or another writer committed a row the group had looked up as new.",
                      groups_written_again_.load(std::memory_order_relaxed));
  prom::append_family(out, "pons_webhook_writer_busy_seconds_total", "counter",
                      "Wall-clock time the writer spent on group commits (statements and fsync).");
  prom::append_sample(out, "pons_webhook_writer_busy_seconds_total",
                      fmt::format("{:.6f}", writer_wall_));
  prom::append_family(out, "pons_webhook_writer_cpu_seconds_total", "counter",
                      "CPU time of the writer thread for group commits.");
  prom::append_sample(out, "pons_webhook_writer_cpu_seconds_total",
                      fmt::format("{:.6f}", writer_cpu_));
  prom::append_metric(out, "pons_prune_runs_total", "counter",
                      "Pruning passes over webhook_log and processed_events.", prune_runs_);
  prom::append_family(out, "pons_pruned_rows_total", "counter",
                      "Rows deleted by pruning, by table.");
  prom::append_sample(out, "pons_pruned_rows_total", {{"table", "webhook_log"}}, pruned_log_);
  prom::append_sample(out, "pons_pruned_rows_total", {{"table", "processed_events"}}, pruned_keys_);
  prom::append_metric(out, "pons_webhook_writer_queue_depth", "gauge",
                      "Requests waiting for the writer.", writer_queue_depth.load());
  out += extra;
  return out;
}

}  // namespace pons::webhook
