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

}  // namespace

result<std::string> record_quality_update(database& db, std::string_view waba_id,
                                          std::string_view display_phone_number,
                                          std::string_view event, std::string_view limit_tier,
                                          time_point now) {
  const std::string wanted = digits_of(display_phone_number);
  if (wanted.empty()) return std::string();
  std::string phone_number_id;
  {
    PONS_STORE_TRY(st, db.prepare("SELECT p.phone_number_id, p.display_phone_number "
                                  "FROM phone_numbers p JOIN accounts a ON a.id = p.account_id "
                                  "WHERE a.waba_id = ?1"));
    st.bind(1, waba_id);
    for (;;) {
      PONS_STORE_TRY(row, st.step());
      if (!row) break;
      if (digits_of(st.column_view(1)) == wanted) phone_number_id = st.column_text(0);
    }
  }
  if (phone_number_id.empty()) return std::string();
  PONS_STORE_TRY(up, db.prepare("UPDATE phone_numbers SET quality_event = ?2, "
                                "messaging_limit_tier = CASE WHEN ?3 <> '' THEN ?3 ELSE "
                                "messaging_limit_tier END, health_updated_at = ?4 "
                                "WHERE phone_number_id = ?1"));
  up.bind_all(phone_number_id, event, limit_tier, format_timestamp(now));
  PONS_STORE_CHECK(up.run());
  return phone_number_id;
}

result<std::optional<number_health>> find_number_health(database& db,
                                                        std::string_view phone_number_id) {
  PONS_STORE_TRY(st, db.prepare("SELECT phone_number_id, display_phone_number, quality_event, "
                                "messaging_limit_tier, health_updated_at FROM phone_numbers "
                                "WHERE phone_number_id = ?1"));
  st.bind(1, phone_number_id);
  PONS_STORE_TRY(row, st.step());
  if (!row) return std::optional<number_health>();
  return std::optional<number_health>(number_health{st.column_text(0), st.column_text(1),
                                                    st.column_text(2), st.column_text(3),
                                                    st.column_text(4)});
}

}  // namespace pons::store
