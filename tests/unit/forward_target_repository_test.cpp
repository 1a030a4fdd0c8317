#include <catch2/catch.hpp>
#include <chrono>
#include <set>

#include "pons/forward/target_repository.hpp"
#include "pons/store/database.hpp"
#include "unit/store_test_util.hpp"

using namespace pons::forward;
using pons::store::database;
using pons::store::test::temp_dir;
using namespace std::chrono_literals;

namespace {

const pons::store::time_point t0 = std::chrono::sys_days{std::chrono::year{2026} / 11 / 25} + 14h;

}  // namespace

TEST_CASE("forward: generated secrets are 64 hex digits and differ", "[forward][backends]") {
  std::set<std::string> seen;
  for (int i = 0; i < 20; ++i) {
    auto s = generate_secret();
    REQUIRE(s.has_value());
    CHECK(s->size() == 64);
    CHECK(s->find_first_not_of("0123456789abcdef") == std::string::npos);
    seen.insert(*s);
  }
  CHECK(seen.size() == 20);
}

TEST_CASE("forward: add_target stores defaults and returns the secret once",
          "[forward][backends]") {
  temp_dir dir;
  auto db = database::open(pons::store::test::test_database_location(dir));
  REQUIRE(db.has_value());

  target_spec spec;
  spec.url = "https://crm.example.com/hook";
  spec.description = "CRM";
  auto added = add_target(*db, spec, t0);
  REQUIRE(added.has_value());
  CHECK(added->secret.size() == 64);
  CHECK(added->value.id > 0);
  CHECK(added->value.max_attempts == 8);
  CHECK(added->value.timeout == 10s);
  CHECK(added->value.enabled);
  CHECK(added->value.event_types.size() == all_event_types.size());
  CHECK(added->value.created_at == "2026-11-25T14:00:00.000Z");

  auto stored_secret = db->prepare("SELECT secret FROM webhook_targets WHERE id = ?1");
  REQUIRE(stored_secret.has_value());
  stored_secret->bind(1, added->value.id);
  REQUIRE(stored_secret->step().value());
  CHECK(stored_secret->column_text(0) == added->secret);

  auto listed = list_targets(*db);
  REQUIRE(listed.has_value());
  REQUIRE(listed->size() == 1);
  CHECK(listed->front().url == spec.url);
  CHECK(listed->front().description == "CRM");
}

TEST_CASE("forward: invalid targets are refused before anything is stored", "[forward][backends]") {
  temp_dir dir;
  auto db = database::open(pons::store::test::test_database_location(dir));
  REQUIRE(db.has_value());

  target_spec spec;
  spec.url = "http://crm.example.com/hook";
  auto r = add_target(*db, spec, t0);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error() == forward_errc::insecure_url);

  spec.url = "https://crm.example.com/hook";
  spec.event_types = {"message.inbound.received", "message.deleted"};
  CHECK(add_target(*db, spec, t0).error() == forward_errc::unknown_event_type);

  spec.event_types = {};
  spec.max_attempts = 0;
  CHECK(add_target(*db, spec, t0).error() == forward_errc::invalid_value);
  spec.max_attempts = 8;
  spec.timeout = 10ms;
  CHECK(add_target(*db, spec, t0).error() == forward_errc::invalid_value);

  CHECK(list_targets(*db)->empty());
}

TEST_CASE("forward: update, rotate-secret and remove", "[forward][backends]") {
  temp_dir dir;
  auto db = database::open(pons::store::test::test_database_location(dir));
  REQUIRE(db.has_value());
  target_spec spec;
  spec.url = "http://127.0.0.1:9000/in";
  spec.event_types = {"message.inbound.received"};
  auto added = add_target(*db, spec, t0);
  REQUIRE(added.has_value());
  const auto id = added->value.id;

  target_changes changes;
  changes.enabled = false;
  changes.max_attempts = 3;
  changes.phone_number_id = "1234";
  changes.event_types =
      std::vector<std::string>{"message.status.updated", "message.status.updated"};
  auto updated = update_target(*db, id, changes, t0 + 1s);
  REQUIRE(updated.has_value());
  CHECK_FALSE(updated->enabled);
  CHECK(updated->max_attempts == 3);
  CHECK(updated->phone_number_id == "1234");
  CHECK(updated->event_types == std::vector<std::string>{"message.status.updated"});
  CHECK(updated->url == spec.url);
  CHECK(updated->updated_at == "2026-11-25T14:00:01.000Z");

  target_changes bad;
  bad.url = "http://example.org/";
  CHECK(update_target(*db, id, bad, t0).error() == forward_errc::insecure_url);
  CHECK(get_target(*db, id)->url == spec.url);

  auto rotated = rotate_secret(*db, id, t0 + 2s);
  REQUIRE(rotated.has_value());
  CHECK(rotated->secret != added->secret);
  CHECK(rotated->secret.size() == 64);

  CHECK(rotate_secret(*db, id + 100, t0).error() == forward_errc::not_found);
  CHECK(update_target(*db, id + 100, changes, t0).error() == forward_errc::not_found);

  REQUIRE(remove_target(*db, id).has_value());
  CHECK(get_target(*db, id).error() == forward_errc::not_found);
  CHECK(remove_target(*db, id).error() == forward_errc::not_found);
}
