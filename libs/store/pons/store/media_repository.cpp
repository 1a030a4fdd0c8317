#include "pons/store/media_repository.hpp"

#include <algorithm>

#include "pons/store/database.hpp"
#include "pons/store/sql_support.hpp"

namespace pons::store {

namespace {

constexpr std::string_view media_columns =
    "SELECT id, message_id, media_id, phone_number_id, mime, sha256, size, path, state, attempts, "
    "next_attempt_at, last_error FROM media ";

media_record read_media(const statement& st) {
  media_record m;
  m.id = st.column_int64(0);
  m.message_id = st.column_optional_int64(1);
  m.media_id = st.column_text(2);
  m.phone_number_id = st.column_text(3);
  m.mime = st.column_text(4);
  m.sha256 = st.column_text(5);
  m.size = st.column_optional_int64(6);
  m.path = st.column_text(7);
  m.state = st.column_text(8);
  m.attempts = st.column_int(9);
  m.next_attempt_at = st.column_text(10);
  m.last_error = st.column_text(11);
  return m;
}

constexpr std::string_view insert_media_sql =
    "INSERT INTO media(message_id, media_id, phone_number_id, mime, sha256, next_attempt_at, "
    "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?6) "
    "ON CONFLICT(media_id) DO NOTHING";

void bind_media(statement& st, std::optional<std::int64_t> message_id,
                std::string_view phone_number_id, const domain::media_ref& media, time_point now) {
  st.bind(1, message_id).bind(2, media.media_id).bind(3, phone_number_id);
  st.bind(4, media.mime_type).bind(5, media.sha256).bind(6, format_timestamp(now));
}

}  // namespace

result<std::int64_t> enqueue_media(database& db, std::optional<std::int64_t> message_id,
                                   std::string_view phone_number_id, const domain::media_ref& media,
                                   time_point now) {
  if (media.media_id.empty()) return store_errc::invalid_argument;
  PONS_STORE_TRY(st, db.prepare(insert_media_sql));
  bind_media(st, message_id, phone_number_id, media, now);
  PONS_STORE_CHECK(st.run());
  PONS_STORE_TRY(id, db.prepare("SELECT id FROM media WHERE media_id = ?1"));
  id.bind(1, media.media_id);
  PONS_STORE_TRY(row, id.step());
  if (!row) return store_errc::not_found;
  return id.column_int64(0);
}

result<void> queue_media(database& db, std::int64_t message_id, std::string_view phone_number_id,
                         const domain::media_ref& media, time_point now) {
  if (media.media_id.empty()) return store_errc::invalid_argument;
  PONS_STORE_TRY(st, db.prepare(insert_media_sql));
  bind_media(st, message_id, phone_number_id, media, now);
  PONS_STORE_CHECK(st.run_later());
  return {};
}

result<std::optional<media_record>> claim_next_media_job(database& db, time_point now,
                                                         std::chrono::seconds lease) {
  PONS_STORE_TRY(scope, detail::write_scope::begin(db));
  const std::string stamp = format_timestamp(now);
  PONS_STORE_TRY(st,
                 db.prepare(std::string(media_columns) +
                            "WHERE state IN ('queued', 'downloading') AND next_attempt_at <= ?1 "
                            "ORDER BY next_attempt_at, id LIMIT 1" +
                            db.claim_clause("media")));
  st.bind(1, stamp);
  PONS_STORE_TRY(row, st.step());
  if (!row) return std::optional<media_record>();
  media_record m = read_media(st);
  st.reset();
  m.state = "downloading";
  m.attempts += 1;
  m.next_attempt_at = format_timestamp(now + lease);
  PONS_STORE_TRY(up, db.prepare("UPDATE media SET state = 'downloading', attempts = ?2, "
                                "next_attempt_at = ?3, updated_at = ?4 WHERE id = ?1"));
  up.bind_all(m.id, m.attempts, m.next_attempt_at, stamp);
  PONS_STORE_CHECK(up.run());
  PONS_STORE_CHECK(scope.commit());
  return std::optional<media_record>(std::move(m));
}

result<void> mark_media_done(database& db, std::int64_t id, std::string_view path,
                             std::int64_t size, std::string_view sha256, std::string_view mime,
                             time_point now) {
  PONS_STORE_TRY(st, db.prepare("UPDATE media SET state = 'done', path = ?2, size = ?3, "
                                "sha256 = ?4, mime = CASE WHEN ?5 <> '' THEN ?5 ELSE mime END, "
                                "last_error = '', updated_at = ?6 WHERE id = ?1"));
  st.bind_all(id, path, size, sha256, mime, format_timestamp(now));
  PONS_STORE_TRY(n, st.run());
  if (n == 0) return store_errc::not_found;
  return {};
}

result<void> mark_media_failed(database& db, std::int64_t id, std::string_view error,
                               time_point now, int max_attempts, std::chrono::seconds base) {
  PONS_STORE_TRY(scope, detail::write_scope::begin(db));
  PONS_STORE_TRY(get, db.prepare("SELECT attempts FROM media WHERE id = ?1"));
  get.bind(1, id);
  PONS_STORE_TRY(row, get.step());
  if (!row) return store_errc::not_found;
  const int attempts = get.column_int(0);
  get.reset();
  const bool give_up = attempts >= max_attempts;
  const int exponent = std::clamp(attempts - 1, 0, 20);
  const auto delay =
      std::min<std::chrono::seconds>(base * (std::int64_t{1} << exponent), std::chrono::hours(1));
  PONS_STORE_TRY(st, db.prepare("UPDATE media SET state = ?2, last_error = ?3, "
                                "next_attempt_at = ?4, updated_at = ?5 WHERE id = ?1"));
  st.bind_all(id, give_up ? "failed" : "queued", error, format_timestamp(now + delay),
              format_timestamp(now));
  PONS_STORE_CHECK(st.run());
  return scope.commit();
}

result<std::optional<media_record>> find_media(database& db, std::string_view media_id) {
  PONS_STORE_TRY(st, db.prepare(std::string(media_columns) + "WHERE media_id = ?1"));
  st.bind(1, media_id);
  PONS_STORE_TRY(row, st.step());
  if (!row) return std::optional<media_record>();
  return std::optional<media_record>(read_media(st));
}

result<std::vector<media_record>> media_for_message(database& db, std::int64_t message_id) {
  PONS_STORE_TRY(st, db.prepare(std::string(media_columns) + "WHERE message_id = ?1 ORDER BY id"));
  st.bind(1, message_id);
  std::vector<media_record> out;
  for (;;) {
    PONS_STORE_TRY(row, st.step());
    if (!row) break;
    out.push_back(read_media(st));
  }
  return out;
}

result<std::int64_t> count_media(database& db, std::string_view state) {
  PONS_STORE_TRY(st, db.prepare("SELECT count(*) FROM media WHERE state = ?1"));
  st.bind(1, state);
  PONS_STORE_TRY(row, st.step());
  return row ? st.column_int64(0) : 0;
}

}  // namespace pons::store
