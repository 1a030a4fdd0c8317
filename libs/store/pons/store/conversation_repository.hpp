#pragma once
// Conversations: one per (our phone number, contact), with the 24-hour customer-service window,
// a preview of the last message and an unread count.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pons/store/error.hpp"
#include "pons/store/timestamp.hpp"

namespace pons::store {

class database;

/// One conversation with its contact's identity.
struct conversation_record {
  std::int64_t id = 0;
  std::string phone_number_id;
  std::int64_t contact_id = 0;
  std::string contact_wa_id;
  std::string contact_user_id;
  std::string contact_username;
  std::string contact_profile_name;
  std::string last_message_at;   // server time of the newest message, "" when none
  std::string last_inbound_at;   // server time of the newest inbound message
  std::string last_outbound_at;  // server time of the newest outbound message
  std::string last_direction;    // "inbound", "outbound" or ""
  std::string preview;
  std::int64_t unread_count = 0;
  std::string window_expires_at;  // "" when the contact never wrote
  bool archived = false;
};

/// Filters for list_conversations.
struct conversation_filter {
  std::string phone_number_id;   // "" = every number
  bool unread_only = false;      // unread_count > 0
  bool unanswered_only = false;  // the last message is inbound
  bool include_archived = false;
  std::string before_last_message_at;  // paging: only conversations older than this ("" = newest)
  int limit = 50;
};

/// Returns the id of the conversation for (phone number, contact), creating it when missing.
result<std::int64_t> upsert_conversation(database& db, std::string_view phone_number_id,
                                         std::int64_t contact_id, time_point now);

/// Creates the conversation for (phone number, contact) without looking for one first: for a
/// contact created in the caller's transaction, which no conversation can refer to yet. Fails
/// with constraint when the conversation exists.
result<std::int64_t> insert_conversation(database& db, std::string_view phone_number_id,
                                         std::int64_t contact_id, time_point now);

/// insert_conversation with the id `id` (reserved by the caller), queued (statement::run_later)
/// rather than waited for.
result<void> queue_new_conversation(database& db, std::string_view phone_number_id,
                                    std::int64_t contact_id, time_point now, std::int64_t id);

/// Records an inbound message: unread_count + 1, preview, last times, and the window extended to
/// `window_expires_at` (never shortened: Meta delivers out of order). Un-archives. A write
/// nobody reads back at once: it may be queued (statement::run_later).
result<void> record_inbound(database& db, std::int64_t conversation_id,
                            std::string_view message_created_at, std::string_view window_expires_at,
                            std::string_view preview);

/// What record_inbound does for several inbound messages of one conversation, in one row.
struct inbound_touch {
  std::int64_t conversation_id = 0;
  int messages = 0;
  std::string last;               // the created_at of the last one recorded (the latest)
  std::string window_expires_at;  // the latest of their windows
  std::string preview;            // the last one's
};

/// record_inbound for each message of `touches`, in as few statements as the engine takes:
/// the same columns as calling it message by message (a conversation appears once in
/// `touches`). It may be queued (statement::run_later).
result<void> record_inbound_many(database& db, const std::vector<inbound_touch>& touches);

/// Records an outbound message: preview and last times; the unread count is untouched.
result<void> record_outbound(database& db, std::int64_t conversation_id,
                             std::string_view message_created_at, std::string_view preview);

/// Marks every message of the conversation read: unread_count = 0.
result<void> mark_conversation_read(database& db, std::int64_t conversation_id);

/// Archives or un-archives a conversation.
result<void> set_conversation_archived(database& db, std::int64_t conversation_id, bool archived);

/// The conversation with this id, or nullopt.
result<std::optional<conversation_record>> get_conversation(database& db, std::int64_t id);

/// The conversation for (phone number, contact), or nullopt.
result<std::optional<conversation_record>> find_conversation(database& db,
                                                             std::string_view phone_number_id,
                                                             std::int64_t contact_id);

/// Conversations newest first, filtered.
result<std::vector<conversation_record>> list_conversations(database& db,
                                                            const conversation_filter& filter);

/// The window end for an inbound message sent at `meta_unix_seconds` (24 hours later).
std::string window_expiry_for(std::int64_t meta_unix_seconds);

}  // namespace pons::store
