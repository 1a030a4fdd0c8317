#include "core/forward/outbox.hpp"

#include <openssl/rand.h>

#include <array>
#include <boost/json/parse.hpp>
#include <chrono>

#include "core/forward/target_repository.hpp"
#include "core/store/database.hpp"
#include "core/store/outbox_repository.hpp"

namespace pons::forward {

result<std::string> random_event_key() {
  std::array<unsigned char, 12> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    return forward_errc::random_failed;
  }
  static constexpr char digits[] = "0123456789abcdef";
  std::string key = "rnd:";
  for (auto b : bytes) {
    key.push_back(digits[b >> 4]);
    key.push_back(digits[b & 0xf]);
  }
  return key;
}

result<enqueued> enqueue_event(store::database& db, const event& e, store::time_point now) {
  if (!is_known_event_type(e.type)) return forward_errc::unknown_event_type;
  // The payload is embedded verbatim in the signed body: it must be one valid JSON value.
  boost::system::error_code ec;
  boost::json::parse(e.payload_json, ec);
  if (ec) return forward_errc::invalid_value;

  store::outbox_event row;
  if (e.event_key.empty()) {
    auto key = random_event_key();
    if (!key) return key.error();
    row.event_key = std::move(*key);
  } else {
    row.event_key = e.event_key;
  }
  row.type = e.type;
  if (!e.source.empty()) row.source = e.source;
  row.occurred_at = store::format_timestamp(e.occurred_at);
  row.account_id = e.account_id;
  row.phone_number_id = e.phone_number_id;
  row.payload_json = e.payload_json;
  auto n = store::enqueue_webhook_event(db, row, now);
  if (!n) return n.error();
  if (*n == 0) return enqueued{};
  return enqueued{store::make_event_id(row.event_key), *n};
}

result<enqueued> enqueue_event(store::database& db, std::string_view type,
                               std::string_view account_id, std::string_view phone_number_id,
                               std::string_view payload_json, store::time_point occurred_at) {
  event e;
  e.type = type;
  e.account_id = account_id;
  e.phone_number_id = phone_number_id;
  e.payload_json = payload_json;
  e.occurred_at = occurred_at;
  return enqueue_event(db, e, std::chrono::system_clock::now());
}

}  // namespace pons::forward
