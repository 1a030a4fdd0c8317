// Set-up shared by the forwarding repository tests: a target and a number of queued events.
#pragma once

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <utility>

#include "pons/forward/outbox.hpp"
#include "pons/forward/target_repository.hpp"
#include "pons/store/database.hpp"

namespace pons::forward::test {

/// Adds an enabled target for `url` (default timeout) at `now`; returns its id.
inline std::int64_t add_test_target(store::database& db, std::string url, int max_attempts,
                                    store::time_point now) {
  target_spec spec;
  spec.url = std::move(url);
  spec.max_attempts = max_attempts;
  auto r = add_target(db, spec, now);
  REQUIRE(r.has_value());
  return r->value.id;
}

/// Queues `n` inbound-message events at `now`: one delivery per event for every target.
inline void enqueue_test_events(store::database& db, int n, store::time_point now) {
  for (int i = 0; i < n; ++i) {
    REQUIRE(
        enqueue_event(db, event{"message.inbound.received", "waba", "pn", "{}", now, {}, {}}, now)
            .has_value());
  }
}

}  // namespace pons::forward::test
