#include "pons/store/number_health.hpp"

#include "pons/store/database.hpp"
#include "pons/store/sql_support.hpp"

namespace pons::store {

namespace {

std::string digits_of(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c >= '0' && c <= '9') out += c;
  }
  return out;
}

// The id of the number of account `waba_id` whose display number has these digits, or "".
result<std::string> number_by_display(database& db, std::string_view waba_id,
                                      std::string_view display_phone_number) {
  const std::string wanted = digits_of(display_phone_number);
  if (wanted.empty()) return std::string();
  PONS_STORE_TRY(st, db.prepare("SELECT p.phone_number_id, p.display_phone_number "
                                "FROM phone_numbers p JOIN accounts a ON a.id = p.account_id "
                                "WHERE a.waba_id = ?1"));
  st.bind(1, waba_id);
  std::string phone_number_id;
  for (;;) {
    PONS_STORE_TRY(row, st.step());
    if (!row) break;
    if (digits_of(st.column_view(1)) == wanted) phone_number_id = st.column_text(0);
  }
  return phone_number_id;
}

}  // namespace

result<std::string> record_quality_update(database& db, std::string_view waba_id,
                                          std::string_view display_phone_number,
                                          std::string_view event, std::string_view limit_tier,
                                          time_point now) {
  PONS_STORE_TRY(phone_number_id, number_by_display(db, waba_id, display_phone_number));
  if (phone_number_id.empty()) return std::string();
  PONS_STORE_TRY(up, db.prepare("UPDATE phone_numbers SET quality_event = ?2, "
                                "messaging_limit_tier = CASE WHEN ?3 <> '' THEN ?3 ELSE "
                                "messaging_limit_tier END, health_updated_at = ?4 "
                                "WHERE phone_number_id = ?1"));
  up.bind_all(phone_number_id, event, limit_tier, format_timestamp(now));
  PONS_STORE_CHECK(up.run());
  return phone_number_id;
}

result<std::string> record_name_update(database& db, std::string_view waba_id,
                                       std::string_view display_phone_number,
                                       std::string_view decision, std::string_view requested_name,
                                       std::string_view rejection_reason, time_point now) {
  PONS_STORE_TRY(phone_number_id, number_by_display(db, waba_id, display_phone_number));
  if (phone_number_id.empty()) return std::string();
  PONS_STORE_TRY(up, db.prepare("UPDATE phone_numbers SET name_decision = ?2, requested_name = ?3, "
                                "name_rejection_reason = ?4, name_updated_at = ?5 "
                                "WHERE phone_number_id = ?1"));
  up.bind_all(phone_number_id, decision, requested_name, rejection_reason, format_timestamp(now));
  PONS_STORE_CHECK(up.run());
  return phone_number_id;
}

result<int> record_account_standing(database& db, std::string_view waba_id, std::string_view event,
                                    std::string_view detail, time_point now) {
  PONS_STORE_TRY(up, db.prepare("UPDATE accounts SET standing_event = ?2, standing_detail = ?3, "
                                "standing_updated_at = ?4 WHERE waba_id = ?1"));
  up.bind_all(waba_id, event, detail, format_timestamp(now));
  return up.run();
}

result<std::optional<number_health>> find_number_health(database& db,
                                                        std::string_view phone_number_id) {
  PONS_STORE_TRY(st, db.prepare("SELECT p.phone_number_id, p.display_phone_number, "
                                "p.quality_event, p.messaging_limit_tier, p.health_updated_at, "
                                "p.name_decision, p.requested_name, p.name_rejection_reason, "
                                "p.name_updated_at, a.standing_event, a.standing_detail, "
                                "a.standing_updated_at FROM phone_numbers p JOIN accounts a ON "
                                "a.id = p.account_id WHERE p.phone_number_id = ?1"));
  st.bind(1, phone_number_id);
  PONS_STORE_TRY(row, st.step());
  if (!row) return std::optional<number_health>();
  number_health h;
  h.phone_number_id = st.column_text(0);
  h.display_phone_number = st.column_text(1);
  h.quality_event = st.column_text(2);
  h.messaging_limit_tier = st.column_text(3);
  h.updated_at = st.column_text(4);
  h.name_decision = st.column_text(5);
  h.requested_name = st.column_text(6);
  h.name_rejection_reason = st.column_text(7);
  h.name_updated_at = st.column_text(8);
  h.standing_event = st.column_text(9);
  h.standing_detail = st.column_text(10);
  h.standing_updated_at = st.column_text(11);
  return std::optional<number_health>(std::move(h));
}

}  // namespace pons::store
