#include "pons/store/user_repository.hpp"

#include "pons/store/database.hpp"
#include "pons/store/password_hash.hpp"
#include "pons/store/sql_support.hpp"

namespace pons::store {

namespace {

class user_category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "pons.user"; }
  std::string message(int ev) const override {
    switch (static_cast<user_errc>(ev)) {
      case user_errc::invalid_email:
        return "this is not an email address Pons accepts (one @, no spaces, at most 254 "
               "characters), e.g. ana@example.com";
      case user_errc::invalid_role:
        return "the role is owner, admin or member";
      case user_errc::unacceptable_password:
        return "a password must be 12 to 1024 characters without control characters; leave it "
               "empty at the terminal prompt to be given a generated one";
      case user_errc::exists:
        return "a user with this email exists already; change their password with "
               "`pons-webhook users passwd EMAIL`";
      case user_errc::not_found:
        return "no user has this email; see them with `pons-webhook users list`";
      case user_errc::unknown_account:
        return "no account with this WABA id is recorded; pons-webhook records the accounts of "
               "its configuration when it starts";
      case user_errc::hash_failed:
        return "the password could not be hashed (out of memory?); nothing was changed, try "
               "again";
    }
    return "unknown user error";
  }
};

const user_category_impl category_instance;

constexpr std::string_view user_select =
    "SELECT u.id, u.email, u.role, coalesce(a.waba_id, ''), u.created_at, u.last_login_at, "
    "u.disabled_at, u.password_hash FROM users u LEFT JOIN accounts a ON a.id = u.account_id ";

user read_user(const statement& st) {
  user u;
  u.id = st.column_int64(0);
  u.email = st.column_text(1);
  u.role = parse_user_role(st.column_text(2)).value_or(user_role::member);
  u.waba_id = st.column_text(3);
  u.created_at = st.column_text(4);
  u.last_login_at = st.column_text(5);
  u.disabled_at = st.column_text(6);
  return u;
}

result<void> end_sessions_of(database& db, std::int64_t user_id) {
  PONS_STORE_TRY(st, db.prepare("DELETE FROM dashboard_sessions WHERE user_id = ?1"));
  st.bind(1, user_id);
  PONS_STORE_CHECK(st.run());
  return {};
}

}  // namespace

const boost::system::error_category& user_category() noexcept {
  return category_instance;
}

boost::system::error_code make_error_code(user_errc e) noexcept {
  return {static_cast<int>(e), category_instance};
}

std::string_view to_string(user_role r) noexcept {
  switch (r) {
    case user_role::owner:
      return "owner";
    case user_role::admin:
      return "admin";
    case user_role::member:
      return "member";
  }
  return "member";
}

std::optional<user_role> parse_user_role(std::string_view text) noexcept {
  for (auto r : {user_role::owner, user_role::admin, user_role::member}) {
    if (text == to_string(r)) return r;
  }
  return std::nullopt;
}

