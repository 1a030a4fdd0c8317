#pragma once
// A contact's ids changed, as Meta says in a system message: the user moved to a new phone number
// (user_changed_number: a new wa_id, and Meta regenerates the BSUID), or only their
// business-scoped user id changed (user_changed_user_id). Or the user shared their phone number
// with us (a contacts message sent through a request-contact-info button).

#include <cstdint>
#include <string>

#include "pons/store/contact_repository.hpp"
#include "pons/store/error.hpp"
#include "pons/store/timestamp.hpp"

namespace pons::store {

class database;

/// Why a contact's ids change.
enum class identity_change_kind { number_changed, user_id_changed, phone_shared };

/// The ids Meta now gives the contact; an empty one is left as it is.
struct new_identity {
  std::string wa_id;
  std::string user_id;
  std::string parent_user_id;
};

/// Gives contact `contact_id` the ids in `ids`. Another contact of the account that already has
/// one of them (the user wrote from the new number before the system message came) is merged
/// into this one first. A number or BSUID change is recorded in contact_identity_changes with
/// the ids it replaced; a shared phone number only fills a missing wa_id (a known one is kept).
/// Call inside the caller's write transaction. Returns the contact as stored after the change.
result<contact_record> change_contact_identity(database& db, std::int64_t contact_id,
                                               identity_change_kind kind, const new_identity& ids,
                                               time_point now);

/// One earlier identity of a contact, newest first in contact_identity_history.
struct identity_change_record {
  std::string kind;  // number_changed, user_id_changed or merged
  std::string previous_wa_id;
  std::string previous_user_id;
  std::string changed_at;
};

/// The contact's recorded identity changes, newest first, at most `limit`.
result<std::vector<identity_change_record>> contact_identity_history(database& db,
                                                                     std::int64_t contact_id,
                                                                     int limit = 20);

}  // namespace pons::store
