#include "pons/store/contact_repository.hpp"

#include <cctype>

#include "pons/store/contact_merge.hpp"
#include "pons/store/database.hpp"
#include "pons/store/like_pattern.hpp"
#include "pons/store/sql_support.hpp"

namespace pons::store {

namespace {

constexpr std::string_view contact_columns =
    "SELECT id, account_id, wa_id, user_id, username, profile_name, created_at, updated_at, "
    "parent_user_id FROM contacts ";

contact_record read_contact(const statement& st) {
  contact_record c;
  c.id = st.column_int64(0);
  c.account_id = st.column_int64(1);
  c.wa_id = st.column_text(2);
  c.user_id = st.column_text(3);
  c.username = st.column_text(4);
  c.profile_name = st.column_text(5);
  c.created_at = st.column_text(6);
  c.updated_at = st.column_text(7);
  c.parent_user_id = st.column_text(8);
  return c;
}

result<std::vector<contact_record>> read_all(statement& st) {
  std::vector<contact_record> out;
  for (;;) {
    PONS_STORE_TRY(row, st.step());
    if (!row) break;
    out.push_back(read_contact(st));
  }
  return out;
}

result<std::optional<contact_record>> find_one(database& db, std::string_view where,
                                               std::int64_t account_id, std::string_view value) {
  PONS_STORE_TRY(st, db.prepare(std::string(contact_columns) + std::string(where)));
  st.bind_all(account_id, value);
  PONS_STORE_TRY(row, st.step());
  if (!row) return std::optional<contact_record>();
  return std::optional<contact_record>(read_contact(st));
}

// A contact just created from what Meta said of them.
contact_record new_contact(std::int64_t id, std::int64_t account_id, const domain::contact& c,
                           const std::string& stamp) {
  contact_record r;
  r.id = id;
  r.account_id = account_id;
  r.wa_id = c.wa_id;
  r.user_id = c.user_id;
  r.username = c.username;
  r.profile_name = c.profile_name;
  r.parent_user_id = c.parent_user_id;
  r.created_at = r.updated_at = stamp;
  return r;
}

}  // namespace

result<contact_record> upsert_contact(database& db, std::int64_t account_id,
                                      const domain::contact& c, time_point now,
                                      contact_upsert* outcome) {
  if (outcome) *outcome = contact_upsert::found;
  if (c.wa_id.empty() && c.user_id.empty()) return store_errc::invalid_argument;
  // The "<> ''" terms let SQLite use the partial unique indexes instead of scanning contacts.
  std::optional<contact_record> by_wa, by_user;
  if (!c.wa_id.empty()) {
    PONS_STORE_TRY(found, find_one(db, "WHERE account_id = ?1 AND wa_id = ?2 AND wa_id <> ''",
                                   account_id, c.wa_id));
    by_wa = std::move(found);
  }
  if (!c.user_id.empty() && (!by_wa || by_wa->user_id != c.user_id)) {
    PONS_STORE_TRY(found, find_one(db, "WHERE account_id = ?1 AND user_id = ?2 AND user_id <> ''",
                                   account_id, c.user_id));
    by_user = std::move(found);
  }
  // Meta linked a phone-only contact and a BSUID-only contact: they are one person.
  if (by_wa && by_user && by_wa->user_id.empty() && by_user->wa_id.empty()) {
    PONS_STORE_CHECK(merge_contacts(db, by_wa->id, by_user->id, now));
    if (outcome) *outcome = contact_upsert::merged;
    PONS_STORE_TRY(both, get_contact(db, by_wa->id));
    if (!both) return store_errc::not_found;
    by_wa = std::move(both);
    by_user.reset();
  }
  std::optional<contact_record> found = by_wa ? by_wa : by_user;
  const std::string stamp = format_timestamp(now);
  if (!found) {
    PONS_STORE_TRY(st, db.prepare("INSERT INTO contacts(account_id, wa_id, user_id, username, "
                                  "profile_name, parent_user_id, created_at, updated_at) "
                                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) RETURNING id"));
    st.bind_all(account_id, c.wa_id, c.user_id, c.username, c.profile_name, c.parent_user_id,
                stamp);
    PONS_STORE_TRY(row, st.step());
    if (!row) return store_errc::not_found;
    if (outcome) *outcome = contact_upsert::created;
    return new_contact(st.column_int64(0), account_id, c, stamp);
  }

  contact_record r = *found;
  bool changed = false;
  auto fill = [&](std::string& field, const std::string& value, bool overwrite) {
    if (!value.empty() && field != value && (overwrite || field.empty())) {
      field = value;
      changed = true;
    }
  };
  fill(r.wa_id, c.wa_id, false);  // never "correct" a wa_id Meta gave us
  fill(r.username, c.username, true);
  fill(r.profile_name, c.profile_name, true);
  fill(r.parent_user_id, c.parent_user_id, true);
  // Only adopt the user id when no other contact of the account already owns it.
  if (!c.user_id.empty() && r.user_id.empty() && !by_user) fill(r.user_id, c.user_id, false);
  if (!changed) return r;
  PONS_STORE_TRY(st, db.prepare("UPDATE contacts SET wa_id = ?2, user_id = ?3, username = ?4, "
                                "profile_name = ?5, parent_user_id = ?6, updated_at = ?7 "
                                "WHERE id = ?1"));
  st.bind_all(r.id, r.wa_id, r.user_id, r.username, r.profile_name, r.parent_user_id, stamp);
  PONS_STORE_CHECK(st.run());
  r.updated_at = stamp;
  return r;
}

result<contact_record> queue_new_contact(database& db, std::int64_t account_id,
                                         const domain::contact& c, time_point now,
                                         std::int64_t id) {
  if (c.wa_id.empty() && c.user_id.empty()) return store_errc::invalid_argument;
  const contact_record r = new_contact(id, account_id, c, format_timestamp(now));
  PONS_STORE_TRY(st, db.prepare("INSERT INTO contacts(id, account_id, wa_id, user_id, username, "
                                "profile_name, parent_user_id, created_at, updated_at) "
                                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)"));
  st.bind_all(r.id, account_id, r.wa_id, r.user_id, r.username, r.profile_name, r.parent_user_id,
              r.created_at);
  PONS_STORE_CHECK(st.run_later());
  return r;
}

result<std::optional<contact_record>> find_contact_by_user_id(database& db, std::int64_t account_id,
                                                              std::string_view user_id) {
  if (user_id.empty()) return std::optional<contact_record>();
  return find_one(db, "WHERE account_id = ?1 AND user_id = ?2 AND user_id <> ''", account_id,
                  user_id);
}

result<std::optional<contact_record>> get_contact(database& db, std::int64_t id) {
  PONS_STORE_TRY(st, db.prepare(std::string(contact_columns) + "WHERE id = ?"));
  st.bind(1, id);
  PONS_STORE_TRY(row, st.step());
  if (!row) return std::optional<contact_record>();
  return std::optional<contact_record>(read_contact(st));
}

result<std::vector<contact_record>> find_contacts(database& db, std::string_view key) {
  if (key.empty()) return std::vector<contact_record>();
  std::string_view bare = key;
  if (bare.front() == '+') bare.remove_prefix(1);
  PONS_STORE_TRY(st, db.prepare(std::string(contact_columns) +
                                "WHERE wa_id IN (?1, ?2) AND wa_id <> '' "
                                "OR (user_id = ?1 AND user_id <> '') "
                                "OR (username = ?1 AND username <> '') ORDER BY id"));
  st.bind_all(key, bare);
  return read_all(st);
}

result<std::vector<contact_record>> search_contacts(database& db, std::string_view text,
                                                    int limit) {
  if (text.empty()) return std::vector<contact_record>();
  // Only text that looks like a phone number is matched against wa_id prefixes.
  std::string digits;
  for (char ch : text) {
    if (std::isdigit(static_cast<unsigned char>(ch))) {
      digits += ch;
    } else if (std::string_view(" +-().").find(ch) == std::string_view::npos) {
      digits.clear();
      break;
    }
  }
  const std::string escaped = escape_like(text);
  PONS_STORE_TRY(
      st, db.prepare(std::string(contact_columns) +
                     "WHERE lower(profile_name) LIKE '%' || lower(?1) || '%' ESCAPE '\\' "
                     "OR lower(username) LIKE '%' || lower(?1) || '%' ESCAPE '\\' "
                     "OR (?2 <> '' AND wa_id LIKE ?2 || '%') "
                     "ORDER BY (lower(profile_name) LIKE lower(?1) || '%' ESCAPE '\\') DESC, "
                     "lower(profile_name), id LIMIT ?3"));
  // lower() on both sides: SQLite's LIKE ignores ASCII case, PostgreSQL's does not.
  st.bind_all(escaped, digits, limit);
  return read_all(st);
}

}  // namespace pons::store
