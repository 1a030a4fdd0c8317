#include "pons/store/contact_preferences.hpp"

#include "pons/store/database.hpp"
#include "pons/store/sql_support.hpp"

namespace pons::store {

namespace {

contact_preference read_preference(statement& st) {
  contact_preference p;
  p.contact_id = st.column_int64(0);
  p.phone_number_id = st.column_text(1);
  p.category = st.column_text(2);
  p.value = st.column_text(3);
  p.detail = st.column_text(4);
  p.source = st.column_text(5);
  p.changed_at = st.column_text(6);
  p.updated_at = st.column_text(7);
  return p;
}

constexpr const char* columns =
    "contact_id, phone_number_id, category, value, detail, source, changed_at, updated_at";

}  // namespace

result<int> record_contact_preference(database& db, const contact_preference& p, time_point now) {
  if ((p.value != "stop" && p.value != "resume") ||
      (p.source != "user_preferences" && p.source != "error_131050") || p.contact_id <= 0 ||
      p.phone_number_id.empty() || p.category.empty() || p.changed_at.empty()) {
    return store_errc::invalid_argument;
  }
  PONS_STORE_TRY(st, db.prepare("INSERT INTO contact_preferences(contact_id, phone_number_id, "
                                "category, value, detail, source, changed_at, updated_at) "
                                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
                                "ON CONFLICT(contact_id, phone_number_id, category) DO UPDATE SET "
                                "value = excluded.value, detail = excluded.detail, "
                                "source = excluded.source, changed_at = excluded.changed_at, "
                                "updated_at = excluded.updated_at "
                                "WHERE excluded.changed_at >= contact_preferences.changed_at"));
  st.bind_all(p.contact_id, p.phone_number_id, p.category, p.value, p.detail, p.source,
              p.changed_at, format_timestamp(now));
  PONS_STORE_TRY(n, st.run());
  return n > 0 ? 1 : 0;
}

result<std::optional<contact_preference>> find_contact_preference(database& db,
                                                                  std::int64_t contact_id,
                                                                  std::string_view phone_number_id,
                                                                  std::string_view category) {
  PONS_STORE_TRY(st, db.prepare(std::string("SELECT ") + columns +
                                " FROM contact_preferences WHERE contact_id = ?1 AND "
                                "phone_number_id = ?2 AND category = ?3"));
  st.bind_all(contact_id, phone_number_id, category);
  PONS_STORE_TRY(row, st.step());
  if (!row) return std::optional<contact_preference>();
  return std::optional<contact_preference>(read_preference(st));
}

result<std::vector<contact_preference>> list_contact_preferences(database& db,
                                                                 std::int64_t contact_id) {
  PONS_STORE_TRY(st, db.prepare(std::string("SELECT ") + columns +
                                " FROM contact_preferences WHERE contact_id = ?1 "
                                "ORDER BY phone_number_id, category"));
  st.bind(1, contact_id);
  std::vector<contact_preference> out;
  for (;;) {
    PONS_STORE_TRY(row, st.step());
    if (!row) break;
    out.push_back(read_preference(st));
  }
  return out;
}

}  // namespace pons::store
