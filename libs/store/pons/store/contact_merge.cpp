#include "pons/store/contact_merge.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "pons/store/database.hpp"
#include "pons/store/sql_support.hpp"

namespace pons::store {

namespace {

// The parts of a conversation a merge joins.
struct conversation_summary {
  std::int64_t id = 0;
  std::string phone_number_id;
  std::string last_message_at;
  std::string last_inbound_at;
  std::string last_outbound_at;
  std::string last_direction;
  std::string preview;
  std::int64_t unread_count = 0;
  std::string window_expires_at;
  bool archived = false;
  std::string note;
  bool marked_unread = false;
};

result<std::vector<conversation_summary>> conversations_of(database& db, std::int64_t contact) {
  PONS_STORE_TRY(st, db.prepare("SELECT id, phone_number_id, last_message_at, last_inbound_at, "
                                "last_outbound_at, last_direction, preview, unread_count, "
                                "window_expires_at, archived, note, marked_unread "
                                "FROM conversations WHERE contact_id = ?1 ORDER BY id"));
  st.bind(1, contact);
  std::vector<conversation_summary> out;
  for (;;) {
    PONS_STORE_TRY(row, st.step());
    if (!row) break;
    out.push_back({st.column_int64(0), st.column_text(1), st.column_text(2), st.column_text(3),
                   st.column_text(4), st.column_text(5), st.column_text(6), st.column_int64(7),
                   st.column_text(8), st.column_int64(9) != 0, st.column_text(10),
                   st.column_int64(11) != 0});
  }
  return out;
}

// Timestamps are ISO 8601 in UTC, so the later one is the larger string ("" is never later).
const std::string& later(const std::string& a, const std::string& b) {
  return a < b ? b : a;
}

// `into` with what `from` adds: the newer last message, both unread counts, the later window; it
// stays archived only if both were, and keeps both notes.
conversation_summary joined(const conversation_summary& into, const conversation_summary& from) {
  conversation_summary j = into;
  const bool from_newer = from.last_message_at > into.last_message_at;
  j.last_message_at = later(into.last_message_at, from.last_message_at);
  j.last_inbound_at = later(into.last_inbound_at, from.last_inbound_at);
  j.last_outbound_at = later(into.last_outbound_at, from.last_outbound_at);
  if (from_newer) {
    j.last_direction = from.last_direction;
    j.preview = from.preview;
  }
  j.unread_count = into.unread_count + from.unread_count;
  j.window_expires_at = later(into.window_expires_at, from.window_expires_at);
  j.archived = into.archived && from.archived;
  if (into.note.empty()) {
    j.note = from.note;
  } else if (!from.note.empty() && from.note != into.note) {
    j.note = into.note + "\n" + from.note;
  }
  j.marked_unread = into.marked_unread || from.marked_unread;
  return j;
}

// Folds conversation `from` into `into` (same number of ours) and deletes `from`.
result<void> join_conversations(database& db, const conversation_summary& into,
                                const conversation_summary& from, const std::string& stamp) {
  {
    PONS_STORE_TRY(st, db.prepare("UPDATE messages SET conversation_id = ?1 "
                                  "WHERE conversation_id = ?2"));
    st.bind_all(into.id, from.id);
    PONS_STORE_CHECK(st.run());
  }
  {
    // Labels never differ only in ASCII case within a conversation.
    PONS_STORE_TRY(st, db.prepare("INSERT INTO conversation_labels(conversation_id, label, "
                                  "created_at) SELECT ?1, g.label, g.created_at FROM "
                                  "conversation_labels g WHERE g.conversation_id = ?2 AND NOT "
                                  "EXISTS (SELECT 1 FROM conversation_labels k WHERE "
                                  "k.conversation_id = ?1 AND lower(k.label) = lower(g.label))"));
    st.bind_all(into.id, from.id);
    PONS_STORE_CHECK(st.run());
  }
  {
    PONS_STORE_TRY(st, db.prepare("DELETE FROM conversation_labels WHERE conversation_id = ?1"));
    st.bind(1, from.id);
    PONS_STORE_CHECK(st.run());
  }
  {
    PONS_STORE_TRY(st, db.prepare("DELETE FROM conversations WHERE id = ?1"));
    st.bind(1, from.id);
    PONS_STORE_CHECK(st.run());
  }
  const conversation_summary j = joined(into, from);
  PONS_STORE_TRY(st, db.prepare("UPDATE conversations SET last_message_at = ?2, "
                                "last_inbound_at = ?3, last_outbound_at = ?4, last_direction = ?5, "
                                "preview = ?6, unread_count = ?7, window_expires_at = ?8, "
                                "archived = ?9, note = ?10, marked_unread = ?11, updated_at = ?12 "
                                "WHERE id = ?1"));
  st.bind_all(j.id, j.last_message_at, j.last_inbound_at, j.last_outbound_at, j.last_direction,
              j.preview, j.unread_count, j.window_expires_at, j.archived, j.note, j.marked_unread,
              stamp);
  PONS_STORE_CHECK(st.run());
  return {};
}

result<void> move_conversations(database& db, std::int64_t keep, std::int64_t gone,
                                const std::string& stamp) {
  PONS_STORE_TRY(kept, conversations_of(db, keep));
  PONS_STORE_TRY(moving, conversations_of(db, gone));
  for (const auto& g : moving) {
    auto same_number = std::find_if(kept.begin(), kept.end(), [&](const auto& k) {
      return k.phone_number_id == g.phone_number_id;
    });
    if (same_number != kept.end()) {
      PONS_STORE_CHECK(join_conversations(db, *same_number, g, stamp));
      continue;
    }
    PONS_STORE_TRY(st, db.prepare("UPDATE conversations SET contact_id = ?1 WHERE id = ?2"));
    st.bind_all(keep, g.id);
    PONS_STORE_CHECK(st.run());
  }
  PONS_STORE_TRY(st, db.prepare("UPDATE messages SET contact_id = ?1 WHERE contact_id = ?2"));
  st.bind_all(keep, gone);
  PONS_STORE_CHECK(st.run());
  return {};
}

// Preferences per (number, category): the later change of the two contacts wins.
result<void> move_preferences(database& db, std::int64_t keep, std::int64_t gone) {
  {
    PONS_STORE_TRY(st, db.prepare("DELETE FROM contact_preferences WHERE contact_id = ?1 AND "
                                  "EXISTS (SELECT 1 FROM contact_preferences g WHERE "
                                  "g.contact_id = ?2 AND g.phone_number_id = "
                                  "contact_preferences.phone_number_id AND g.category = "
                                  "contact_preferences.category AND g.changed_at > "
                                  "contact_preferences.changed_at)"));
    st.bind_all(keep, gone);
    PONS_STORE_CHECK(st.run());
  }
  {
    PONS_STORE_TRY(st, db.prepare("UPDATE contact_preferences SET contact_id = ?1 WHERE "
                                  "contact_id = ?2 AND NOT EXISTS (SELECT 1 FROM "
                                  "contact_preferences k WHERE k.contact_id = ?1 AND "
                                  "k.phone_number_id = contact_preferences.phone_number_id AND "
                                  "k.category = contact_preferences.category)"));
    st.bind_all(keep, gone);
    PONS_STORE_CHECK(st.run());
  }
  PONS_STORE_TRY(st, db.prepare("DELETE FROM contact_preferences WHERE contact_id = ?1"));
  st.bind(1, gone);
  PONS_STORE_CHECK(st.run());
  return {};
}

// The ids and names of `gone` that `keep` lacks; `gone` is deleted first, since wa_id and user_id
// are unique within the account.
result<void> take_identity(database& db, std::int64_t keep, std::int64_t gone,
                           const std::string& stamp) {
  std::string wa_id, user_id, username, profile_name, parent_user_id;
  {
    PONS_STORE_TRY(st, db.prepare("SELECT wa_id, user_id, username, profile_name, "
                                  "parent_user_id FROM contacts WHERE id = ?1"));
    st.bind(1, gone);
    PONS_STORE_TRY(row, st.step());
    if (!row) return store_errc::not_found;
    wa_id = st.column_text(0);
    user_id = st.column_text(1);
    username = st.column_text(2);
    profile_name = st.column_text(3);
    parent_user_id = st.column_text(4);
  }
  {
    PONS_STORE_TRY(st, db.prepare("INSERT INTO contact_identity_changes(contact_id, kind, "
                                  "previous_wa_id, previous_user_id, changed_at) "
                                  "VALUES (?1, 'merged', ?2, ?3, ?4)"));
    st.bind_all(keep, wa_id, user_id, stamp);
    PONS_STORE_CHECK(st.run());
  }
  {
    PONS_STORE_TRY(st, db.prepare("DELETE FROM contacts WHERE id = ?1"));
    st.bind(1, gone);
    PONS_STORE_CHECK(st.run());
  }
  PONS_STORE_TRY(st, db.prepare("UPDATE contacts SET "
                                "wa_id = CASE WHEN wa_id = '' THEN ?2 ELSE wa_id END, "
                                "user_id = CASE WHEN user_id = '' THEN ?3 ELSE user_id END, "
                                "username = CASE WHEN username = '' THEN ?4 ELSE username END, "
                                "profile_name = CASE WHEN profile_name = '' THEN ?5 "
                                "ELSE profile_name END, parent_user_id = CASE WHEN "
                                "parent_user_id = '' THEN ?6 ELSE parent_user_id END, "
                                "updated_at = ?7 WHERE id = ?1"));
  st.bind_all(keep, wa_id, user_id, username, profile_name, parent_user_id, stamp);
  PONS_STORE_TRY(n, st.run());
  if (n == 0) return store_errc::not_found;
  return {};
}

}  // namespace

result<void> merge_contacts(database& db, std::int64_t keep, std::int64_t gone, time_point now) {
  if (keep == gone) return store_errc::invalid_argument;
  const std::string stamp = format_timestamp(now);
  PONS_STORE_CHECK(move_conversations(db, keep, gone, stamp));
  PONS_STORE_CHECK(move_preferences(db, keep, gone));
  {
    PONS_STORE_TRY(st, db.prepare("UPDATE contact_identity_changes SET contact_id = ?1 "
                                  "WHERE contact_id = ?2"));
    st.bind_all(keep, gone);
    PONS_STORE_CHECK(st.run());
  }
  return take_identity(db, keep, gone, stamp);
}

}  // namespace pons::store
