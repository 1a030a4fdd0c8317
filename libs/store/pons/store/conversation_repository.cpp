#include "pons/store/conversation_repository.hpp"

#include <fmt/format.h>

#include "pons/domain/window.hpp"
#include "pons/store/database.hpp"
#include "pons/store/sql_support.hpp"

namespace pons::store {

namespace {

constexpr std::string_view conversation_columns =
    "SELECT v.id, v.phone_number_id, v.contact_id, c.wa_id, c.user_id, c.username, "
    "c.profile_name, v.last_message_at, v.last_inbound_at, v.last_outbound_at, v.last_direction, "
    "v.preview, v.unread_count, v.window_expires_at, v.archived "
    "FROM conversations v JOIN contacts c ON c.id = v.contact_id ";

conversation_record read_conversation(const statement& st) {
  conversation_record r;
  r.id = st.column_int64(0);
  r.phone_number_id = st.column_text(1);
  r.contact_id = st.column_int64(2);
  r.contact_wa_id = st.column_text(3);
  r.contact_user_id = st.column_text(4);
  r.contact_username = st.column_text(5);
  r.contact_profile_name = st.column_text(6);
  r.last_message_at = st.column_text(7);
  r.last_inbound_at = st.column_text(8);
  r.last_outbound_at = st.column_text(9);
  r.last_direction = st.column_text(10);
  r.preview = st.column_text(11);
  r.unread_count = st.column_int64(12);
  r.window_expires_at = st.column_text(13);
  r.archived = st.column_int64(14) != 0;
  return r;
}

result<std::optional<conversation_record>> one(statement& st) {
  PONS_STORE_TRY(row, st.step());
  if (!row) return std::optional<conversation_record>();
  return std::optional<conversation_record>(read_conversation(st));
}

}  // namespace

std::string window_expiry_for(std::int64_t meta_unix_seconds) {
  return format_unix_seconds(domain::window_expires_at(meta_unix_seconds));
}

result<std::int64_t> upsert_conversation(database& db, std::string_view phone_number_id,
                                         std::int64_t contact_id, time_point now) {
  {
    PONS_STORE_TRY(st, db.prepare("SELECT id FROM conversations "
                                  "WHERE phone_number_id = ?1 AND contact_id = ?2"));
    st.bind_all(phone_number_id, contact_id);
    PONS_STORE_TRY(row, st.step());
    if (row) return st.column_int64(0);
  }
  return insert_conversation(db, phone_number_id, contact_id, now);
}

result<std::int64_t> insert_conversation(database& db, std::string_view phone_number_id,
                                         std::int64_t contact_id, time_point now) {
  PONS_STORE_TRY(st, db.prepare("INSERT INTO conversations(phone_number_id, contact_id, "
                                "created_at, updated_at) VALUES (?1, ?2, ?3, ?3) RETURNING id"));
  st.bind_all(phone_number_id, contact_id, format_timestamp(now));
  PONS_STORE_TRY(row, st.step());
  if (!row) return store_errc::not_found;
  return st.column_int64(0);
}

result<void> queue_new_conversation(database& db, std::string_view phone_number_id,
                                    std::int64_t contact_id, time_point now, std::int64_t id) {
  PONS_STORE_TRY(st, db.prepare("INSERT INTO conversations(id, phone_number_id, contact_id, "
                                "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)"));
  st.bind_all(id, phone_number_id, contact_id, format_timestamp(now));
  PONS_STORE_CHECK(st.run_later());
  return {};
}

result<void> record_inbound(database& db, std::int64_t conversation_id,
                            std::string_view message_created_at, std::string_view window_expires_at,
                            std::string_view preview) {
  // Queued when the caller defers its writes: then a conversation that is not there goes
  // unnoticed here, which an ingest cannot meet (its message, just inserted, refers to it).
  inbound_touch one;
  one.conversation_id = conversation_id;
  one.messages = 1;
  one.last = std::string(message_created_at);
  one.window_expires_at = std::string(window_expires_at);
  one.preview = std::string(preview);
  return record_inbound_many(db, {one});
}

namespace {

// record_inbound for one conversation, its parameters numbered from ?first: id, messages,
// preview, created_at, window.
std::string touch_sql(int first) {
  return fmt::format(
      "UPDATE conversations SET unread_count = unread_count + ?{1}, preview = ?{2}, "
      "last_message_at = CASE WHEN last_message_at > ?{3} THEN last_message_at ELSE ?{3} END, "
      "last_inbound_at = CASE WHEN last_inbound_at > ?{3} THEN last_inbound_at ELSE ?{3} END, "
      "last_direction = 'inbound', "
      "window_expires_at = CASE WHEN window_expires_at > ?{4} THEN window_expires_at ELSE ?{4} "
      "END, archived = 0, updated_at = ?{3} WHERE id = ?{0}",
      first, first + 1, first + 2, first + 3, first + 4);
}

// Several conversations' in one statement on PostgreSQL: one UPDATE each, all but one in a
// WITH. Each looks its row up by id, so its plan is the primary key's whatever the table held
// when the server first planned it (a join against a VALUES list was planned once as a scan of
// the whole table and kept that plan as the table grew). PostgreSQL runs the main UPDATE first
// and then those of the WITH from the last to the first: written in reverse, the rows are
// updated in the order they were recorded, as message by message. Two groups that update the
// same conversations take their rows in the same order: the groups are written in conversation
// order (see ingest_batches), and a deadlock between them all the same rolls one back whole.
std::string touches_sql(std::size_t rows) {
  if (rows == 1) return touch_sql(1);
  std::string sql = "WITH ";
  for (std::size_t n = rows - 1; n > 0; --n) {
    sql += fmt::format("{}t{} AS ({})", n == rows - 1 ? "" : ", ", n,
                       touch_sql(static_cast<int>(n * 5) + 1));
  }
  sql += " " + touch_sql(1);
  return sql;
}

constexpr std::size_t touches_per_statement = 32;

}  // namespace

result<void> record_inbound_many(database& db, const std::vector<inbound_touch>& touches) {
  // SQLite runs no UPDATE inside a WITH, and its statements cost little: one each.
  const std::size_t per_statement = db.kind() == backend::postgresql ? touches_per_statement : 1;
  for (std::size_t at = 0, rows = 0; at < touches.size(); at += rows) {
    // A power of two: few statements for the server to prepare and plan.
    rows = per_statement;
    while (rows > touches.size() - at) rows /= 2;
    PONS_STORE_TRY(st, db.prepare(touches_sql(rows)));
    for (std::size_t n = 0; n < rows; ++n) {
      const inbound_touch& t = touches[at + n];
      const int p = static_cast<int>(n * 5);
      st.bind(p + 1, t.conversation_id).bind(p + 2, t.messages).bind(p + 3, t.preview);
      st.bind(p + 4, t.last).bind(p + 5, t.window_expires_at);
    }
    // Run at once (SQLite, or no deferral): a conversation that is not there is an error, as
    // for record_inbound.
    PONS_STORE_TRY(n, st.run_later());
    if (n && *n == 0) return store_errc::not_found;
  }
  return {};
}

result<void> record_outbound(database& db, std::int64_t conversation_id,
                             std::string_view message_created_at, std::string_view preview) {
  PONS_STORE_TRY(
      st,
      db.prepare(
          "UPDATE conversations SET preview = ?3, "
          "last_message_at = CASE WHEN last_message_at > ?2 THEN last_message_at ELSE ?2 END, "
          "last_outbound_at = CASE WHEN last_outbound_at > ?2 THEN last_outbound_at ELSE ?2 END, "
          "last_direction = 'outbound', updated_at = ?2 WHERE id = ?1"));
  st.bind_all(conversation_id, message_created_at, preview);
  PONS_STORE_TRY(n, st.run());
  if (n == 0) return store_errc::not_found;
  return {};
}

result<void> mark_conversation_read(database& db, std::int64_t conversation_id) {
  PONS_STORE_TRY(st, db.prepare("UPDATE conversations SET unread_count = 0 WHERE id = ?1"));
  st.bind(1, conversation_id);
  PONS_STORE_TRY(n, st.run());
  if (n == 0) return store_errc::not_found;
  return {};
}

result<void> set_conversation_archived(database& db, std::int64_t conversation_id, bool archived) {
  PONS_STORE_TRY(st, db.prepare("UPDATE conversations SET archived = ?2 WHERE id = ?1"));
  st.bind_all(conversation_id, archived);
  PONS_STORE_TRY(n, st.run());
  if (n == 0) return store_errc::not_found;
  return {};
}

result<std::optional<conversation_record>> get_conversation(database& db, std::int64_t id) {
  PONS_STORE_TRY(st, db.prepare(std::string(conversation_columns) + "WHERE v.id = ?1"));
  st.bind(1, id);
  return one(st);
}

result<std::optional<conversation_record>> find_conversation(database& db,
                                                             std::string_view phone_number_id,
                                                             std::int64_t contact_id) {
  PONS_STORE_TRY(st, db.prepare(std::string(conversation_columns) +
                                "WHERE v.phone_number_id = ?1 AND v.contact_id = ?2"));
  st.bind_all(phone_number_id, contact_id);
  return one(st);
}

result<std::vector<conversation_record>> list_conversations(database& db,
                                                            const conversation_filter& f) {
  // Build only the conditions in use so the planner can pick an index; each combination is a
  // distinct SQL text and gets its own cached statement.
  std::string sql(conversation_columns);
  sql += "WHERE true";
  if (!f.phone_number_id.empty()) sql += " AND v.phone_number_id = ?1";
  if (f.unread_only) sql += " AND v.unread_count > 0";
  if (f.unanswered_only) sql += " AND v.last_direction = 'inbound'";
  if (!f.include_archived) sql += " AND v.archived = 0";
  if (!f.before_last_message_at.empty()) sql += " AND v.last_message_at < ?2";
  sql += " ORDER BY v.last_message_at DESC, v.id DESC LIMIT ?3";
  PONS_STORE_TRY(st, db.prepare(sql));
  if (!f.phone_number_id.empty()) st.bind(1, f.phone_number_id);
  if (!f.before_last_message_at.empty()) st.bind(2, f.before_last_message_at);
  st.bind(3, f.limit);
  std::vector<conversation_record> out;
  for (;;) {
    PONS_STORE_TRY(row, st.step());
    if (!row) break;
    out.push_back(read_conversation(st));
  }
  return out;
}

}  // namespace pons::store
