#pragma once
// Delivery statuses. Every status Meta reports for a message of its own number is recorded in
// message_status_events; it changes the message only when it moves it forward (played > read >
// delivered > failed > sent > pending, see domain/status_order.hpp). A status for a wamid we do
// not know yet is kept and applied when that wamid appears on a message of the status's number
// (Meta's webhook can beat the send API's response). A status whose wamid is a message of another
// number is neither applied nor recorded: one account's webhooks never touch another's messages.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pons/domain/message.hpp"
#include "pons/store/error.hpp"
#include "pons/store/timestamp.hpp"

namespace pons::store {

class database;

/// What apply_status did.
struct status_outcome {
  bool known_message = false;  // a message of the status's number has this wamid
  bool applied = false;        // the message's status moved forward
  bool foreign = false;        // the wamid is a message of another number: nothing was written
  std::int64_t message_id = 0;
  std::string current_status;  // the message's status afterwards ("" when unknown)
};

/// The message a wamid names, as a status needs it.
struct status_target {
  std::int64_t message_id = 0;
  std::string status;
  std::string phone_number_id;
};

/// The message with `wamid`, or nullopt when none has it (yet).
result<std::optional<status_target>> find_status_target(database& db, std::string_view wamid);

/// True when a status reported under `phone_number_id` may not touch `target` (another number's
/// message). Numbers are compared as stored: canonical digit strings.
bool foreign_status(const std::optional<status_target>& target, std::string_view phone_number_id);

/// Records the status and applies it when it advances the message. A status for a message of
/// another number changes and records nothing (outcome.foreign).
result<status_outcome> apply_status(database& db, const domain::status_update& s, time_point now);

/// apply_status with the message already looked up by find_status_target (in the same
/// transaction).
result<status_outcome> apply_status(database& db, const domain::status_update& s,
                                    const std::optional<status_target>& target, time_point now);

/// Meta's code for a marketing template refused because the user stopped marketing messages.
inline constexpr int marketing_opted_out_code = 131050;

/// Records that the contact of message `message_id` stopped marketing messages from its number
/// (the message failed with 131050 at `meta_unix_seconds`, 0 when unknown).
result<void> record_opt_out(database& db, std::int64_t message_id, std::int64_t meta_unix_seconds,
                            time_point now);

/// Keeps what Meta says message `message_id` costs in kind (its status's pricing object): the
/// latest one wins.
result<void> record_pricing(database& db, std::int64_t message_id,
                            const domain::status_pricing& pricing, std::string_view at);

/// Applies, in arrival order, the statuses recorded for `wamid` under the message's own number
/// before message `message_id` had it. Returns how many advanced the message. Called when a wamid
/// is attached to a message; early statuses of other numbers stay unattached.
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
