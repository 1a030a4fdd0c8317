#pragma once
// Forwarding targets: where events go, which ones, and how each target is doing. The signing
// secret is generated here, returned once by add_target / rotate_secret, and otherwise never
// leaves the database (target records do not carry it).

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pons/forward/error.hpp"
#include "pons/store/timestamp.hpp"

namespace pons::store {
class database;
}

namespace pons::forward {

/// The name of each event type (the envelope's "type").
inline constexpr std::string_view event_inbound_received = "message.inbound.received";
inline constexpr std::string_view event_outbound_sent = "message.outbound.sent";
inline constexpr std::string_view event_outbound_failed = "message.outbound.failed";
inline constexpr std::string_view event_status_updated = "message.status.updated";
inline constexpr std::string_view event_preferences_updated = "contact.preferences.updated";
inline constexpr std::string_view event_template_status_updated = "template.status.updated";
inline constexpr std::string_view event_number_quality_updated = "number.quality.updated";
inline constexpr std::string_view event_account_standing_updated = "account.standing.updated";

/// The event types Pons emits, in documentation order.
inline constexpr std::array<std::string_view, 8> all_event_types{
    event_inbound_received,       event_outbound_sent,           event_outbound_failed,
    event_status_updated,         event_preferences_updated,     event_template_status_updated,
    event_number_quality_updated, event_account_standing_updated};

/// True when `type` is one of all_event_types.
bool is_known_event_type(std::string_view type);

/// Defaults and limits of target settings.
inline constexpr int default_max_attempts = 8;
inline constexpr int max_max_attempts = 50;
inline constexpr std::chrono::milliseconds default_timeout{10000};
inline constexpr std::chrono::milliseconds min_timeout{100};
inline constexpr std::chrono::milliseconds max_timeout{300000};

/// A stored target, without its secret.
struct target {
  std::int64_t id = 0;
  std::string url;
  std::string description;
  std::string phone_number_id;  // empty: every number
  std::vector<std::string> event_types;
  bool enabled = true;
  int max_attempts = default_max_attempts;
  std::chrono::milliseconds timeout = default_timeout;
  std::string last_success_at;  // empty: never
  std::string last_failure_at;  // empty: never
  int consecutive_failures = 0;
  std::string created_at;
  std::string updated_at;
};

/// What a new target is made of; empty event_types subscribes to every type.
struct target_spec {
  std::string url;
  std::string description;
  std::string phone_number_id;
  std::vector<std::string> event_types;
  bool enabled = true;
  int max_attempts = default_max_attempts;
  std::chrono::milliseconds timeout = default_timeout;
};

/// A partial update: only the fields that are set change.
struct target_changes {
  std::optional<std::string> url;
  std::optional<std::string> description;
  std::optional<std::string> phone_number_id;
  std::optional<std::vector<std::string>> event_types;
  std::optional<bool> enabled;
  std::optional<int> max_attempts;
  std::optional<std::chrono::milliseconds> timeout;
};

/// `spec` with every field that `changes` sets replaced (the shared step of add and update).
target_spec apply(target_spec spec, const target_changes& changes);

/// A target just created or re-keyed, with the secret to show once.
struct target_with_secret {
  target value;
  std::string secret;
};

/// 32 random bytes from OpenSSL's RAND_bytes, lowercase hex (64 characters).
result<std::string> generate_secret();

/// Checks URL, event types, attempts and timeout without touching the database.
result<void> validate(const target_spec& spec);

/// Validates and stores a new target with a fresh secret.
result<target_with_secret> add_target(store::database& db, const target_spec& spec,
                                      store::time_point now);

/// Every target, by id.
result<std::vector<target>> list_targets(store::database& db);

/// One target (not_found when absent).
result<target> get_target(store::database& db, std::int64_t id);

/// Applies `changes` after validating the result; returns the updated target.
result<target> update_target(store::database& db, std::int64_t id, const target_changes& changes,
                             store::time_point now);

/// Deletes a target with its deliveries and their attempts.
result<void> remove_target(store::database& db, std::int64_t id);

/// Replaces the signing secret; the old one stops working for the next attempt.
result<target_with_secret> rotate_secret(store::database& db, std::int64_t id,
                                         store::time_point now);

}  // namespace pons::forward
