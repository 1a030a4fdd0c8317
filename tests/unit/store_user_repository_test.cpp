#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "pons/store/account_repository.hpp"
#include "pons/store/database.hpp"
#include "pons/store/password_hash.hpp"
#include "pons/store/session_repository.hpp"
#include "pons/store/user_repository.hpp"
#include "unit/store_test_util.hpp"

using namespace pons::store;
using pons::store::test::temp_dir;
using namespace std::chrono_literals;

namespace {

struct fixture {
  temp_dir dir;
  database db = std::move(database::open(pons::store::test::test_database_location(dir)).value());
  time_point now = *parse_timestamp("2026-11-25T14:00:00.000Z");

  fixture() {
    account_record a;
    a.waba_id = "100000000000001";
    REQUIRE(upsert_account(db, a, now).has_value());
  }

  user add(std::string email, user_role role = user_role::member, std::string waba = {}) {
    auto made = create_user(db, {std::move(email), role, std::move(waba)}, "a long password", now);
    REQUIRE(made.has_value());
    return *made;
  }
};

}  // namespace

TEST_CASE("users: every user_errc has a message of its own", "[store][users][backends]") {
  for (int e = 1; e <= static_cast<int>(user_errc::hash_failed); ++e) {
    CHECK(make_error_code(static_cast<user_errc>(e)).message() != "unknown user error");
  }
}

TEST_CASE("users: roles are owner, admin and member, nothing else", "[store][users][backends]") {
  CHECK(parse_user_role("owner") == user_role::owner);
  CHECK(parse_user_role("admin") == user_role::admin);
  CHECK(parse_user_role("member") == user_role::member);
  CHECK_FALSE(parse_user_role("Owner").has_value());
  CHECK_FALSE(parse_user_role("root").has_value());
  CHECK_FALSE(parse_user_role("").has_value());
}

TEST_CASE("users: an email is unique whatever its case", "[store][users][backends]") {
  fixture f;
  auto ana = f.add("Ana@Example.com", user_role::owner);
  CHECK(ana.email == "Ana@Example.com");
  CHECK(ana.role == user_role::owner);
  auto again =
      create_user(f.db, {"ana@example.COM", user_role::member, {}}, "another password", f.now);
  REQUIRE_FALSE(again.has_value());
  CHECK(again.error() == user_errc::exists);
  auto found = find_user(f.db, "ANA@EXAMPLE.COM");
  REQUIRE(found.has_value());
  CHECK(found->id == ana.id);
}

TEST_CASE("users: bad emails, short passwords and unknown accounts are refused",
          "[store][users][backends]") {
  fixture f;
  CHECK(
      create_user(f.db, {"no-at-sign", user_role::member, {}}, "a long password", f.now).error() ==
      user_errc::invalid_email);
  CHECK(create_user(f.db, {"a@b@c", user_role::member, {}}, "a long password", f.now).error() ==
        user_errc::invalid_email);
  CHECK(
      create_user(f.db, {"<script>@x", user_role::member, {}}, "a long password", f.now).error() ==
      user_errc::invalid_email);
  CHECK(create_user(f.db, {"bo@example.com", user_role::member, {}}, "short", f.now).error() ==
        user_errc::unacceptable_password);
  CHECK(create_user(f.db, {"bo@example.com", user_role::member, "999"}, "a long password", f.now)
            .error() == user_errc::unknown_account);
  auto with_account = f.add("bo@example.com", user_role::admin, "100000000000001");
  CHECK(with_account.waba_id == "100000000000001");
}

TEST_CASE("users: the stored hash is Argon2id of the password, never the password",
          "[store][users][backends]") {
  fixture f;
  f.add("ana@example.com");
  auto c = find_credentials(f.db, "ana@example.com");
  REQUIRE(c.has_value());
  CHECK(c->password_hash.rfind("$argon2id$", 0) == 0);
  CHECK(verify_password(c->password_hash, "a long password"));
  REQUIRE(set_user_password(f.db, "ana@example.com", "a new long password").has_value());
  c = find_credentials(f.db, "ana@example.com");
  REQUIRE(c.has_value());
  CHECK_FALSE(verify_password(c->password_hash, "a long password"));
  CHECK(verify_password(c->password_hash, "a new long password"));
}

