#include "pons/store/message_repository.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cctype>

#include "pons/domain/idempotency.hpp"
#include "pons/store/account_repository.hpp"
#include "pons/store/contact_repository.hpp"
#include "pons/store/conversation_repository.hpp"
#include "pons/store/database.hpp"
#include "pons/store/group_lookahead.hpp"
#include "pons/store/message_search.hpp"
#include "pons/store/sql_support.hpp"
#include "pons/store/status_repository.hpp"

namespace pons::store {

namespace {

constexpr std::string_view message_columns =
    "SELECT m.id, m.direction, coalesce(m.wamid, ''), m.phone_number_id, m.contact_id, "
    "m.conversation_id, c.wa_id, c.user_id, c.profile_name, m.type, m.text, m.media_id, "
    "m.media_mime, m.media_sha256, m.media_caption, m.media_filename, coalesce(md.path, ''), "
    "coalesce(md.state, ''), m.latitude, m.longitude, m.location_name, m.location_address, "
    "m.reaction_to, m.reaction_emoji, m.reply_to, m.forwarded, m.status, m.error_code, "
    "m.error_title, m.error_details, m.ts, m.created_at, m.updated_at, "
    "coalesce(m.idempotency_key, ''), m.raw_json ";

constexpr std::string_view message_from =
    "FROM messages m JOIN contacts c ON c.id = m.contact_id "
    "LEFT JOIN media md ON md.media_id = m.media_id AND m.media_id <> '' ";

message_record read_message(const statement& st) {
  message_record r;
  r.id = st.column_int64(0);
  r.direction = st.column_text(1);
  r.wamid = st.column_text(2);
  r.phone_number_id = st.column_text(3);
  r.contact_id = st.column_int64(4);
  r.conversation_id = st.column_int64(5);
  r.contact_wa_id = st.column_text(6);
  r.contact_user_id = st.column_text(7);
  r.contact_profile_name = st.column_text(8);
  r.type = st.column_text(9);
  r.text = st.column_text(10);
  r.media_id = st.column_text(11);
  r.media_mime = st.column_text(12);
  r.media_sha256 = st.column_text(13);
  r.media_caption = st.column_text(14);
  r.media_filename = st.column_text(15);
  r.media_path = st.column_text(16);
  r.media_state = st.column_text(17);
  if (!st.column_is_null(18)) r.latitude = st.column_double(18);
  if (!st.column_is_null(19)) r.longitude = st.column_double(19);
  r.location_name = st.column_text(20);
  r.location_address = st.column_text(21);
  r.reaction_to = st.column_text(22);
  r.reaction_emoji = st.column_text(23);
  r.reply_to = st.column_text(24);
  r.forwarded = st.column_int64(25) != 0;
  r.status = st.column_text(26);
  if (auto code = st.column_optional_int64(27)) r.error_code = static_cast<int>(*code);
  r.error_title = st.column_text(28);
  r.error_details = st.column_text(29);
  r.ts = st.column_int64(30);
  r.created_at = st.column_text(31);
  r.updated_at = st.column_text(32);
  r.idempotency_key = st.column_text(33);
  r.raw_json = st.column_text(34);
  return r;
}

std::string select_messages(std::string_view where_and_order) {
  std::string sql(message_columns);
  sql += message_from;
  sql += where_and_order;
  return sql;
}

result<std::optional<message_record>> one(statement& st) {
  PONS_STORE_TRY(row, st.step());
  if (!row) return std::optional<message_record>();
  return std::optional<message_record>(read_message(st));
}

result<std::vector<message_record>> all(statement& st) {
  std::vector<message_record> out;
  for (;;) {
    PONS_STORE_TRY(row, st.step());
    if (!row) break;
    out.push_back(read_message(st));
  }
  return out;
}

// Column values of one new row, shared by the inbound and outbound inserts.
struct new_row {
  std::string_view direction;
  std::string_view wamid;  // "" = NULL
  std::string_view phone_number_id;
  std::int64_t contact_id = 0;
  std::int64_t conversation_id = 0;
  std::string_view type;
  std::string_view text;
  const domain::media_ref* media = nullptr;
  const domain::location* place = nullptr;
  const domain::reaction* reacted = nullptr;
  std::string_view reply_to;
  bool forwarded = false;
  std::string_view status;
  const domain::meta_error_detail* error = nullptr;
  std::int64_t ts = 0;
  std::string_view idempotency_key;  // "" = NULL
  std::string_view raw_json;
  // A row whose wamid (or idempotency key) is stored already is not written: insert_row then
  // answers not_found.
  bool skip_if_stored = false;
};

// The message order's key: per schema, so that two deployments sharing a server keep apart.
constexpr std::string_view message_order_key =
    "hashtext('pons.message_order'), hashtext(coalesce(current_schema(), ''))";

}  // namespace

result<void> hold_message_order(database& db) {
  if (db.kind() != backend::postgresql) return {};
  if (!db.in_transaction()) return store_errc::invalid_argument;  // it would end at once
  // Under a write_deferral it travels with the next statement that waits: the server still takes
  // it before running that one.
  PONS_STORE_TRY(
      st, db.prepare(fmt::format("SELECT pg_advisory_xact_lock_shared({})", message_order_key)));
  PONS_STORE_CHECK(st.run_later());
  return {};
}

result<std::optional<std::int64_t>> settled_message_id(database& db) {
  if (db.kind() != backend::postgresql) return std::optional<std::int64_t>();
  // Held until the caller's transaction ended, the lock would hold every writer back meanwhile.
  if (db.in_transaction()) return store_errc::invalid_argument;
  // One statement, one round trip; the lock ends with it. The bound is the sequence's last value
  // read once the lock is granted (the subquery refers to the lock's row, so it runs after it):
  // every writer that drew an id by then has ended. max(id) alone would not do: the statement's
  // snapshot is taken before the wait, so it misses what those writers committed meanwhile, and
  // their created_at may sort before rows a reader has already passed. It is still taken when
  // larger (rows inserted with ids of their own, which the sequence did not give): it is
  // committed, and any writer that held an id below it then was open, so it has ended too.
  PONS_STORE_TRY(
      st, db.prepare(fmt::format(
              "SELECT greatest((SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence("
              "'messages', 'id')::regclass), 0) WHERE held.granted IS NOT NULL), (SELECT "
              "coalesce(max(id), 0) FROM messages)) FROM (SELECT "
              "pg_advisory_xact_lock({})::text AS granted) AS held",
              message_order_key)));
  PONS_STORE_TRY(row, st.step());
  if (!row) return store_errc::not_found;
  return std::optional<std::int64_t>(st.column_int64(0));
}

namespace {

// The columns of a new message, ?1 to ?28 (?26 is both created_at and updated_at); the
// placed form adds the id as ?29.
constexpr std::string_view insert_columns =
    "INSERT INTO messages(direction, wamid, phone_number_id, contact_id, conversation_id, type, "
    "text, media_id, media_mime, media_sha256, media_caption, media_filename, latitude, "
    "longitude, location_name, location_address, reaction_to, reaction_emoji, reply_to, "
    "forwarded, status, error_code, error_title, error_details, ts, created_at, updated_at, "
    "idempotency_key, raw_json";
constexpr std::string_view insert_values =
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, "
    "?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?26, ?27, ?28";
std::string insert_sql(bool placed, std::string_view tail) {
  return placed ? fmt::format("{}, id) {}, ?29){}", insert_columns, insert_values, tail)
                : fmt::format("{}) {}){}", insert_columns, insert_values, tail);
}

void bind_row(statement& st, const new_row& r, std::string_view stamp) {
  st.bind(1, r.direction).bind_text_or_null(2, r.wamid).bind(3, r.phone_number_id);
  st.bind(4, r.contact_id).bind(5, r.conversation_id).bind(6, r.type).bind(7, r.text);
  if (r.media) {
    st.bind(8, r.media->media_id).bind(9, r.media->mime_type).bind(10, r.media->sha256);
    st.bind(11, r.media->caption).bind(12, r.media->filename);
  } else {
    st.bind(8, "").bind(9, "").bind(10, "").bind(11, "").bind(12, "");
  }
  if (r.place) {
    st.bind(13, r.place->latitude).bind(14, r.place->longitude);
    st.bind(15, r.place->name).bind(16, r.place->address);
  } else {
    st.bind_null(13).bind_null(14).bind(15, "").bind(16, "");
  }
  if (r.reacted) {
    st.bind(17, r.reacted->message_id).bind(18, r.reacted->emoji);
  } else {
    st.bind(17, "").bind(18, "");
  }
  st.bind(19, r.reply_to).bind(20, r.forwarded).bind(21, r.status);
  if (r.error) {
    st.bind(22, r.error->code).bind(23, r.error->title);
    st.bind(24, r.error->details.empty() ? r.error->message : r.error->details);
  } else {
    st.bind_null(22).bind(23, "").bind(24, "");
  }
  st.bind(25, r.ts).bind_static(26, stamp);
  // raw_json is the largest value: not copied, `r` outlives the run below.
  st.bind_text_or_null(27, r.idempotency_key).bind_static(28, r.raw_json);
}

// `newest`: the newest created_at of this transaction when the caller keeps it ("" = read it).
result<message_position> insert_row(database& db, const new_row& r, time_point now,
                                    std::string* newest = nullptr) {
  // created_at never goes below the newest stored row, read after hold_message_order (every
  // caller holds it): a writer that starts after a reader's settled id therefore stamps its
  // messages no earlier than any the reader could see, and draws larger ids, so a reader's cursor
  // never skips it. Read here rather than in the INSERT: with it the INSERT needed RETURNING,
  // which buffers its row in a temporary b-tree opened and closed per message.
  std::string stamp = format_timestamp(now);
  std::string last;
  if (newest && !newest->empty()) {
    last = *newest;
  } else {
    PONS_STORE_TRY(st, db.prepare("SELECT coalesce(max(created_at), '') FROM messages"));
    PONS_STORE_TRY(row, st.step());
    if (row) last = st.column_text(0);
  }
  if (last > stamp) stamp = std::move(last);
  if (newest) *newest = stamp;
  PONS_STORE_TRY(
      st, db.prepare(insert_sql(
              false, r.skip_if_stored ? " ON CONFLICT DO NOTHING RETURNING id" : " RETURNING id")));
  bind_row(st, r, stamp);
  PONS_STORE_TRY(row, st.step());
  if (!row) return store_errc::not_found;
  return message_position{st.column_int64(0), std::move(stamp)};
}

// search_messages' statement: the engine's search fragments around the store's columns.
std::string search_sql(const text_search_sql& search, const search_query& q) {
  std::string sql(message_columns);
  sql += ", " + search.snippet + " FROM " + search.from +
         " JOIN contacts c ON c.id = m.contact_id "
         "LEFT JOIN media md ON md.media_id = m.media_id AND m.media_id <> '' WHERE " +
         search.where;
  if (!q.phone_number_id.empty()) sql += " AND m.phone_number_id = ?2";
  if (q.contact_id) sql += " AND m.contact_id = ?3";
  sql += " ORDER BY " + (q.best_first ? search.best_first : search.newest_first) + " LIMIT ?4";
  return sql;
}

}  // namespace

std::string message_preview(std::string_view type, std::string_view text,
                            std::string_view reaction_emoji) {
  if (type == "reaction") {
    return reaction_emoji.empty() ? "removed a reaction" : "reacted " + std::string(reaction_emoji);
  }
  if (text.empty()) return "[" + std::string(type) + "]";
  constexpr std::size_t max_bytes = 120;
  if (text.size() <= max_bytes) return std::string(text);
  std::size_t cut = max_bytes;
  // Step back over UTF-8 continuation bytes so the cut never splits a character.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "…";
}

result<bool> wamid_exists(database& db, std::string_view wamid) {
  auto st = db.prepare("SELECT 1 FROM messages WHERE wamid = ?1");
  if (!st) return detail::bool_error(st.error());
  st->bind(1, wamid);
  return st->step();
}

namespace {

new_row inbound_row(const domain::inbound_message& m, std::int64_t contact_id,
                    std::int64_t conversation_id) {
  new_row r;
  r.direction = "inbound";
  r.phone_number_id = m.phone_number_id;
  r.contact_id = contact_id;
  r.conversation_id = conversation_id;
  r.type = m.type;
  r.text = m.text;
  r.media = m.media ? &*m.media : nullptr;
  r.place = m.place ? &*m.place : nullptr;
  r.reacted = m.reacted ? &*m.reacted : nullptr;
  if (m.context) {
    r.reply_to = m.context->message_id;
    r.forwarded = m.context->forwarded || m.context->frequently_forwarded;
  }
  r.status = "received";
  r.error = m.errors.empty() ? nullptr : &m.errors.front();
  r.ts = m.timestamp_unix;
  r.raw_json = m.raw_json;
  return r;
}

}  // namespace

result<message_position> insert_inbound_message(database& db, const domain::inbound_message& m,
                                                std::int64_t contact_id,
                                                std::int64_t conversation_id, time_point now,
                                                inbound_insert_hints hints) {
  new_row r = inbound_row(m, contact_id, conversation_id);
  if (!m.wamid.empty()) {
    PONS_STORE_TRY(taken, wamid_exists(db, m.wamid));
    if (!taken) r.wamid = m.wamid;
  }
  return insert_row(db, r, now, hints.newest_created_at);
}

result<std::optional<message_position>> insert_inbound_message_once(
    database& db, const domain::inbound_message& m, std::int64_t contact_id,
    std::int64_t conversation_id, time_point now, inbound_insert_hints hints) {
  if (m.wamid.empty()) return store_errc::invalid_argument;
  new_row r = inbound_row(m, contact_id, conversation_id);
  r.wamid = m.wamid;
  r.skip_if_stored = true;
  auto pos = insert_row(db, r, now, hints.newest_created_at);
  if (!pos && pos.error() == store_errc::not_found) return std::optional<message_position>();
  if (!pos) return pos.error();
  return std::optional<message_position>(std::move(*pos));
}

result<std::optional<message_position>> queue_inbound_message(
    database& db, const domain::inbound_message& m, std::int64_t contact_id,
    std::int64_t conversation_id, time_point now, group_lookahead& ahead) {
  new_row r = inbound_row(m, contact_id, conversation_id);
  if (!m.wamid.empty()) {
    const bool taken = ahead.message(m.wamid) != nullptr;
    if (taken && domain::identified_by_wamid(m)) return std::optional<message_position>();
    if (!taken) r.wamid = m.wamid;
  }
  auto pos = ahead.place_message(now);
  if (!pos) return store_errc::invalid_argument;  // more messages than the group reserved ids for
  // A plain insert: a wamid another writer committed since the lookahead fails it (and the group
  // is written again), where ON CONFLICT DO NOTHING would drop the message unseen.
  PONS_STORE_TRY(st, db.prepare(insert_sql(true, "")));
  bind_row(st, r, pos->created_at);
  st.bind(29, pos->id);
  PONS_STORE_CHECK(st.run_later());
  ahead.stored(r.wamid, status_target{pos->id, std::string(r.status), m.phone_number_id});
  return std::optional<message_position>(std::move(*pos));
}

result<outbound_insert> insert_outbound_pending(database& db, const outbound_message& m,
                                                time_point now) {
  if (m.phone_number_id.empty() || (m.to.wa_id.empty() && m.to.user_id.empty()) || m.type.empty()) {
    return store_errc::invalid_argument;
  }
  PONS_STORE_TRY(scope, detail::write_scope::begin(db));
  PONS_STORE_CHECK(hold_message_order(db));
  if (!m.idempotency_key.empty()) {
    PONS_STORE_TRY(seen, find_message_by_idempotency_key(db, m.idempotency_key));
    if (seen) {
      outbound_insert out;
      out.position = {seen->id, seen->created_at};
      out.created = false;
      out.existing = std::move(seen);
      return out;
    }
  }
  PONS_STORE_TRY(phone, find_phone_number(db, m.phone_number_id));
  std::int64_t account_id = 0;
  if (phone) {
    account_id = phone->account_id;
  } else {
    if (m.waba_id.empty()) return store_errc::invalid_argument;
    PONS_STORE_CHECK(ensure_phone_number(db, m.waba_id, m.phone_number_id, "", now));
    PONS_STORE_TRY(created, find_phone_number(db, m.phone_number_id));
    if (!created) return store_errc::not_found;
    account_id = created->account_id;
  }
  PONS_STORE_TRY(contact, upsert_contact(db, account_id, m.to, now));
  PONS_STORE_TRY(conversation_id, upsert_conversation(db, m.phone_number_id, contact.id, now));

  new_row r;
  r.direction = "outbound";
  r.phone_number_id = m.phone_number_id;
  r.contact_id = contact.id;
  r.conversation_id = conversation_id;
  r.type = m.type;
  r.text = m.text;
  r.media = m.media ? &*m.media : nullptr;
  r.place = m.place ? &*m.place : nullptr;
  r.reacted = m.reacted ? &*m.reacted : nullptr;
  r.reply_to = m.reply_to;
  r.status = "pending";
  r.idempotency_key = m.idempotency_key;
  r.raw_json = m.raw_json;
  PONS_STORE_TRY(pos, insert_row(db, r, now));
  PONS_STORE_CHECK(
      record_outbound(db, conversation_id, pos.created_at,
                      message_preview(m.type, m.text, m.reacted ? m.reacted->emoji : "")));
  PONS_STORE_CHECK(scope.commit());
  outbound_insert out;
  out.position = pos;
  return out;
}

result<void> mark_outbound_sent(database& db, std::int64_t message_id, std::string_view wamid,
                                time_point now) {
  if (wamid.empty()) return store_errc::invalid_argument;
  PONS_STORE_TRY(scope, detail::write_scope::begin(db));
  PONS_STORE_TRY(st,
                 db.prepare("UPDATE messages SET wamid = ?2, "
                            "status = CASE WHEN status = 'pending' THEN 'sent' ELSE status END, "
                            "updated_at = ?3 WHERE id = ?1 AND direction = 'outbound'"));
  st.bind_all(message_id, wamid, format_timestamp(now));
  PONS_STORE_TRY(n, st.run());
  if (n == 0) return store_errc::not_found;
  PONS_STORE_CHECK(adopt_early_statuses(db, message_id, wamid));
  return scope.commit();
}

result<void> mark_outbound_failed(database& db, std::int64_t message_id,
                                  const domain::meta_error_detail& error, time_point now) {
  PONS_STORE_TRY(
      st, db.prepare("UPDATE messages SET status = 'failed', error_code = ?2, error_title = ?3, "
                     "error_details = ?4, updated_at = ?5 "
                     "WHERE id = ?1 AND direction = 'outbound' AND status IN ('pending', 'sent')"));
  st.bind_all(message_id, error.code, error.title,
              error.details.empty() ? error.message : error.details, format_timestamp(now));
  PONS_STORE_TRY(n, st.run());
  if (n == 0) {
    PONS_STORE_TRY(existing, get_message(db, message_id));
    if (!existing || existing->direction != "outbound") return store_errc::not_found;
  }
  return {};
}

result<std::optional<message_record>> get_message(database& db, std::int64_t id) {
  PONS_STORE_TRY(st, db.prepare(select_messages("WHERE m.id = ?1")));
  st.bind(1, id);
  return one(st);
}

result<std::optional<message_record>> find_message_by_wamid(database& db, std::string_view wamid) {
  PONS_STORE_TRY(st, db.prepare(select_messages("WHERE m.wamid = ?1")));
  st.bind(1, wamid);
  return one(st);
}

result<std::optional<message_record>> find_message_by_idempotency_key(database& db,
                                                                      std::string_view key) {
  PONS_STORE_TRY(st, db.prepare(select_messages("WHERE m.idempotency_key = ?1")));
  st.bind(1, key);
  return one(st);
}

result<message_page> page_messages(database& db, const message_query& q) {
  if (q.limit <= 0) return store_errc::invalid_argument;
  // Only the filters in use appear in the SQL, so each combination is planned (and cached) on
  // its own and can use the matching index.
  std::string where = "WHERE true";
  const bool has_cursor = !q.after_created_at.empty();
  if (has_cursor)
    where += q.newest_first ? " AND (m.created_at, m.id) < (?1, ?2)"
                            : " AND (m.created_at, m.id) > (?1, ?2)";
  if (q.direction) where += " AND m.direction = ?3";
  if (q.contact_id) where += " AND m.contact_id = ?4";
  if (q.conversation_id) where += " AND m.conversation_id = ?5";
  if (!q.phone_number_id.empty()) where += " AND m.phone_number_id = ?6";
  // A cursor that went on from this page must not pass a message still to commit below it.
  PONS_STORE_TRY(settled, settled_message_id(db));
  if (settled) where += " AND m.id <= ?8";
  where += q.newest_first ? " ORDER BY m.created_at DESC, m.id DESC LIMIT ?7"
                          : " ORDER BY m.created_at, m.id LIMIT ?7";
  PONS_STORE_TRY(st, db.prepare(select_messages(where)));
  if (has_cursor) st.bind(1, q.after_created_at).bind(2, q.after_id);
  if (q.direction) st.bind(3, *q.direction == domain::direction::inbound ? "inbound" : "outbound");
  if (q.contact_id) st.bind(4, q.contact_id);
  if (q.conversation_id) st.bind(5, q.conversation_id);
  if (!q.phone_number_id.empty()) st.bind(6, q.phone_number_id);
  st.bind(7, q.limit + 1);  // one extra row tells whether there is more
  if (settled) st.bind(8, *settled);
  PONS_STORE_TRY(rows, all(st));
  message_page page;
  page.has_more = rows.size() > static_cast<std::size_t>(q.limit);
  if (page.has_more) rows.pop_back();
  if (!rows.empty()) page.next = {rows.back().id, rows.back().created_at};
  page.messages = std::move(rows);
  return page;
}

result<std::vector<search_hit>> search_messages(database& db, const search_query& q) {
  const text_search_sql search = text_search(db, q.text, 1);
  const std::string& match = search.value;
  if (match.empty() || q.limit <= 0) return std::vector<search_hit>();
  const std::string sql = search_sql(search, q);

  std::vector<search_hit> hits;
  {
    PONS_STORE_TRY(st, db.prepare(sql));
    st.bind(1, match);
    if (!q.phone_number_id.empty()) st.bind(2, q.phone_number_id);
    if (q.contact_id) st.bind(3, q.contact_id);
    st.bind(4, q.limit);
    for (;;) {
      PONS_STORE_TRY(row, st.step());
      if (!row) break;
      search_hit h;
      h.message = read_message(st);
      h.snippet = st.column_text(35);
      hits.push_back(std::move(h));
    }
  }
  if (q.context <= 0) return hits;
  for (auto& h : hits) {
    PONS_STORE_TRY(before, db.prepare(select_messages(
                               "WHERE m.conversation_id = ?1 AND (m.created_at, m.id) < (?2, ?3) "
                               "ORDER BY m.created_at DESC, m.id DESC LIMIT ?4")));
    before.bind_all(h.message.conversation_id, h.message.created_at, h.message.id, q.context);
    PONS_STORE_TRY(b, all(before));
    std::reverse(b.begin(), b.end());
    h.before = std::move(b);
    PONS_STORE_TRY(after, db.prepare(select_messages(
                              "WHERE m.conversation_id = ?1 AND (m.created_at, m.id) > (?2, ?3) "
                              "ORDER BY m.created_at, m.id LIMIT ?4")));
    after.bind_all(h.message.conversation_id, h.message.created_at, h.message.id, q.context);
    PONS_STORE_TRY(a, all(after));
    h.after = std::move(a);
  }
  return hits;
}

}  // namespace pons::store
