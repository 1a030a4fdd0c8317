#include "pons/forward/target_repository.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "pons/forward/url_policy.hpp"
#include "pons/store/database.hpp"

namespace pons::forward {

namespace {

constexpr std::string_view select_columns =
    "SELECT id, url, description, phone_number_id, event_types, enabled, max_attempts, "
    "timeout_ms, last_success_at, last_failure_at, consecutive_failures, created_at, updated_at "
    "FROM webhook_targets";

std::string event_types_json(const std::vector<std::string>& types) {
  boost::json::array a;
  if (types.empty()) {
    for (auto t : all_event_types) a.emplace_back(t);
  } else {
    for (const auto& t : types) a.emplace_back(t);
  }
  return boost::json::serialize(a);
}

std::vector<std::string> parse_event_types(const std::string& text) {
  std::vector<std::string> out;
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec || !v.is_array()) return out;
  for (const auto& e : v.as_array()) {
    if (e.is_string()) out.emplace_back(e.as_string());
  }
  return out;
}

target read_target(const store::statement& st) {
  target t;
  t.id = st.column_int64(0);
  t.url = st.column_text(1);
  t.description = st.column_text(2);
  t.phone_number_id = st.column_text(3);
  t.event_types = parse_event_types(st.column_text(4));
  t.enabled = st.column_int64(5) != 0;
  t.max_attempts = st.column_int(6);
  t.timeout = std::chrono::milliseconds(st.column_int64(7));
  t.last_success_at = st.column_text(8);
  t.last_failure_at = st.column_text(9);
  t.consecutive_failures = st.column_int(10);
  t.created_at = st.column_text(11);
  t.updated_at = st.column_text(12);
  return t;
}

std::vector<std::string> normalised_types(const std::vector<std::string>& types) {
  std::vector<std::string> out;
  for (const auto& t : types) {
    if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(t);
  }
  return out;
}

}  // namespace

bool is_known_event_type(std::string_view type) {
  return std::find(all_event_types.begin(), all_event_types.end(), type) != all_event_types.end();
}

result<std::string> generate_secret() {
  std::array<unsigned char, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    return forward_errc::random_failed;
  }
  static constexpr char digits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (auto b : bytes) {
    hex.push_back(digits[b >> 4]);
    hex.push_back(digits[b & 0xf]);
  }
  return hex;
}

result<void> validate(const target_spec& spec) {
  if (auto parts = parse_target_url(spec.url); !parts) return parts.error();
  for (const auto& t : spec.event_types) {
    if (!is_known_event_type(t)) return forward_errc::unknown_event_type;
  }
  if (spec.max_attempts < 1 || spec.max_attempts > max_max_attempts) {
    return forward_errc::invalid_value;
  }
  if (spec.timeout < min_timeout || spec.timeout > max_timeout) return forward_errc::invalid_value;
  return {};
}

result<target_with_secret> add_target(store::database& db, const target_spec& spec,
                                      store::time_point now) {
  if (auto ok = validate(spec); !ok) return ok.error();
  auto secret = generate_secret();
  if (!secret) return secret.error();
  const auto ts = store::format_timestamp(now);
  std::int64_t id = 0;
  {
    auto st = db.prepare(
        "INSERT INTO webhook_targets(url, description, phone_number_id, event_types, enabled, "
        "max_attempts, timeout_ms, secret, created_at, updated_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9) RETURNING id");
    if (!st) return st.error();
    st->bind_all(spec.url, spec.description, spec.phone_number_id,
                 event_types_json(normalised_types(spec.event_types)), spec.enabled,
                 spec.max_attempts, static_cast<std::int64_t>(spec.timeout.count()), *secret, ts);
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) return store::store_errc::not_found;
    id = st->column_int64(0);
  }
  auto stored = get_target(db, id);
  if (!stored) return stored.error();
  return target_with_secret{std::move(*stored), std::move(*secret)};
}

