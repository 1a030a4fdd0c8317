#pragma once
// Forwarding health for /metrics, in Prometheus text format.

#include <string>

#include "pons/forward/error.hpp"

namespace pons::store {
class database;
}

namespace pons::forward {

/// Gauges per target (label target="<id>"; URLs stay out, they may carry tokens):
/// pons_forward_target_enabled, pons_forward_target_consecutive_failures,
/// pons_forward_target_last_success_timestamp_seconds, ..._last_failure_timestamp_seconds
/// (0 = never), pons_forward_target_queued (pending or being sent), pons_forward_target_dead.
/// Each family has its HELP and TYPE lines; empty when there are no targets.
result<std::string> render_target_metrics(store::database& db);

}  // namespace pons::forward
