#include "pons/store/status_repository.hpp"

#include "pons/domain/status_order.hpp"
#include "pons/store/contact_preferences.hpp"
#include "pons/store/database.hpp"
#include "pons/store/sql_support.hpp"

namespace pons::store {

namespace {

bool advances(std::string_view current, std::string_view incoming) {
  const auto c = domain::parse_message_status(current);
  const auto i = domain::parse_message_status(incoming);
  return c && i && domain::status_advances(*c, *i);
}

// Writes the new status (and, for failed, the error) onto the message, if it still has the
// status the decision was made on: a status another writer applied meanwhile (another instance,
// or pons-mcp marking a send) is not overwritten by one that was ahead of only the older one.
result<void> set_message_status(database& db, std::int64_t message_id, std::string_view status,
                                std::optional<int> error_code, std::string_view error_title,
                                std::string_view error_details, std::string_view now,
                                std::string_view was) {
  PONS_STORE_TRY(
      st, db.prepare("UPDATE messages SET status = ?2, "
                     "error_code = CASE WHEN ?2 = 'failed' THEN ?3 ELSE error_code END, "
                     "error_title = CASE WHEN ?2 = 'failed' THEN ?4 ELSE error_title END, "
                     "error_details = CASE WHEN ?2 = 'failed' THEN ?5 ELSE error_details END, "
                     "updated_at = ?6 WHERE id = ?1 AND status = ?7"));
  st.bind_all(message_id, status, error_code, error_title, error_details, now, was);
  PONS_STORE_CHECK(st.run_later());
  return {};
}

}  // namespace

result<std::optional<status_target>> find_status_target(database& db, std::string_view wamid) {
  PONS_STORE_TRY(st,
                 db.prepare("SELECT id, status, phone_number_id FROM messages WHERE wamid = ?1"));
  st.bind(1, wamid);
  PONS_STORE_TRY(row, st.step());
  if (!row) return std::optional<status_target>();
  return std::optional<status_target>(
      status_target{st.column_int64(0), st.column_text(1), st.column_text(2)});
}

bool foreign_status(const std::optional<status_target>& target, std::string_view phone_number_id) {
  // An empty number matches nothing: a status that cannot say whose it is touches no message.
  return target && (phone_number_id.empty() || target->phone_number_id != phone_number_id);
}

result<status_outcome> apply_status(database& db, const domain::status_update& s, time_point now) {
  if (s.wamid.empty()) return store_errc::invalid_argument;
  PONS_STORE_TRY(target, find_status_target(db, s.wamid));
  return apply_status(db, s, target, now);
}

result<status_outcome> apply_status(database& db, const domain::status_update& s,
                                    const std::optional<status_target>& target, time_point now) {
  if (s.wamid.empty()) return store_errc::invalid_argument;
  status_outcome out;
  if (foreign_status(target, s.phone_number_id)) {
    // Not recorded either: the event would join the other number's history (and its early
    // statuses), where whoever signed it has no say.
    out.foreign = true;
    return out;
  }
  if (target) {
    out.known_message = true;
    out.message_id = target->message_id;
    out.current_status = target->status;
  }
  const std::string stamp = format_timestamp(now);
  out.applied = out.known_message && advances(out.current_status, s.status);

  std::optional<int> code;
  std::string title, details;
  if (!s.errors.empty()) {
    code = s.errors.front().code;
    title = s.errors.front().title;
    details =
        s.errors.front().details.empty() ? s.errors.front().message : s.errors.front().details;
  }
  const domain::status_pricing pricing = s.pricing.value_or(domain::status_pricing{});

  PONS_STORE_TRY(
      ins, db.prepare("INSERT INTO message_status_events(wamid, message_id, status, applied, ts, "
                      "recipient_id, recipient_user_id, phone_number_id, error_code, error_title, "
                      "error_details, conversation_id, conversation_origin, pricing_billable, "
                      "pricing_model, pricing_category, pricing_type, raw_json, created_at) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
                      "?16, ?17, ?18, ?19)"));
  ins.bind(1, s.wamid);
  if (out.known_message) {
    ins.bind(2, out.message_id);
  } else {
    ins.bind_null(2);
  }
  ins.bind(3, s.status).bind(4, out.applied).bind(5, s.timestamp_unix);
  ins.bind(6, s.recipient_id).bind(7, s.recipient_user_id).bind(8, s.phone_number_id);
  ins.bind(9, code).bind(10, title).bind(11, details);
  ins.bind(12, pricing.conversation_id).bind(13, pricing.conversation_origin);
  if (s.pricing) {
    ins.bind(14, pricing.billable);
  } else {
    ins.bind_null(14);
  }
  ins.bind(15, pricing.pricing_model).bind(16, pricing.pricing_category);
  ins.bind(17, pricing.pricing_type).bind(18, s.raw_json).bind(19, stamp);
  // The event, the message's new status and its pricing are not read back here: under a
  // write_deferral they travel with the next statement that waits.
  PONS_STORE_CHECK(ins.run_later());

  if (out.applied) {
    PONS_STORE_CHECK(set_message_status(db, out.message_id, s.status, code, title, details, stamp,
                                        out.current_status));
    out.current_status = s.status;
  }
  if (out.known_message && s.pricing && !pricing.pricing_category.empty()) {
    PONS_STORE_CHECK(record_pricing(db, out.message_id, pricing, stamp));
  }
  if (out.known_message && s.status == "failed" && code == marketing_opted_out_code) {
    PONS_STORE_CHECK(record_opt_out(db, out.message_id, s.timestamp_unix, now));
  }
  return out;
}

result<void> record_opt_out(database& db, std::int64_t message_id, std::int64_t meta_unix_seconds,
                            time_point now) {
  PONS_STORE_TRY(st, db.prepare("SELECT contact_id, phone_number_id FROM messages WHERE id = ?1"));
  st.bind(1, message_id);
  PONS_STORE_TRY(row, st.step());
  if (!row) return {};
  contact_preference p;
  p.contact_id = st.column_int64(0);
  p.phone_number_id = st.column_text(1);
  p.value = "stop";
  p.source = "error_131050";
  p.detail =
      "WhatsApp refused a marketing template with 131050: the user stopped marketing "
      "messages from this number";
  p.changed_at =
      meta_unix_seconds > 0 ? format_unix_seconds(meta_unix_seconds) : format_timestamp(now);
  PONS_STORE_CHECK(record_contact_preference(db, p, now));
  return {};
}

result<void> record_pricing(database& db, std::int64_t message_id,
                            const domain::status_pricing& pricing, std::string_view at) {
  PONS_STORE_TRY(st,
                 db.prepare("INSERT INTO message_pricing(message_id, category, billable, "
                            "model, type, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
                            "ON CONFLICT(message_id) DO UPDATE SET category = excluded.category, "
                            "billable = excluded.billable, model = excluded.model, "
                            "type = excluded.type, updated_at = excluded.updated_at"));
  st.bind_all(message_id, pricing.pricing_category, pricing.billable, pricing.pricing_model,
              pricing.pricing_type, at);
  PONS_STORE_CHECK(st.run_later());
  return {};
}

result<int> adopt_early_statuses(database& db, std::int64_t message_id, std::string_view wamid) {
  std::string current;
  std::string updated_at;
  std::string phone_number_id;
  {
    PONS_STORE_TRY(st, db.prepare("SELECT status, updated_at, phone_number_id FROM messages "
                                  "WHERE id = ?1"));
    st.bind(1, message_id);
    PONS_STORE_TRY(row, st.step());
    if (!row) return store_errc::not_found;
    current = st.column_text(0);
    updated_at = st.column_text(1);
    phone_number_id = st.column_text(2);
  }

  struct early {
    std::int64_t id;
    std::string status;
    std::optional<int> code;
    std::string title, details;
  };
  std::vector<early> pending;
  {
    PONS_STORE_TRY(st, db.prepare("SELECT id, status, error_code, error_title, error_details "
                                  "FROM message_status_events "
                                  "WHERE wamid = ?1 AND message_id IS NULL "
                                  "AND phone_number_id = ?2 ORDER BY id"));
    st.bind(1, wamid);
    st.bind(2, phone_number_id);
    for (;;) {
      PONS_STORE_TRY(row, st.step());
      if (!row) break;
      auto code = st.column_optional_int64(2);
      pending.push_back({st.column_int64(0), st.column_text(1),
                         code ? std::optional<int>(static_cast<int>(*code)) : std::nullopt,
                         st.column_text(3), st.column_text(4)});
    }
  }
  if (pending.empty()) return 0;

  const std::string before = current;
  int advanced = 0;
  const early* last_applied = nullptr;
  PONS_STORE_TRY(link, db.prepare("UPDATE message_status_events SET message_id = ?2, applied = ?3 "
                                  "WHERE id = ?1"));
  for (const auto& e : pending) {
    const bool step = advances(current, e.status);
    if (step) {
      current = e.status;
      last_applied = &e;
      ++advanced;
    }
    link.bind_all(e.id, message_id, step);
    PONS_STORE_CHECK(link.run());
  }
  if (last_applied) {
    PONS_STORE_CHECK(set_message_status(db, message_id, last_applied->status, last_applied->code,
                                        last_applied->title, last_applied->details, updated_at,
                                        before));
  }
  // The pricing of the latest adopted status that carried one.
  PONS_STORE_TRY(priced,
                 db.prepare("INSERT INTO message_pricing(message_id, category, billable, "
                            "model, type, updated_at) "
                            "SELECT message_id, pricing_category, coalesce(pricing_billable, "
                            "0), pricing_model, pricing_type, created_at "
                            "FROM message_status_events WHERE message_id = ?1 AND "
                            "pricing_category <> '' ORDER BY id DESC LIMIT 1 "
                            "ON CONFLICT(message_id) DO UPDATE SET category = "
                            "excluded.category, billable = excluded.billable, model = "
                            "excluded.model, type = excluded.type, updated_at = "
                            "excluded.updated_at"));
  priced.bind(1, message_id);
  PONS_STORE_CHECK(priced.run());
  return advanced;
}

result<std::vector<status_event_record>> list_status_events(database& db, std::string_view wamid) {
  PONS_STORE_TRY(st, db.prepare("SELECT id, wamid, message_id, status, applied, ts, error_code, "
                                "error_title, error_details, pricing_category, created_at "
                                "FROM message_status_events WHERE wamid = ?1 ORDER BY id"));
  st.bind(1, wamid);
  std::vector<status_event_record> out;
  for (;;) {
    PONS_STORE_TRY(row, st.step());
    if (!row) break;
    status_event_record r;
    r.id = st.column_int64(0);
    r.wamid = st.column_text(1);
    r.message_id = st.column_optional_int64(2);
    r.status = st.column_text(3);
    r.applied = st.column_int64(4) != 0;
    r.ts = st.column_int64(5);
    if (auto code = st.column_optional_int64(6)) r.error_code = static_cast<int>(*code);
    r.error_title = st.column_text(7);
    r.error_details = st.column_text(8);
    r.pricing_category = st.column_text(9);
    r.created_at = st.column_text(10);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace pons::store