result<std::vector<target>> list_targets(store::database& db) {
  auto st = db.prepare(std::string(select_columns) + " ORDER BY id");
  if (!st) return st.error();
  std::vector<target> out;
  for (;;) {
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) break;
    out.push_back(read_target(*st));
  }
  return out;
}

result<target> get_target(store::database& db, std::int64_t id) {
  auto st = db.prepare(std::string(select_columns) + " WHERE id = ?1");
  if (!st) return st.error();
  st->bind(1, id);
  auto row = st->step();
  if (!row) return row.error();
  if (!*row) return forward_errc::not_found;
  return read_target(*st);
}

target_spec apply(target_spec spec, const target_changes& changes) {
  if (changes.url) spec.url = *changes.url;
  if (changes.description) spec.description = *changes.description;
  if (changes.phone_number_id) spec.phone_number_id = *changes.phone_number_id;
  if (changes.event_types) spec.event_types = *changes.event_types;
  if (changes.enabled) spec.enabled = *changes.enabled;
  if (changes.max_attempts) spec.max_attempts = *changes.max_attempts;
  if (changes.timeout) spec.timeout = *changes.timeout;
  return spec;
}

result<target> update_target(store::database& db, std::int64_t id, const target_changes& changes,
                             store::time_point now) {
  auto current = get_target(db, id);
  if (!current) return current.error();
  const target_spec spec =
      apply({current->url, current->description, current->phone_number_id, current->event_types,
             current->enabled, current->max_attempts, current->timeout},
            changes);
  if (auto ok = validate(spec); !ok) return ok.error();
  {
    auto st = db.prepare(
        "UPDATE webhook_targets SET url = ?2, description = ?3, phone_number_id = ?4, "
        "event_types = ?5, enabled = ?6, max_attempts = ?7, timeout_ms = ?8, updated_at = ?9 "
        "WHERE id = ?1");
    if (!st) return st.error();
    st->bind_all(id, spec.url, spec.description, spec.phone_number_id,
                 event_types_json(normalised_types(spec.event_types)), spec.enabled,
                 spec.max_attempts, static_cast<std::int64_t>(spec.timeout.count()),
                 store::format_timestamp(now));
    auto changed = st->run();
    if (!changed) return changed.error();
    if (*changed == 0) return forward_errc::not_found;
  }
  return get_target(db, id);
}

result<void> remove_target(store::database& db, std::int64_t id) {
  auto tx = store::transaction::begin(db);
  if (!tx) return tx.error();
  {
    // Deliveries and attempts go with the target (ON DELETE CASCADE).
    auto st = db.prepare("DELETE FROM webhook_targets WHERE id = ?1");
    if (!st) return st.error();
    st->bind(1, id);
    auto changed = st->run();
    if (!changed) return changed.error();
    if (*changed == 0) return forward_errc::not_found;
  }
  {
    // Events nobody will deliver any more would only take space.
    auto st = db.prepare(
        "DELETE FROM webhook_events WHERE NOT EXISTS "
        "(SELECT 1 FROM webhook_deliveries d WHERE d.event_id = webhook_events.id)");
    if (!st) return st.error();
    if (auto r = st->run(); !r) return r.error();
  }
  return tx->commit();
}

result<target_with_secret> rotate_secret(store::database& db, std::int64_t id,
                                         store::time_point now) {
  auto secret = generate_secret();
  if (!secret) return secret.error();
  {
    auto st = db.prepare("UPDATE webhook_targets SET secret = ?2, updated_at = ?3 WHERE id = ?1");
    if (!st) return st.error();
    st->bind_all(id, *secret, store::format_timestamp(now));
    auto changed = st->run();
    if (!changed) return changed.error();
    if (*changed == 0) return forward_errc::not_found;
  }
  auto stored = get_target(db, id);
  if (!stored) return stored.error();
  return target_with_secret{std::move(*stored), std::move(*secret)};
}

}  // namespace pons::forward
