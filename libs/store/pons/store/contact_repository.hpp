#pragma once
// Contacts: WhatsApp users seen by an account. A contact has a wa_id (phone-based id, exactly as
// Meta sent it), a user_id (business-scoped id of username users), or both.

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

/// One row of `contacts`.
struct contact_record {
  std::int64_t id = 0;
  std::int64_t account_id = 0;
  std::string wa_id;
  std::string user_id;
  std::string username;
  std::string profile_name;
  std::string parent_user_id;
  std::string created_at;
  std::string updated_at;
};

/// What upsert_contact did to find the contact.
enum class contact_upsert {
  found,    // it was stored already (and may have been updated)
  created,  // it is new: nothing refers to it yet
  merged,   // two contacts became this one: callers that remember contact ids must forget them
};

/// Finds the contact by wa_id, then by user_id, within the account, and creates or updates it:
/// empty fields never overwrite known ones, and a missing wa_id/user_id is filled in. When Meta
/// names both ids and they belong to two contacts (one known only by phone, the other only by
/// BSUID), the two are merged into the phone's contact (see merge_contacts).
/// Fails with invalid_argument when both wa_id and user_id are empty. `outcome`, when given, is
/// set to what was done.
result<contact_record> upsert_contact(database& db, std::int64_t account_id,
                                      const domain::contact& c, time_point now,
                                      contact_upsert* outcome = nullptr);

/// A new contact with the id `id` (reserved by the caller): the insert is queued
/// (statement::run_later), not waited for. For a caller that knows no contact of the account has
/// c's wa_id (or user id); another writer's commit of one fails the insert on the unique index.
result<contact_record> queue_new_contact(database& db, std::int64_t account_id,
                                         const domain::contact& c, time_point now, std::int64_t id);

/// The contact of the account with this business-scoped user id, or nullopt.
result<std::optional<contact_record>> find_contact_by_user_id(database& db, std::int64_t account_id,
                                                              std::string_view user_id);

/// The contact with this row id, or nullopt.
result<std::optional<contact_record>> get_contact(database& db, std::int64_t id);

/// Contacts (any account) whose wa_id, user_id or username equals `key` exactly; a key with a
/// leading '+' also matches the wa_id without it.
result<std::vector<contact_record>> find_contacts(database& db, std::string_view key);

/// Contacts whose profile name or username contains `text` (case-insensitive), or whose wa_id
/// starts with its digits, best (prefix) matches first, at most `limit`.
result<std::vector<contact_record>> search_contacts(database& db, std::string_view text,
                                                    int limit = 20);

}  // namespace pons::store
