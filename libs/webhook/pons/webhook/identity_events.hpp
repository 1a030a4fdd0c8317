#pragma once
// Applies what an inbound message says about its sender's ids (domain::identity_notice) to the
// stored contacts: a changed phone number or BSUID, or a phone number the user shared.

#include <cstdint>

#include "pons/domain/message.hpp"
#include "pons/store/error.hpp"
#include "pons/store/timestamp.hpp"

namespace pons::store {
class database;
}

namespace pons::webhook {

/// Gives the contact the message is about the ids `notice` names. The contact is the one that
/// holds the notice's previous BSUID when there is one, else the sender (`sender_contact_id`).
/// Remembered contact and conversation ids may be stale afterwards (a merge deletes one contact).
/// Call inside the ingest transaction.
store::result<void> apply_identity_notice(store::database& db, std::int64_t account_id,
                                          std::int64_t sender_contact_id,
                                          const domain::identity_notice& notice,
                                          store::time_point now);

}  // namespace pons::webhook