std::string email_key(std::string_view email) {
  std::string out(email);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool acceptable_email(std::string_view email) {
  if (email.size() < 3 || email.size() > 254) return false;
  const auto at = email.find('@');
  if (at == 0 || at == std::string_view::npos || at + 1 == email.size()) return false;
  if (email.find('@', at + 1) != std::string_view::npos) return false;
  for (unsigned char c : email) {
    // Emails are printed in tables, pages and logs: no spaces, controls or markup characters.
    if (c <= 0x20 || c == 0x7F || c == '<' || c == '>' || c == '"' || c == '\'' || c == '\\') {
      return false;
    }
  }
  return true;
}

result<user> create_user(database& db, const user_spec& spec, std::string_view password,
                         time_point now) {
  if (!acceptable_email(spec.email)) return user_errc::invalid_email;
  if (!acceptable_password(password)) return user_errc::unacceptable_password;
  auto hash = hash_password(password);
  if (!hash) return user_errc::hash_failed;
  return create_user_with_hash(db, spec, *hash, now);
}

result<user> create_user_with_hash(database& db, const user_spec& spec,
                                   std::string_view password_hash, time_point now) {
  if (!acceptable_email(spec.email)) return user_errc::invalid_email;
  std::optional<std::int64_t> account_id;
  if (!spec.waba_id.empty()) {
    PONS_STORE_TRY(st, db.prepare("SELECT id FROM accounts WHERE waba_id = ?1"));
    st.bind(1, spec.waba_id);
    PONS_STORE_TRY(row, st.step());
    if (!row) return user_errc::unknown_account;
    account_id = st.column_int64(0);
  }
  if (auto existing = find_user(db, spec.email); existing) return user_errc::exists;
  {
    PONS_STORE_TRY(st, db.prepare("INSERT INTO users(email, email_key, role, account_id, "
                                  "password_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
    st.bind_all(spec.email, email_key(spec.email), to_string(spec.role), account_id, password_hash,
                format_timestamp(now));
    auto ran = st.run();
    // Another process made the same user between the check and the insert.
    if (!ran && ran.error() == store_errc::constraint) return user_errc::exists;
    if (!ran) return ran.error();
  }
  return find_user(db, spec.email);
}

result<std::vector<user>> list_users(database& db) {
  PONS_STORE_TRY(st, db.prepare(std::string(user_select) + "ORDER BY u.id"));
  std::vector<user> out;
  for (;;) {
    PONS_STORE_TRY(row, st.step());
    if (!row) break;
    out.push_back(read_user(st));
  }
  return out;
}

result<user> find_user(database& db, std::string_view email) {
  PONS_STORE_TRY(found, find_credentials(db, email));
  return std::move(found.who);
}

result<user_credentials> find_credentials(database& db, std::string_view email) {
  PONS_STORE_TRY(st, db.prepare(std::string(user_select) + "WHERE u.email_key = ?1"));
  st.bind(1, email_key(email));
  PONS_STORE_TRY(row, st.step());
  if (!row) return user_errc::not_found;
  user_credentials c;
  c.who = read_user(st);
  c.password_hash = st.column_text(7);
  return c;
}

result<user> remove_user(database& db, std::string_view email) {
  PONS_STORE_TRY(scope, detail::write_scope::begin(db));
  PONS_STORE_TRY(u, find_user(db, email));
  PONS_STORE_CHECK(end_sessions_of(db, u.id));
  {
    PONS_STORE_TRY(st, db.prepare("DELETE FROM users WHERE id = ?1"));
    st.bind(1, u.id);
    PONS_STORE_CHECK(st.run());
  }
  PONS_STORE_CHECK(scope.commit());
  return u;
}

result<user> set_user_password(database& db, std::string_view email, std::string_view password) {
  if (!acceptable_password(password)) return user_errc::unacceptable_password;
  // Hashed before the write lock is taken: it takes a while and needs no database.
  auto hash = hash_password(password);
  if (!hash) return user_errc::hash_failed;
  PONS_STORE_TRY(scope, detail::write_scope::begin(db));
  PONS_STORE_TRY(u, find_user(db, email));
  {
    PONS_STORE_TRY(st, db.prepare("UPDATE users SET password_hash = ?2 WHERE id = ?1"));
    st.bind_all(u.id, *hash);
    PONS_STORE_CHECK(st.run());
  }
  // Whoever signed in with the old password is signed out.
  PONS_STORE_CHECK(end_sessions_of(db, u.id));
  PONS_STORE_CHECK(scope.commit());
  return u;
}

result<void> note_user_login(database& db, std::int64_t user_id, time_point now) {
  PONS_STORE_TRY(st, db.prepare("UPDATE users SET last_login_at = ?2 WHERE id = ?1"));
  st.bind_all(user_id, format_timestamp(now));
  PONS_STORE_CHECK(st.run());
  return {};
}

result<user> set_user_disabled(database& db, std::string_view email, bool disabled,
                               time_point now) {
  PONS_STORE_TRY(scope, detail::write_scope::begin(db));
  PONS_STORE_TRY(u, find_user(db, email));
  {
    PONS_STORE_TRY(st, db.prepare("UPDATE users SET disabled_at = ?2 WHERE id = ?1"));
    st.bind_all(u.id, disabled ? format_timestamp(now) : std::string());
    PONS_STORE_CHECK(st.run());
  }
  if (disabled) PONS_STORE_CHECK(end_sessions_of(db, u.id));
  PONS_STORE_CHECK(scope.commit());
  return find_user(db, email);
}

result<user> set_user_role(database& db, std::string_view email, user_role role) {
  PONS_STORE_TRY(scope, detail::write_scope::begin(db));
  PONS_STORE_TRY(u, find_user(db, email));
  {
    PONS_STORE_TRY(st, db.prepare("UPDATE users SET role = ?2 WHERE id = ?1"));
    st.bind_all(u.id, to_string(role));
    PONS_STORE_CHECK(st.run());
  }
  // What a session may do is read from the user at each request: no session needs to end.
  PONS_STORE_CHECK(scope.commit());
  return find_user(db, email);
}

}  // namespace pons::store