TEST_CASE("users: remove, list", "[store][users][backends]") {
  fixture f;
  f.add("ana@example.com");
  f.add("bo@example.com");
  REQUIRE(list_users(f.db)->size() == 2);
  auto gone = remove_user(f.db, "ANA@example.com");
  REQUIRE(gone.has_value());
  CHECK(gone->email == "ana@example.com");
  auto left = list_users(f.db);
  REQUIRE(left->size() == 1);
  CHECK(left->front().email == "bo@example.com");
  CHECK(remove_user(f.db, "ana@example.com").error() == user_errc::not_found);
}

TEST_CASE("sessions: found by their id only, and only while live", "[store][sessions][backends]") {
  fixture f;
  auto ana = f.add("ana@example.com", user_role::admin);
  auto made = create_session(f.db, ana.id, f.now);
  REQUIRE(made.has_value());
  CHECK(made->secret.size() == 43);
  CHECK(made->session.csrf_token.size() == 43);
  CHECK(made->session.csrf_token != made->secret);
  auto found = find_session(f.db, made->secret, f.now + 1min);
  REQUIRE(found.has_value());
  CHECK(found->who.email == "ana@example.com");
  CHECK(found->who.role == user_role::admin);
  // Never stored as is.
  auto stored = f.db.prepare("SELECT count(*) FROM dashboard_sessions WHERE id_hash = ?1");
  REQUIRE(stored.has_value());
  stored->bind(1, made->secret);
  REQUIRE(*stored->step());
  CHECK(stored->column_int64(0) == 0);

  std::string other = made->secret;
  other.back() = other.back() == 'A' ? 'B' : 'A';
  CHECK_FALSE(find_session(f.db, other, f.now).has_value());
  CHECK_FALSE(find_session(f.db, "short", f.now).has_value());
  // Idle too long, then past its lifetime.
  CHECK_FALSE(find_session(f.db, made->secret, f.now + 1min + 2h).has_value());
  auto fresh = create_session(f.db, ana.id, f.now);
  REQUIRE(fresh.has_value());
  for (auto t = f.now + 1h; t < f.now + 12h; t += 1h) {
    REQUIRE(find_session(f.db, fresh->secret, t).has_value());
  }
  CHECK_FALSE(find_session(f.db, fresh->secret, f.now + 12h).has_value());
}

TEST_CASE("sessions: end at logout, a new password, removal and disabling",
          "[store][sessions][backends]") {
  fixture f;
  auto ana = f.add("ana@example.com");
  auto s1 = create_session(f.db, ana.id, f.now);
  REQUIRE(s1.has_value());
  CHECK(*end_session(f.db, s1->secret));
  CHECK_FALSE(find_session(f.db, s1->secret, f.now).has_value());
  CHECK_FALSE(*end_session(f.db, s1->secret));

  auto s2 = create_session(f.db, ana.id, f.now);
  REQUIRE(set_user_password(f.db, "ana@example.com", "another long password").has_value());
  CHECK_FALSE(find_session(f.db, s2->secret, f.now).has_value());

  auto s3 = create_session(f.db, ana.id, f.now);
  REQUIRE(set_user_disabled(f.db, "ana@example.com", true, f.now).has_value());
  CHECK_FALSE(find_session(f.db, s3->secret, f.now).has_value());
  REQUIRE(set_user_disabled(f.db, "ana@example.com", false, f.now).has_value());

  auto s4 = create_session(f.db, ana.id, f.now);
  REQUIRE(remove_user(f.db, "ana@example.com").has_value());
  CHECK_FALSE(find_session(f.db, s4->secret, f.now).has_value());
  CHECK(*count_sessions(f.db) == 0);
}

TEST_CASE("sessions: tokens compare only when equal", "[store][sessions][backends]") {
  CHECK(same_token("abc", "abc"));
  CHECK_FALSE(same_token("abc", "abd"));
  CHECK_FALSE(same_token("abc", "ab"));
  CHECK_FALSE(same_token("", ""));
}
