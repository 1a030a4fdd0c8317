#include "pons/forward/target_metrics.hpp"

#include <fmt/format.h>

#include <chrono>
#include <vector>

#include "pons/prometheus/text.hpp"
#include "pons/store/database.hpp"
#include "pons/store/timestamp.hpp"

namespace pons::forward {

namespace {

struct row {
  std::int64_t id = 0;
  bool enabled = false;
  std::int64_t failures = 0;
  std::string last_success;
  std::string last_failure;
  std::int64_t queued = 0;
  std::int64_t dead = 0;
};

std::string unix_seconds(const std::string& stamp) {
  auto t = store::parse_timestamp(stamp);
  if (!t) return "0";
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t->time_since_epoch()).count();
  return fmt::format("{}.{:03}", ms / 1000, ms % 1000);
}

}  // namespace

result<std::string> render_target_metrics(store::database& db) {
  auto st = db.prepare(
      "SELECT t.id, t.enabled, t.consecutive_failures, t.last_success_at, t.last_failure_at, "
      "(SELECT COUNT(*) FROM webhook_deliveries d WHERE d.target_id = t.id "
      " AND d.state IN ('pending', 'delivering')), "
      "(SELECT COUNT(*) FROM webhook_deliveries d WHERE d.target_id = t.id AND d.state = 'dead') "
      "FROM webhook_targets t ORDER BY t.id");
  if (!st) return st.error();
  std::vector<row> rows;
  for (;;) {
    auto step = st->step();
    if (!step) return step.error();
    if (!*step) break;
    rows.push_back({st->column_int64(0), st->column_int64(1) != 0, st->column_int64(2),
                    st->column_text(3), st->column_text(4), st->column_int64(5),
                    st->column_int64(6)});
  }
  std::string out;
  if (rows.empty()) return out;
  auto family = [&](const char* name, const char* help, auto value) {
    prometheus::append_family(out, name, "gauge", help);
    for (const auto& r : rows)
      prometheus::append_sample(out, name, {{"target", std::to_string(r.id)}}, value(r));
  };
  family("pons_forward_target_enabled", "1 when the forwarding target is enabled.",
         [](const row& r) { return r.enabled ? "1" : "0"; });
  family("pons_forward_target_consecutive_failures",
         "Failed delivery attempts since the target's last success.",
         [](const row& r) { return std::to_string(r.failures); });
  family("pons_forward_target_last_success_timestamp_seconds",
         "Unix time of the target's last successful delivery (0 = never).",
         [](const row& r) { return unix_seconds(r.last_success); });
  family("pons_forward_target_last_failure_timestamp_seconds",
         "Unix time of the target's last failed attempt (0 = never).",
         [](const row& r) { return unix_seconds(r.last_failure); });
  family("pons_forward_target_queued", "Deliveries waiting for or in their next attempt.",
         [](const row& r) { return std::to_string(r.queued); });
  family("pons_forward_target_dead", "Deliveries that used up their attempts.",
         [](const row& r) { return std::to_string(r.dead); });
  return out;
}

}  // namespace pons::forward
