#include "pons/store/event_log_repository.hpp"

#include "pons/store/database.hpp"
#include "pons/store/sql_support.hpp"

namespace pons::store {

result<bool> mark_processed(database& db, std::string_view key, time_point now) {
  if (key.empty()) return detail::bool_error(store_errc::invalid_argument);
  auto st = db.prepare(
      "INSERT INTO processed_events(key, created_at) VALUES (?1, ?2) "
      "ON CONFLICT DO NOTHING");
  if (!st) return detail::bool_error(st.error());
  st->bind_all(key, format_timestamp(now));
  auto n = st->run();
  if (!n) return detail::bool_error(n.error());
  return *n == 1;
}

result<bool> is_processed(database& db, std::string_view key) {
  auto st = db.prepare("SELECT 1 FROM processed_events WHERE key = ?1");
  if (!st) return detail::bool_error(st.error());
  st->bind(1, key);
  return st->step();
}

result<void> insert_webhook_log(database& db, const webhook_log_entry& e) {
  PONS_STORE_TRY(st, db.prepare("INSERT INTO webhook_log(received_at, request_id, phone_number_id, "
                                "signature, http_status, messages, statuses, duplicates, body, "
                                "notes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"));
  st.bind_all(e.received_at, e.request_id, e.phone_number_id, e.signature, e.http_status,
              e.messages, e.statuses, e.duplicates);
  st.bind_static(9, e.body);  // the whole payload: not copied, `e` outlives the run below
  st.bind(10, e.notes);
  PONS_STORE_CHECK(st.run_later());
  return {};
}

result<std::vector<webhook_log_entry>> recent_webhook_log(database& db, int limit) {
  return recent_webhook_log(db, webhook_log_filter{}, limit);
}

result<std::vector<webhook_log_entry>> recent_webhook_log(database& db,
                                                          const webhook_log_filter& filter,
                                                          int limit) {
  // Each condition holds when its parameter is empty (or 0): one plain statement for every
  // combination of filters.
  PONS_STORE_TRY(st,
                 db.prepare("SELECT id, received_at, request_id, phone_number_id, signature, "
                            "http_status, messages, statuses, duplicates, body, notes "
                            "FROM webhook_log "
                            "WHERE (?2 = '' OR signature = ?2) AND (?3 = 0 OR http_status = ?3) "
                            "AND (?4 = '' OR phone_number_id IN (SELECT p.phone_number_id "
                            "FROM phone_numbers p JOIN accounts a ON a.id = p.account_id "
                            "WHERE a.waba_id = ?4)) "
                            "ORDER BY id DESC LIMIT ?1"));
  st.bind(1, limit);
  st.bind(2, filter.signature);
  st.bind(3, filter.http_status);
  st.bind(4, filter.waba_id);
  std::vector<webhook_log_entry> out;
  for (;;) {
    PONS_STORE_TRY(row, st.step());
    if (!row) break;
    webhook_log_entry e;
    e.id = st.column_int64(0);
    e.received_at = st.column_text(1);
    e.request_id = st.column_text(2);
    e.phone_number_id = st.column_text(3);
    e.signature = st.column_text(4);
    e.http_status = st.column_int(5);
    e.messages = st.column_int(6);
    e.statuses = st.column_int(7);
    e.duplicates = st.column_int(8);
    e.body = st.column_text(9);
    e.notes = st.column_text(10);
    out.push_back(std::move(e));
  }
  return out;
}

result<int> prune_event_log(database& db, std::string_view before) {
  PONS_STORE_TRY(n, prune_event_log(db, before, before));
  return n.webhook_log + n.processed_events;
}

result<prune_counts> prune_event_log(database& db, std::string_view log_before,
                                     std::string_view keys_before) {
  prune_pass pass{std::string(log_before), std::string(keys_before)};
  while (!pass.done()) PONS_STORE_CHECK(pass.step(db, prune_chunk_rows));
  return pass.total();
}

result<void> prune_pass::step(database& db, int limit) {
  PONS_STORE_TRY(n, prune_event_log_chunk(db, log_before_, keys_before_, limit));
  ++chunks_;
  total_.webhook_log += n.webhook_log;
  total_.processed_events += n.processed_events;
  // A table whose backlog is gone is left alone from now on.
  if (n.webhook_log_done) log_before_.clear();
  if (n.processed_events_done) keys_before_.clear();
  return {};
}

namespace {

// One chunk's DELETE (?1 = the cutoff, ?2 = the chunk size): rows deleted, none when the cutoff
// is empty (that table is kept).
result<int> delete_chunk(database& db, std::string_view sql, std::string_view cutoff, int limit) {
  if (cutoff.empty()) return 0;
  PONS_STORE_TRY(st, db.prepare(sql));
  st.bind_all(cutoff, limit);
  return st.run();
}

}  // namespace

result<prune_counts> prune_event_log_chunk(database& db, std::string_view log_before,
                                           std::string_view keys_before, int limit) {
  prune_counts n;
  PONS_STORE_TRY(scope, detail::write_scope::begin(db));
  // A chunk costs the same however large the backlog is: webhook_log is read in id order (the
  // oldest `limit` rows, deleting those past the cutoff; ids follow arrival, and a row written a
  // little out of order only waits for the next pass), processed_events through its age index.
  PONS_STORE_TRY(logs,
                 delete_chunk(db,
                              "DELETE FROM webhook_log WHERE id IN (SELECT id FROM (SELECT "
                              "id, received_at FROM webhook_log ORDER BY id LIMIT ?2) AS oldest "
                              "WHERE received_at < ?1)",
                              log_before, limit));
  PONS_STORE_TRY(keys, delete_chunk(db,
                                    "DELETE FROM processed_events WHERE key IN (SELECT key FROM "
                                    "processed_events WHERE created_at < ?1 ORDER BY created_at "
                                    "LIMIT ?2)",
                                    keys_before, limit));
  PONS_STORE_CHECK(scope.commit());
  n.webhook_log = logs;
  n.processed_events = keys;
  // A window of the oldest log rows may hold a newer one and still be followed by old rows: only
  // a window with nothing to delete ends that table's pass. The age index hands out the oldest
  // keys first, so a short chunk ends theirs.
  n.webhook_log_done = log_before.empty() || logs == 0;
  n.processed_events_done = keys_before.empty() || keys < limit;
  return n;
}

result<void> record_pull(database& db, const pull_cursor& c) {
  PONS_STORE_TRY(st, db.prepare("INSERT INTO mcp_pull_cursors(client_name, phone_number_id, "
                                "last_pulled_at, last_message_id) VALUES (?1, ?2, ?3, ?4) "
                                "ON CONFLICT(client_name, phone_number_id) DO UPDATE SET "
                                "last_pulled_at = ?3, "
                                "last_message_id = CASE WHEN mcp_pull_cursors.last_message_id > ?4 "
                                "THEN mcp_pull_cursors.last_message_id ELSE ?4 END"));
  st.bind_all(c.client_name, c.phone_number_id, c.last_pulled_at, c.last_message_id);
  PONS_STORE_CHECK(st.run());
  return {};
}

result<std::optional<pull_cursor>> get_pull_cursor(database& db, std::string_view client_name,
                                                   std::string_view phone_number_id) {
  PONS_STORE_TRY(st, db.prepare("SELECT last_pulled_at, last_message_id FROM mcp_pull_cursors "
                                "WHERE client_name = ?1 AND phone_number_id = ?2"));
  st.bind_all(client_name, phone_number_id);
  PONS_STORE_TRY(row, st.step());
  if (!row) return std::optional<pull_cursor>();
  pull_cursor c;
  c.client_name = std::string(client_name);
  c.phone_number_id = std::string(phone_number_id);
  c.last_pulled_at = st.column_text(0);
  c.last_message_id = st.column_int64(1);
  return std::optional<pull_cursor>(std::move(c));
}

}  // namespace pons::store
