#pragma once
// The forwarding outbox: an event is written, with one delivery row per matching target, in the
// same transaction as the change that caused it, by whichever process made the change. The rows
// and the envelope are written by store::enqueue_webhook_event (also used by webhook ingest), so
// both processes produce the same thing.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/forward/error.hpp"
#include "core/store/timestamp.hpp"

namespace pons::store {
class database;
}

namespace pons::forward {

/// One event to forward.
struct event {
  std::string type;             // one of all_event_types
  std::string account_id;       // the WABA id (envelope "accountId")
  std::string phone_number_id;  // selects targets scoped to a number
  std::string payload_json;     // a JSON value (normally an object), embedded as "payload"
  store::time_point occurred_at;
  std::string source;     // envelope "source"; empty: "pons"
  std::string event_key;  // stable identity (e.g. "sent:<message id>"); empty: random
};

/// What enqueue_event wrote.
struct enqueued {
  std::string event_id;  // "evt_<32 hex>", empty when nothing was written
  int deliveries = 0;    // one per enabled target whose scope and event types match
};

/// A random event key ("rnd:" + 24 random hex digits) for events without a natural identity.
result<std::string> random_event_key();

/// Writes the event and its deliveries (due at `now`) for every enabled target subscribed to
/// e.type whose phone number scope is empty or e.phone_number_id. The envelope is
/// {"id","type","source","occurredAt","accountId","payload"}, id = store::make_event_id(key).
/// Writes nothing when no target matches or the key was already used. Refuses unknown types and
/// a payload that is not valid JSON. Call inside the caller's open write transaction.
result<enqueued> enqueue_event(store::database& db, const event& e, store::time_point now);

/// The same with the fields spelt out; `now` is read from the system clock (I/O boundary).
result<enqueued> enqueue_event(store::database& db, std::string_view type,
                               std::string_view account_id, std::string_view phone_number_id,
                               std::string_view payload_json, store::time_point occurred_at);

}  // namespace pons::forward
