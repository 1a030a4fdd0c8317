#pragma once
// What a contact asked about marketing messages from one of our numbers: Meta's user_preferences
// webhook ("stop" or "resume") or a send Meta failed with 131050. The latest change by Meta's
// time wins, so a webhook delivered late does not undo a newer one.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pons/store/error.hpp"
#include "pons/store/timestamp.hpp"

namespace pons::store {

class database;

/// The category Meta's user_preferences webhook uses for marketing messages.
inline constexpr std::string_view marketing_messages = "marketing_messages";

/// One stored preference.
struct contact_preference {
  std::int64_t contact_id = 0;
  std::string phone_number_id;
  std::string category = std::string(marketing_messages);
  std::string value;   // "stop" or "resume"
  std::string detail;  // Meta's words, or why Pons recorded it
  std::string source;  // "user_preferences" or "error_131050"
  std::string changed_at;
  std::string updated_at;
};

/// Stores `p` unless a more recent change is stored; 1 when it was stored, else 0.
/// store_errc::invalid_argument for a value other than "stop"/"resume" or an unknown source.
result<int> record_contact_preference(database& db, const contact_preference& p, time_point now);

/// The preference of `contact_id` for `category` on `phone_number_id`, or nullopt when none was
/// ever recorded (a contact without one is subscribed).
result<std::optional<contact_preference>> find_contact_preference(database& db,
                                                                  std::int64_t contact_id,
                                                                  std::string_view phone_number_id,
                                                                  std::string_view category);

/// Every preference of `contact_id`, by number.
result<std::vector<contact_preference>> list_contact_preferences(database& db,
                                                                 std::int64_t contact_id);

}  // namespace pons::store
