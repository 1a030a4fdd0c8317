#pragma once
// The forwarding outbox (issue 6): events written in the same transaction as the change that
// caused them, with one delivery row per subscribed target. The deliverer (core/forward) reads
// webhook_deliveries; targets are managed there too.

#include <string>
#include <string_view>

#include "core/store/error.hpp"
#include "core/store/timestamp.hpp"

namespace pons::store {

class database;

/// Forwarded event types.
inline constexpr std::string_view event_inbound_received = "message.inbound.received";
inline constexpr std::string_view event_outbound_sent = "message.outbound.sent";
inline constexpr std::string_view event_outbound_failed = "message.outbound.failed";
inline constexpr std::string_view event_status_updated = "message.status.updated";

/// One event to forward.
struct outbox_event {
  std::string event_key;  // stable identity (e.g. "msg:<wamid>"); the envelope id derives from it
  std::string type;       // one of the event_* constants
  std::string source = "pons";
  std::string occurred_at;      // ISO-8601 UTC
  std::string account_id;       // WABA id ("accountId")
  std::string phone_number_id;  // for targets scoped to one number
  std::string payload_json;     // a JSON object, serialised
};

/// The envelope id for an event key: "evt_" + 32 hex digits of SHA-256(key). Stable, so a
/// replayed change cannot create a second event.
std::string make_event_id(std::string_view event_key);

/// The exact JSON body POSTed and signed: {id, type, source, occurredAt, accountId, payload}.
std::string make_envelope(std::string_view event_id, const outbox_event& e);

/// Writes the event and one pending delivery (due now) per enabled target subscribed to its type
/// (event_types JSON array containing the type, or "*") whose number scope is empty or matches.
/// Writes nothing when no target wants it or the event id exists. Returns deliveries created.
result<int> enqueue_webhook_event(database& db, const outbox_event& e, time_point now);

}  // namespace pons::store
