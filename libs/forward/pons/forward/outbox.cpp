#include "pons/forward/outbox.hpp"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <chrono>
#include <utility>

#include "pons/forward/target_repository.hpp"
#include "pons/store/database.hpp"
#include "pons/store/like_pattern.hpp"

namespace pons::forward {

namespace {

std::string hex_id(const unsigned char* bytes, std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string id = "evt_";
  for (std::size_t i = 0; i < n; ++i) {
    id.push_back(digits[bytes[i] >> 4]);
    id.push_back(digits[bytes[i] & 0xf]);
  }
  return id;
}

std::string json_string(std::string_view s) {
  return boost::json::serialize(boost::json::string(s));
}

}  // namespace

event make_event(std::string_view type, std::string event_key, event_origin origin,
                 store::time_point occurred_at, std::string payload_json) {
  event e;
  e.type = type;
  e.account_id = std::move(origin.account_id);
  e.phone_number_id = std::move(origin.phone_number_id);
  e.payload_json = std::move(payload_json);
  e.occurred_at = occurred_at;
  e.source = std::move(origin.source);
  e.event_key = std::move(event_key);
  return e;
}

std::string event_id_for_key(std::string_view event_key) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(event_key.data()), event_key.size(), digest);
  return hex_id(digest, 16);
}

result<std::string> random_event_id() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    return forward_errc::random_failed;
  }
  return hex_id(bytes.data(), bytes.size());
}

std::string make_envelope(std::string_view event_id, const event& e) {
  std::string out = "{\"id\":" + json_string(event_id);
  out += ",\"type\":" + json_string(e.type);
  out += ",\"source\":" + json_string(e.source.empty() ? std::string_view("whatsapp") : e.source);
  out += ",\"occurredAt\":" + json_string(store::format_timestamp(e.occurred_at));
  out += ",\"accountId\":" + json_string(e.account_id);
  out += ",\"payload\":";
  out += e.payload_json;
  out += '}';
  return out;
}

result<enqueued> enqueue_event(store::database& db, const event& e, store::time_point now) {
  if (!is_known_event_type(e.type)) return forward_errc::unknown_event_type;
  // The payload is embedded verbatim in the signed body: it must be one valid JSON value.
  boost::system::error_code ec;
  boost::json::parse(e.payload_json, ec);
  if (ec) return forward_errc::invalid_value;

  // event_types is a JSON array of strings: the type, quoted, is one of its elements. A LIKE
  // both engines run (the type is a known one, escaped all the same).
  constexpr std::string_view matching =
      "FROM webhook_targets t WHERE t.enabled = 1 "
      "AND (t.phone_number_id = '' OR t.phone_number_id = ?1) "
      "AND t.event_types LIKE ?2 ESCAPE '\\'";
  const std::string listed = "%\"" + store::escape_like(e.type) + "\"%";
  {
    // Most installations forward nothing: then the outbox stays empty.
    auto st = db.prepare(std::string("SELECT EXISTS (SELECT 1 ") + std::string(matching) + ")");
    if (!st) return st.error();
    st->bind_all(e.phone_number_id, listed);
    auto row = st->step();
    if (!row) return row.error();
    if (!*row || st->column_int64(0) == 0) return enqueued{};
  }
  std::string id;
  if (e.event_key.empty()) {
    auto r = random_event_id();
    if (!r) return r.error();
    id = std::move(*r);
  } else {
    id = event_id_for_key(e.event_key);
  }
  const auto ts = store::format_timestamp(now);
  std::int64_t event_row = 0;
  {
    auto st = db.prepare(
        "INSERT INTO webhook_events(event_id, type, source, occurred_at, account_id, "
        "phone_number_id, body, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
        "ON CONFLICT DO NOTHING RETURNING id");
    if (!st) return st.error();
    st->bind_all(id, e.type, e.source.empty() ? std::string("whatsapp") : e.source,
                 store::format_timestamp(e.occurred_at), e.account_id, e.phone_number_id,
                 make_envelope(id, e), ts);
    auto inserted = st->step();
    if (!inserted) return inserted.error();
    if (!*inserted) return enqueued{};  // this key was enqueued before
    event_row = st->column_int64(0);
  }
  auto st = db.prepare(
      std::string("INSERT INTO webhook_deliveries(event_id, target_id, state, attempts, "
                  "next_attempt_at, created_at, updated_at) SELECT ?3, t.id, 'pending', 0, ?4, "
                  "?4, ?4 ") +
      std::string(matching));
  if (!st) return st.error();
  st->bind_all(e.phone_number_id, listed, event_row, ts);
  auto inserted = st->run();
  if (!inserted) return inserted.error();
  return enqueued{std::move(id), *inserted};
}

result<enqueued> enqueue_event(store::database& db, std::string_view type,
                               std::string_view account_id, std::string_view phone_number_id,
                               std::string_view payload_json, store::time_point occurred_at) {
  const auto e = make_event(
      type, "",
      {.account_id = std::string(account_id), .phone_number_id = std::string(phone_number_id)},
      occurred_at, std::string(payload_json));
  return enqueue_event(db, e, std::chrono::system_clock::now());
}

}  // namespace pons::forward
