#include "core/store/outbox_repository.hpp"

#include <openssl/sha.h>

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include "core/store/database.hpp"
#include "core/store/sql_support.hpp"

namespace pons::store {

namespace {

std::string json_string(std::string_view s) {
  return boost::json::serialize(boost::json::string(s));
}

}  // namespace

std::string make_event_id(std::string_view event_key) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(event_key.data()), event_key.size(), digest);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "evt_";
  for (int i = 0; i < 16; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 0xf];
  }
  return out;
}

std::string make_envelope(std::string_view event_id, const outbox_event& e) {
  std::string out = "{\"id\":" + json_string(event_id);
  out += ",\"type\":" + json_string(e.type);
  out += ",\"source\":" + json_string(e.source);
  out += ",\"occurredAt\":" + json_string(e.occurred_at);
  out += ",\"accountId\":" + json_string(e.account_id);
  out += ",\"payload\":";
  out += e.payload_json.empty() ? std::string("{}") : e.payload_json;
  out += '}';
  return out;
}

result<int> enqueue_webhook_event(database& db, const outbox_event& e, time_point now) {
  constexpr std::string_view target_filter =
      "FROM webhook_targets WHERE enabled = 1 AND (phone_number_id = '' OR phone_number_id = ?1) "
      "AND (instr(event_types, '\"' || ?2 || '\"') > 0 OR instr(event_types, '\"*\"') > 0)";
  {
    // Cheap check first: most installations have no targets, and then nothing is written.
    PONS_STORE_TRY(count, db.prepare("SELECT count(*) " + std::string(target_filter)));
    count.bind_all(e.phone_number_id, e.type);
    PONS_STORE_TRY(row, count.step());
    if (!row || count.column_int64(0) == 0) return 0;
  }
  const std::string stamp = format_timestamp(now);
  const std::string event_id = make_event_id(e.event_key);
  PONS_STORE_TRY(ins, db.prepare("INSERT OR IGNORE INTO webhook_events(event_id, type, source, "
                                 "occurred_at, account_id, phone_number_id, body, created_at) "
                                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
  ins.bind_all(event_id, e.type, e.source, e.occurred_at, e.account_id, e.phone_number_id,
               make_envelope(event_id, e), stamp);
  PONS_STORE_TRY(inserted, ins.run());
  if (inserted == 0) return 0;
  const std::int64_t row_id = db.last_insert_rowid();
  PONS_STORE_TRY(del, db.prepare("INSERT INTO webhook_deliveries(event_id, target_id, state, "
                                 "attempts, next_attempt_at, created_at, updated_at) "
                                 "SELECT ?3, id, 'pending', 0, ?4, ?4, ?4 " +
                                 std::string(target_filter)));
  del.bind(1, e.phone_number_id).bind(2, e.type).bind(3, row_id).bind(4, stamp);
  PONS_STORE_TRY(n, del.run());
  return n;
}

}  // namespace pons::store
