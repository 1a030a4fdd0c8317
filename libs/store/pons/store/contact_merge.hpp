#pragma once
// Two contacts of one account found to be one WhatsApp user (Meta linked a phone number and a
// business-scoped user id, or a changed number arrived as a new contact): one is folded into the
// other, so the person has one history, one set of conversations and one preference record.

#include <cstdint>

#include "pons/store/error.hpp"
#include "pons/store/timestamp.hpp"

namespace pons::store {

class database;

/// Moves everything of contact `gone` to contact `keep` and deletes `gone`: its conversations
/// (a conversation on a number both have becomes one: messages, labels, note, unread counts and
/// window joined), its messages, marketing preferences (the later change wins) and identity
/// history; ids and names `keep` lacks are taken from `gone`, and the merge is recorded in
/// contact_identity_changes. Call inside the caller's write transaction.
result<void> merge_contacts(database& db, std::int64_t keep, std::int64_t gone, time_point now);

}  // namespace pons::store
