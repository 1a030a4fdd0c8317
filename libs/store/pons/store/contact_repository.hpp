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
  std::string created_at;
  std::string updated_at;
};

/// Finds the contact by wa_id, then by user_id, within the account, and creates or updates it:
/// empty fields never overwrite known ones, and a missing wa_id/user_id is filled in.
/// Fails with invalid_argument when both wa_id and user_id are empty.
result<contact_record> upsert_contact(database& db, std::int64_t account_id,
                                      const domain::contact& c, time_point now);

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
