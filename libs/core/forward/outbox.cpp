#include "core/forward/outbox.hpp"

#include <openssl/rand.h>

#include <array>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>

#include "core/forward/target_repository.hpp"
#include "core/store/database.hpp"

namespace pons::forward {

result<std::string> new_event_id() {
  std::array<unsigned char, 12> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    return forward_errc::random_failed;
  }
  static constexpr char digits[] = "0123456789abcdef";
  std::string id = "evt_";
  for (auto b : bytes) {
    id.push_back(digits[b >> 4]);
    id.push_back(digits[b & 0xf]);
  }
  return id;
}

result<std::string> build_envelope(std::string_view event_id, const event& e) {
  boost::system::error_code ec;
  auto payload = boost::json::parse(e.payload_json, ec);
  if (ec) return forward_errc::invalid_value;
  boost::json::object envelope;
  envelope["id"] = event_id;
  envelope["type"] = e.type;
  envelope["source"] = e.source.empty() ? std::string_view("whatsapp") : e.source;
  envelope["occurredAt"] = store::format_timestamp(e.occurred_at);
  envelope["accountId"] = e.account_id;
  envelope["payload"] = std::move(payload);
  return boost::json::serialize(envelope);
}

result<enqueued> enqueue_event(store::database& db, const event& e, store::time_point now) {
  if (!is_known_event_type(e.type)) return forward_errc::unknown_event_type;
  constexpr std::string_view matching =
      "FROM webhook_targets t WHERE t.enabled = 1 "
      "AND (t.phone_number_id = '' OR t.phone_number_id = ?1) "
      "AND EXISTS (SELECT 1 FROM json_each(t.event_types) WHERE json_each.value = ?2)";
  {
    // Most installations forward nothing: then the outbox stays empty.
    auto st = db.prepare(std::string("SELECT EXISTS (SELECT 1 ") + std::string(matching) + ")");
    if (!st) return st.error();
    st->bind_all(e.phone_number_id, e.type);
    auto row = st->step();
    if (!row) return row.error();
    if (!*row || st->column_int64(0) == 0) return enqueued{};
  }
  auto id = new_event_id();
  if (!id) return id.error();
  auto body = build_envelope(*id, e);
  if (!body) return body.error();
  const auto ts = store::format_timestamp(now);
  {
    auto st = db.prepare(
        "INSERT INTO webhook_events(event_id, type, source, occurred_at, account_id, "
        "phone_number_id, body, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    if (!st) return st.error();
    st->bind_all(*id, e.type, e.source.empty() ? std::string("whatsapp") : e.source,
                 store::format_timestamp(e.occurred_at), e.account_id, e.phone_number_id, *body,
                 ts);
    if (auto r = st->run(); !r) return r.error();
  }
  const auto event_row = db.last_insert_rowid();
  auto st = db.prepare(
      std::string("INSERT INTO webhook_deliveries(event_id, target_id, state, attempts, "
                  "next_attempt_at, created_at, updated_at) SELECT ?3, t.id, 'pending', 0, ?4, "
                  "?4, ?4 ") +
      std::string(matching));
  if (!st) return st.error();
  st->bind_all(e.phone_number_id, e.type, event_row, ts);
  auto inserted = st->run();
  if (!inserted) return inserted.error();
  return enqueued{std::move(*id), *inserted};
}

result<enqueued> enqueue_event(store::database& db, std::string_view type,
                               std::string_view account_id, std::string_view phone_number_id,
                               std::string_view payload_json, store::time_point occurred_at) {
  event e{std::string(type),
          std::string(account_id),
          std::string(phone_number_id),
          std::string(payload_json),
          occurred_at,
          {}};
  return enqueue_event(db, e, std::chrono::system_clock::now());
}

}  // namespace pons::forward
