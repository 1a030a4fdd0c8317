#include <catch2/catch.hpp>
#include <chrono>
#include <set>
#include <string>

#include "pons/store/account_repository.hpp"
#include "pons/store/api_key_repository.hpp"
#include "pons/store/database.hpp"
#include "unit/store_test_util.hpp"

using namespace pons::store;
using pons::store::test::at;
using pons::store::test::temp_dir;
using namespace std::chrono_literals;

namespace {

struct fixture : pons::store::test::database_fixture {
  fixture() {
    account_record a;
    a.waba_id = "100000000000001";
    REQUIRE(upsert_account(db, a, now).has_value());
  }

  created_api_key create(std::vector<std::string> scopes = {"read"}, std::string waba = {},
                         std::optional<time_point> expires = std::nullopt) {
    auto made = create_api_key(db, {"laptop", std::move(scopes), std::move(waba), expires}, now);
    REQUIRE(made.has_value());
    return std::move(*made);
  }

  std::string stored(std::string_view column, std::int64_t id) {
    auto st =
        db.prepare(std::string("SELECT ") + std::string(column) + " FROM api_keys WHERE id = ?1")
            .value();
    st.bind(1, id);
    REQUIRE(st.step().value());
    return st.column_text(0);
  }
};

bool is_base62(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

}  // namespace

TEST_CASE("api keys: the secret has a pons_ prefix and 256 random bits, only its hash is stored",
          "[store][keys][backends]") {
  fixture f;
  auto made = f.create({"send", "read"}, "100000000000001");
  const std::string& secret = made.secret;
  REQUIRE(secret.size() == 61);
  CHECK(secret.rfind("pons_", 0) == 0);
  CHECK(secret[17] == '_');
  for (std::size_t i = 5; i < secret.size(); ++i) {
    if (i != 17) CHECK(is_base62(secret[i]));
  }
  CHECK(made.key.prefix == secret.substr(0, 17));
  CHECK(made.key.scopes == std::vector<std::string>{"read", "send"});
  CHECK(made.key.waba_id == "100000000000001");
  CHECK(made.key.created_at == "2026-11-25T14:00:00.000Z");

  // Neither the secret nor any part of it beyond the public lookup is in the row.
  const std::string hash = f.stored("secret_hash", made.key.id);
  CHECK(hash.size() == 64);
  CHECK(hash.find(secret.substr(18, 8)) == std::string::npos);
  CHECK(f.stored("lookup", made.key.id) == secret.substr(5, 12));
  auto st = f.db.prepare(
                    "SELECT count(*) FROM api_keys WHERE name LIKE '%' || ?1 || '%' OR "
                    "secret_hash LIKE '%' || ?1 || '%' OR scopes LIKE '%' || ?1 || '%'")
                .value();
  st.bind(1, secret.substr(18));
  REQUIRE(st.step().value());
  CHECK(st.column_int64(0) == 0);

  // Two keys never share their secret or lookup part.
  auto other = f.create();
  CHECK(other.secret != secret);
  CHECK(other.key.prefix != made.key.prefix);
}

TEST_CASE("api keys: verify accepts the key and refuses every near miss",
          "[store][keys][backends]") {
  fixture f;
  auto made = f.create();
  auto ok = verify_api_key(f.db, made.secret, f.now);
  REQUIRE(ok.has_value());
  CHECK(ok->id == made.key.id);
  CHECK(ok->name == "laptop");
  CHECK(ok->waba_id.empty());
  CHECK_FALSE(ok->has_scope("send"));
  CHECK(ok->has_scope("read"));

  auto code = [&](std::string_view presented) {
    auto r = verify_api_key(f.db, presented, f.now);
    REQUIRE_FALSE(r.has_value());
    return r.error();
  };
  // The right lookup part with a wrong secret: unknown (the hash differs).
  std::string wrong = made.secret;
  wrong.back() = wrong.back() == 'a' ? 'b' : 'a';
  CHECK(code(wrong) == api_key_errc::unknown);
  // A well-formed key nobody made.
  CHECK(code("pons_AAAAAAAAAAAA_" + std::string(43, 'x')) == api_key_errc::unknown);
  // Anything not of the form never reaches a query.
  CHECK(code("") == api_key_errc::malformed);
  CHECK(code(made.secret.substr(0, 60)) == api_key_errc::malformed);
  CHECK(code(made.secret + "x") == api_key_errc::malformed);
  CHECK(code("PONS_" + made.secret.substr(5)) == api_key_errc::malformed);
  std::string dashed = made.secret;
  dashed[20] = '-';
  CHECK(code(dashed) == api_key_errc::malformed);
  std::string moved = made.secret;
  std::swap(moved[17], moved[18]);
  CHECK(code(moved) == api_key_errc::malformed);
  std::string quoted = made.secret;
  quoted[9] = '\'';
  CHECK(code(quoted) == api_key_errc::malformed);
}

TEST_CASE("api keys: a revoked or expired key no longer verifies", "[store][keys][backends]") {
  fixture f;
  auto expiring = f.create({"read"}, {}, f.now + 24h * 30);
  CHECK(expiring.key.expires_at == "2026-12-25T14:00:00.000Z");
  CHECK(verify_api_key(f.db, expiring.secret, f.now + 24h * 30 - 1ms).has_value());
  auto late = verify_api_key(f.db, expiring.secret, f.now + 24h * 30);
  REQUIRE_FALSE(late.has_value());
  CHECK(late.error() == api_key_errc::expired);

  auto revoked = f.create();
  auto r = revoke_api_key(f.db, revoked.key.id, f.now + 1h);
  REQUIRE(r.has_value());
  CHECK(r->revoked_at == "2026-11-25T15:00:00.000Z");
  auto refused = verify_api_key(f.db, revoked.secret, f.now + 2h);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error() == api_key_errc::revoked);
  // Revoking again keeps the first time; an unknown id is an error of its own.
  CHECK(revoke_api_key(f.db, revoked.key.id, f.now + 3h)->revoked_at == r->revoked_at);
  auto missing = revoke_api_key(f.db, 999, f.now);
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error() == api_key_errc::not_found);

  // The others are listed, in force, beside them.
  auto all = list_api_keys(f.db).value();
  REQUIRE(all.size() == 2);
  CHECK(all[0].revoked_at.empty());
  CHECK_FALSE(all[1].revoked_at.empty());
}

