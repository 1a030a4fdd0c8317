#pragma once
// Delivery statuses. Every status Meta reports is recorded in message_status_events; it changes
// the message only when it moves it forward (played > read > delivered > failed > sent > pending,
// see domain/status_order.hpp). A status for a wamid we do not know yet is kept and applied when
// that wamid appears (Meta's webhook can beat the send API's response).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/domain/message.hpp"
#include "core/store/error.hpp"
#include "core/store/timestamp.hpp"

namespace pons::store {

class database;

/// What apply_status did.
struct status_outcome {
  bool known_message = false;  // a message with this wamid exists
  bool applied = false;        // the message's status moved forward
  std::int64_t message_id = 0;
  std::string current_status;  // the message's status afterwards ("" when unknown)
};

/// Records the status and applies it when it advances the message.
result<status_outcome> apply_status(database& db, const domain::status_update& s, time_point now);

/// Applies, in arrival order, the statuses recorded for `wamid` before message `message_id` had
/// it. Returns how many advanced the message. Called when a wamid is attached to a message.
result<int> adopt_early_statuses(database& db, std::int64_t message_id, std::string_view wamid);

/// One row of message_status_events.
struct status_event_record {
  std::int64_t id = 0;
  std::string wamid;
  std::optional<std::int64_t> message_id;  // nullopt while the message is unknown
  std::string status;
  bool applied = false;
  std::int64_t ts = 0;
  std::optional<int> error_code;
  std::string error_title;
  std::string error_details;
  std::string pricing_category;
  std::string created_at;
};

/// Every status recorded for `wamid`, in arrival order.
result<std::vector<status_event_record>> list_status_events(database& db, std::string_view wamid);

}  // namespace pons::store
