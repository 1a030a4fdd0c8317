#pragma once
// The forwarding outbox: an event is written, with one delivery row per matching target, in the
// same transaction as the change that caused it, by whichever process made the change (webhook
// ingest in pons-webhook, the outbound flow in pons-mcp).

#include <cstdint>
#include <string>
#include <string_view>

#include "pons/forward/error.hpp"
#include "pons/forward/target_repository.hpp"
#include "pons/store/timestamp.hpp"

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
  std::string source;     // envelope "source"; empty: "whatsapp"
  std::string event_key;  // stable identity (e.g. "sent:<message id>"); empty: random
};

/// Where an event comes from. Producers spell it with designated initializers: gcc's
/// -Wmissing-field-initializers (an error here) then refuses one that leaves out a field that has
/// no default.
struct event_origin {
  std::string account_id;       // the WABA id (envelope "accountId")
  std::string phone_number_id;  // selects targets scoped to a number
  std::string source{};         // envelope "source"; empty (the default): "whatsapp"
};

/// Builds an event from its parts. Every producer builds its events here, so that a field added
/// to `event` becomes a parameter each of them has to supply.
event make_event(std::string_view type, std::string event_key, event_origin origin,
                 store::time_point occurred_at, std::string payload_json);

/// What enqueue_event wrote.
struct enqueued {
  std::string event_id;  // "evt_<32 hex>", empty when nothing was written
  int deliveries = 0;    // one per enabled target whose scope and event types match
};

/// The envelope id for a stable event key: "evt_" + 32 hex digits of SHA-256(key), so a replayed
/// change cannot create a second event.
std::string event_id_for_key(std::string_view event_key);

/// A random envelope id: "evt_" + 32 random hex digits.
result<std::string> random_event_id();

/// The exact JSON body that is POSTed and signed:
/// {"id","type","source","occurredAt","accountId","payload"}; the payload is embedded verbatim.
std::string make_envelope(std::string_view event_id, const event& e);

/// Writes the event and its deliveries (due at `now`) for every enabled target subscribed to
/// e.type whose phone number scope is empty or e.phone_number_id. The envelope is
/// made by make_envelope, its id event_id_for_key(key) (random without a key).
/// Writes nothing when no target matches or the key was already used. Refuses unknown types and
/// a payload that is not valid JSON. Call inside the caller's open write transaction.
result<enqueued> enqueue_event(store::database& db, const event& e, store::time_point now);

/// The same with the fields spelt out; `now` is read from the system clock (I/O boundary).
result<enqueued> enqueue_event(store::database& db, std::string_view type,
                               std::string_view account_id, std::string_view phone_number_id,
                               std::string_view payload_json, store::time_point occurred_at);

}  // namespace pons::forward