TEST_CASE("api keys: the last use is written at most once a minute", "[store][keys][backends]") {
  fixture f;
  auto made = f.create();
  auto key = verify_api_key(f.db, made.secret, f.now).value();
  CHECK(key.last_used_at.empty());
  CHECK(note_api_key_use(f.db, key, f.now).value());
  CHECK(f.stored("last_used_at", key.id) == "2026-11-25T14:00:00.000Z");

  // Within the minute, the key as verified says it was just used: nothing is written.
  key = verify_api_key(f.db, made.secret, f.now + 59s).value();
  CHECK_FALSE(note_api_key_use(f.db, key, f.now + 59s).value());
  CHECK(f.stored("last_used_at", key.id) == "2026-11-25T14:00:00.000Z");

  key = verify_api_key(f.db, made.secret, f.now + 60s).value();
  CHECK(note_api_key_use(f.db, key, f.now + 60s).value());
  CHECK(list_api_keys(f.db)->at(0).last_used_at == "2026-11-25T14:01:00.000Z");
  // A stale copy never moves the time backwards.
  auto stale = key;
  stale.last_used_at.clear();
  CHECK_FALSE(note_api_key_use(f.db, stale, f.now + 30s).value());
  CHECK(f.stored("last_used_at", key.id) == "2026-11-25T14:01:00.000Z");
}

TEST_CASE("api keys: bad names, scopes, accounts and expiries are refused by name",
          "[store][keys][backends]") {
  fixture f;
  auto refused = [&](api_key_spec spec) {
    auto r = create_api_key(f.db, spec, f.now);
    REQUIRE_FALSE(r.has_value());
    return r.error();
  };
  CHECK(refused({"", {"read"}, {}, {}}) == api_key_errc::invalid_name);
  CHECK(refused({"a\nb", {"read"}, {}, {}}) == api_key_errc::invalid_name);
  CHECK(refused({std::string(101, 'n'), {"read"}, {}, {}}) == api_key_errc::invalid_name);
  CHECK(refused({"x", {}, {}, {}}) == api_key_errc::invalid_scopes);
  CHECK(refused({"x", {"send"}, {}, {}}) == api_key_errc::invalid_scopes);
  CHECK(refused({"x", {"read", "admin"}, {}, {}}) == api_key_errc::invalid_scopes);
  CHECK(refused({"x", {"read"}, "999", {}}) == api_key_errc::unknown_account);
  CHECK(refused({"x", {"read"}, {}, f.now}) == api_key_errc::invalid_expiry);
  CHECK(list_api_keys(f.db)->empty());
  // A name of 100 characters beyond ASCII is fine.
  std::string accents;
  for (int i = 0; i < 100; ++i) accents += "é";
  CHECK(create_api_key(f.db, {accents, {"read"}, {}, {}}, f.now).has_value());
}

TEST_CASE("api keys: every error has a message saying what to do", "[store][keys][backends]") {
  std::set<std::string> seen;
  for (int e = static_cast<int>(api_key_errc::malformed);
       e <= static_cast<int>(api_key_errc::random_failed); ++e) {
    auto message = make_error_code(static_cast<api_key_errc>(e)).message();
    CHECK(message != "unknown API key error");
    CHECK(seen.insert(message).second);
  }
  CHECK(make_error_code(api_key_errc::expired).category().name() == std::string("pons.api_key"));
}
