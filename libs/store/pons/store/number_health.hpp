#pragma once
// What Meta last said about one of our numbers and its account: quality updates
// (phone_number_quality_update: the event and the messaging limit tier), display name decisions
// (phone_number_name_update), and the account's standing (account_update: a violation, a
// restriction, a ban), kept as they arrive.

#include <optional>
#include <string>
#include <string_view>

#include "pons/store/error.hpp"
#include "pons/store/timestamp.hpp"

namespace pons::store {

class database;

/// A number's standing as Meta last reported it.
struct number_health {
  std::string phone_number_id;
  std::string display_phone_number;
  std::string quality_event;         // UPGRADE, DOWNGRADE, FLAGGED, THROUGHPUT_UPGRADE...
  std::string messaging_limit_tier;  // TIER_1K ... TIER_UNLIMITED
  std::string updated_at;
  std::string name_decision;  // APPROVED, REJECTED, DEFERRED...
  std::string requested_name;
  std::string name_rejection_reason;
  std::string name_updated_at;
  std::string standing_event;  // the account's: ACCOUNT_VIOLATION, ACCOUNT_RESTRICTION...
  std::string standing_detail;
  std::string standing_updated_at;
};

/// Records a display name decision for the number of account `waba_id` whose display number
/// has the digits of `display_phone_number`; returns its id, or "" for a number not stored.
result<std::string> record_name_update(database& db, std::string_view waba_id,
                                       std::string_view display_phone_number,
                                       std::string_view decision, std::string_view requested_name,
                                       std::string_view rejection_reason, time_point now);

/// Records what Meta said about account `waba_id`'s standing; the accounts updated (0 for an
/// account not stored).
result<int> record_account_standing(database& db, std::string_view waba_id, std::string_view event,
                                    std::string_view detail, time_point now);

/// Records a quality update for the number of account `waba_id` whose display number has the
/// digits of `display_phone_number`; returns that number's id, or "" when no such number is
/// stored (Meta names the number by its display form only).
result<std::string> record_quality_update(database& db, std::string_view waba_id,
                                          std::string_view display_phone_number,
                                          std::string_view event, std::string_view limit_tier,
                                          time_point now);

/// The stored standing of `phone_number_id`, or nullopt for an unknown number.
result<std::optional<number_health>> find_number_health(database& db,
                                                        std::string_view phone_number_id);

}  // namespace pons::store
