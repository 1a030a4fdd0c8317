#include "pons/store/account_repository.hpp"

#include "pons/store/database.hpp"
#include "pons/store/sql_support.hpp"

namespace pons::store {

namespace {

constexpr const char* phone_columns =
    "SELECT p.id, p.phone_number_id, p.account_id, a.waba_id, p.display_phone_number, "
    "p.verified_name, p.is_default FROM phone_numbers p JOIN accounts a ON a.id = p.account_id ";

phone_number_record read_phone(const statement& st) {
  phone_number_record p;
  p.id = st.column_int64(0);
  p.phone_number_id = st.column_text(1);
  p.account_id = st.column_int64(2);
  p.waba_id = st.column_text(3);
  p.display_phone_number = st.column_text(4);
  p.verified_name = st.column_text(5);
  p.is_default = st.column_int64(6) != 0;
  return p;
}

}  // namespace

result<std::int64_t> upsert_account(database& db, const account_record& a, time_point now) {
  PONS_STORE_TRY(
      st, db.prepare(
              "INSERT INTO accounts(waba_id, name, app_secret_ref, access_token_ref, "
              "verify_token_ref, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) "
              "ON CONFLICT(waba_id) DO UPDATE SET "
              "name = CASE WHEN ?2 <> '' THEN ?2 ELSE accounts.name END, "
              "app_secret_ref = CASE WHEN ?3 <> '' THEN ?3 ELSE accounts.app_secret_ref END, "
              "access_token_ref = CASE WHEN ?4 <> '' THEN ?4 ELSE accounts.access_token_ref END, "
              "verify_token_ref = CASE WHEN ?5 <> '' THEN ?5 ELSE accounts.verify_token_ref END, "
              "updated_at = ?6 RETURNING id"));
  st.bind_all(a.waba_id, a.name, a.app_secret_ref, a.access_token_ref, a.verify_token_ref,
              format_timestamp(now));
  PONS_STORE_TRY(row, st.step());
  if (!row) return store_errc::not_found;
  return st.column_int64(0);
}

result<std::int64_t> upsert_phone_number(database& db, std::string_view waba_id,
                                         const phone_number_record& p, time_point now) {
  account_record a;
  a.waba_id = std::string(waba_id);
  PONS_STORE_TRY(account_id, upsert_account(db, a, now));
  PONS_STORE_TRY(
      st,
      db.prepare("INSERT INTO phone_numbers(phone_number_id, account_id, display_phone_number, "
                 "verified_name, is_default, created_at, updated_at) "
                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) "
                 "ON CONFLICT(phone_number_id) DO UPDATE SET account_id = ?2, "
                 "display_phone_number = CASE WHEN ?3 <> '' THEN ?3 "
                 "ELSE phone_numbers.display_phone_number END, "
                 "verified_name = CASE WHEN ?4 <> '' THEN ?4 ELSE phone_numbers.verified_name END, "
                 "is_default = ?5, updated_at = ?6 RETURNING id"));
  st.bind_all(p.phone_number_id, account_id, p.display_phone_number, p.verified_name, p.is_default,
              format_timestamp(now));
  PONS_STORE_TRY(row, st.step());
  if (!row) return store_errc::not_found;
  return st.column_int64(0);
}

result<std::int64_t> ensure_phone_number(database& db, std::string_view waba_id,
                                         std::string_view phone_number_id,
                                         std::string_view display_phone_number, time_point now) {
  {
    PONS_STORE_TRY(st, db.prepare("SELECT id, display_phone_number FROM phone_numbers "
                                  "WHERE phone_number_id = ?"));
    st.bind(1, phone_number_id);
    PONS_STORE_TRY(row, st.step());
    if (row && (display_phone_number.empty() || !st.column_text(1).empty())) {
      return st.column_int64(0);
    }
  }
  // Missing, or known without a display number: fill in, keeping the account it already has.
  PONS_STORE_TRY(existing, find_phone_number(db, phone_number_id));
  phone_number_record p;
  p.phone_number_id = std::string(phone_number_id);
  p.display_phone_number = std::string(display_phone_number);
  if (existing) {
    p.is_default = existing->is_default;
    return upsert_phone_number(db, existing->waba_id, p, now);
  }
  return upsert_phone_number(db, waba_id, p, now);
}

result<void> record_configured_accounts(database& db,
                                        const std::vector<configured_account>& accounts,
                                        time_point now) {
  PONS_STORE_TRY(scope, detail::write_scope::begin(db));
  for (const auto& a : accounts) {
    if (a.waba_id.empty()) continue;
    account_record rec;
    rec.waba_id = a.waba_id;
    rec.app_secret_ref = a.app_secret_ref;
    rec.access_token_ref = a.access_token_ref;
    rec.verify_token_ref = a.verify_token_ref;
    PONS_STORE_CHECK(upsert_account(db, rec, now));
    for (const auto& p : a.phone_numbers)
      PONS_STORE_CHECK(
          ensure_phone_number(db, a.waba_id, p.phone_number_id, p.display_phone_number, now));
  }
  return scope.commit();
}

result<std::vector<account_record>> list_accounts(database& db) {
  PONS_STORE_TRY(st, db.prepare("SELECT id, waba_id, name, app_secret_ref, access_token_ref, "
                                "verify_token_ref FROM accounts ORDER BY id"));
  std::vector<account_record> out;
  for (;;) {
    PONS_STORE_TRY(row, st.step());
    if (!row) break;
    account_record a;
    a.id = st.column_int64(0);
    a.waba_id = st.column_text(1);
    a.name = st.column_text(2);
    a.app_secret_ref = st.column_text(3);
    a.access_token_ref = st.column_text(4);
    a.verify_token_ref = st.column_text(5);
    out.push_back(std::move(a));
  }
  return out;
}

result<std::vector<phone_number_record>> list_phone_numbers(database& db) {
  PONS_STORE_TRY(st, db.prepare(std::string(phone_columns) + "ORDER BY p.is_default DESC, p.id"));
  std::vector<phone_number_record> out;
  for (;;) {
    PONS_STORE_TRY(row, st.step());
    if (!row) break;
    out.push_back(read_phone(st));
  }
  return out;
}

result<std::optional<phone_number_record>> find_phone_number(database& db,
                                                             std::string_view phone_number_id) {
  PONS_STORE_TRY(st, db.prepare(std::string(phone_columns) + "WHERE p.phone_number_id = ?"));
  st.bind(1, phone_number_id);
  PONS_STORE_TRY(row, st.step());
  if (!row) return std::optional<phone_number_record>();
  return std::optional<phone_number_record>(read_phone(st));
}

}  // namespace pons::store
