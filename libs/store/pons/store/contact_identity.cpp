#include "pons/store/contact_identity.hpp"

#include <optional>
#include <vector>

#include "pons/store/contact_merge.hpp"
#include "pons/store/database.hpp"
#include "pons/store/sql_support.hpp"

namespace pons::store {

namespace {

// The contact of `account_id` other than `self` whose `column` (wa_id or user_id) is `value`.
result<std::optional<std::int64_t>> other_owner(database& db, std::string_view column,
                                                std::int64_t account_id, std::int64_t self,
                                                std::string_view value) {
  if (value.empty()) return std::optional<std::int64_t>();
  const std::string sql = "SELECT id FROM contacts WHERE account_id = ?1 AND " +
                          std::string(column) + " = ?2 AND " + std::string(column) +
                          " <> '' AND id <> ?3";
  PONS_STORE_TRY(st, db.prepare(sql));
  st.bind_all(account_id, value, self);
  PONS_STORE_TRY(row, st.step());
  if (!row) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>(st.column_int64(0));
}

std::string_view kind_name(identity_change_kind kind) {
  return kind == identity_change_kind::number_changed ? "number_changed" : "user_id_changed";
}

}  // namespace

result<contact_record> change_contact_identity(database& db, std::int64_t contact_id,
                                               identity_change_kind kind, const new_identity& ids,
                                               time_point now) {
  PONS_STORE_TRY(before, get_contact(db, contact_id));
  if (!before) return store_errc::not_found;
  // A number the user shared names a phone-less contact's number; a known number stays.
  if (kind == identity_change_kind::phone_shared && !before->wa_id.empty()) return *before;
  const std::string stamp = format_timestamp(now);

  new_identity target = ids;
  // A contact already holding a new id is the same person: fold it in first, so the ids are free.
  PONS_STORE_TRY(by_wa, other_owner(db, "wa_id", before->account_id, contact_id, target.wa_id));
  if (by_wa) {
    PONS_STORE_TRY(owner, get_contact(db, *by_wa));
    // The new number's contact already knows its new BSUID when the system message does not say.
    if (owner && kind == identity_change_kind::number_changed && target.user_id.empty()) {
      target.user_id = owner->user_id;
      if (target.parent_user_id.empty()) target.parent_user_id = owner->parent_user_id;
    }
    PONS_STORE_CHECK(merge_contacts(db, contact_id, *by_wa, now));
  }
  PONS_STORE_TRY(by_user,
                 other_owner(db, "user_id", before->account_id, contact_id, target.user_id));
  if (by_user) PONS_STORE_CHECK(merge_contacts(db, contact_id, *by_user, now));
  PONS_STORE_TRY(merged, get_contact(db, contact_id));
  if (!merged) return store_errc::not_found;
  contact_record after = *merged;

  if (kind == identity_change_kind::phone_shared) {
    if (after.wa_id.empty()) after.wa_id = target.wa_id;
  } else {
    if (!target.wa_id.empty()) after.wa_id = target.wa_id;
    if (!target.user_id.empty()) after.user_id = target.user_id;
    if (!target.parent_user_id.empty()) after.parent_user_id = target.parent_user_id;
  }
  if (after.wa_id == merged->wa_id && after.user_id == merged->user_id &&
      after.parent_user_id == merged->parent_user_id) {
    return after;
  }
  if (kind != identity_change_kind::phone_shared) {
    PONS_STORE_TRY(st, db.prepare("INSERT INTO contact_identity_changes(contact_id, kind, "
                                  "previous_wa_id, previous_user_id, changed_at) "
                                  "VALUES (?1, ?2, ?3, ?4, ?5)"));
    st.bind_all(contact_id, kind_name(kind),
                after.wa_id != before->wa_id ? before->wa_id : std::string(),
                after.user_id != before->user_id ? before->user_id : std::string(), stamp);
    PONS_STORE_CHECK(st.run());
  }
  PONS_STORE_TRY(st, db.prepare("UPDATE contacts SET wa_id = ?2, user_id = ?3, "
                                "parent_user_id = ?4, updated_at = ?5 WHERE id = ?1"));
  st.bind_all(contact_id, after.wa_id, after.user_id, after.parent_user_id, stamp);
  PONS_STORE_CHECK(st.run());
  after.updated_at = stamp;
  return after;
}

result<std::vector<identity_change_record>> contact_identity_history(database& db,
                                                                     std::int64_t contact_id,
                                                                     int limit) {
  PONS_STORE_TRY(st, db.prepare("SELECT kind, previous_wa_id, previous_user_id, changed_at "
                                "FROM contact_identity_changes WHERE contact_id = ?1 "
                                "ORDER BY id DESC LIMIT ?2"));
  st.bind_all(contact_id, limit);
  std::vector<identity_change_record> out;
  for (;;) {
    PONS_STORE_TRY(row, st.step());
    if (!row) break;
    out.push_back({st.column_text(0), st.column_text(1), st.column_text(2), st.column_text(3)});
  }
  return out;
}

}  // namespace pons::store
