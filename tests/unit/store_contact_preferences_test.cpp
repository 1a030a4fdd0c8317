// Marketing preferences: Meta's user_preferences webhook (its documented payload) stored per
// contact and number through the real ingest, the latest change by Meta's time winning, and a
// send that failed with 131050 recorded the same way.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "pons/meta/json_reader.hpp"
#include "pons/meta/webhook_normaliser.hpp"
#include "pons/store/contact_preferences.hpp"
#include "pons/store/contact_repository.hpp"
#include "pons/store/database.hpp"
#include "pons/store/status_repository.hpp"
#include "pons/webhook/ingest.hpp"
#include "unit/store_test_util.hpp"

namespace json = boost::json;
using namespace pons::store;
using pons::store::test::temp_dir;

namespace {

// Meta's documented user_preferences payload, with `value` and `timestamp` set.
std::string preference_webhook(const std::string& value, std::int64_t timestamp) {
  std::ifstream in(std::filesystem::path(PONS_FIXTURES_DIR) / "meta" / "webhooks" / "other_fields" /
                   "user_preferences_1.json");
  REQUIRE(in);
  std::ostringstream s;
  s << in.rdbuf();
  json::value v = json::parse(s.str());
  auto& pref = v.at("entry").at(0).at("changes").at(0).at("value").at("user_preferences").at(0);
  pref.as_object()["value"] = value;
  pref.as_object()["timestamp"] = timestamp;
  pref.as_object()["detail"] = value == "stop" ? "User requested to stop marketing messages"
                                               : "User requested to resume marketing messages";
  return json::serialize(v);
}

void ingest(database& db, const std::string& body, const std::string& request_id) {
  auto value = pons::meta::read_json(body);
  REQUIRE(value.has_value());
  auto batch = pons::meta::normalise_webhook(*value);
  REQUIRE(batch.has_value());
  pons::webhook::ingest_context ctx;
  ctx.request_id = request_id;
  ctx.received_at = *parse_timestamp("2026-11-25T14:00:00.000Z");
  ctx.redacted_body = body;
  REQUIRE(pons::webhook::ingest_batch(db, *batch, ctx).has_value());
}

std::optional<contact_preference> preference_of(database& db, const std::string& wa_id) {
  auto contacts = find_contacts(db, wa_id);
  REQUIRE(contacts.has_value());
  REQUIRE(contacts->size() == 1);
  auto p = find_contact_preference(db, contacts->front().id, "106540352242922", marketing_messages);
  REQUIRE(p.has_value());
  return *p;
}

}  // namespace

TEST_CASE("store: a user_preferences webhook keeps the contact's marketing preference per number",
          "[store][ingest][backends]") {
  temp_dir dir;
  auto db = database::open(pons::store::test::test_database_location(dir)).value();

  ingest(db, preference_webhook("stop", 1731705721), "stop");
  auto p = preference_of(db, "16505551234");
  REQUIRE(p);
  CHECK(p->value == "stop");
  CHECK(p->source == "user_preferences");
  CHECK(p->detail == "User requested to stop marketing messages");
  CHECK(p->changed_at == format_unix_seconds(1731705721));

  // Resumed later: resumed. An older "stop" delivered late changes nothing.
  ingest(db, preference_webhook("resume", 1731705800), "resume");
  CHECK(preference_of(db, "16505551234")->value == "resume");
  ingest(db, preference_webhook("stop", 1731705750), "late");
  CHECK(preference_of(db, "16505551234")->value == "resume");
  CHECK(preference_of(db, "16505551234")->changed_at == format_unix_seconds(1731705800));

  // A value Meta does not document is not stored as a preference.
  ingest(db, preference_webhook("maybe", 1731705900), "unknown");
  CHECK(preference_of(db, "16505551234")->value == "resume");
  CHECK(db.query_int64("SELECT count(*) FROM contact_preferences").value() == 1);
}

TEST_CASE("store: a marketing template failing with 131050 records that the contact stopped",
          "[store][backends]") {
  temp_dir dir;
  auto db = database::open(pons::store::test::test_database_location(dir)).value();
  REQUIRE(db.exec("INSERT INTO accounts (id, waba_id, name, created_at, updated_at) VALUES "
                  "(1, 'W1', 'A', 'x', 'x');"
                  "INSERT INTO phone_numbers (id, phone_number_id, account_id, "
                  "display_phone_number, verified_name, is_default, created_at, updated_at) "
                  "VALUES (1, 'PN1', 1, '+1', 'S', 1, 'x', 'x');"
                  "INSERT INTO contacts (id, account_id, wa_id, user_id, username, profile_name, "
                  "created_at, updated_at) VALUES (7, 1, '447700900123', '', '', 'Z', 'x', 'x');"
                  "INSERT INTO conversations (id, phone_number_id, contact_id, created_at, "
                  "updated_at) VALUES (1, 'PN1', 7, 'x', 'x');"
                  "INSERT INTO messages (id, direction, wamid, phone_number_id, contact_id, "
                  "conversation_id, type, text, status, ts, created_at, updated_at) VALUES "
                  "(1, 'outbound', 'wamid.M', 'PN1', 7, 1, 'template', '', 'sent', 0, "
                  "'2026-11-25T13:00:00.000Z', '2026-11-25T13:00:00.000Z');")
              .has_value());
  pons::domain::status_update s;
  s.phone_number_id = "PN1";
  s.wamid = "wamid.M";
  s.status = "failed";
  s.timestamp_unix = 1764075600;
  s.errors.push_back({131050, "User has stopped receipt of marketing messages", "", "", ""});
  auto now = *parse_timestamp("2026-11-25T14:00:00.000Z");
  REQUIRE(apply_status(db, s, now).has_value());
  auto p = find_contact_preference(db, 7, "PN1", marketing_messages);
  REQUIRE(p.has_value());
  REQUIRE(*p);
  CHECK((*p)->value == "stop");
  CHECK((*p)->source == "error_131050");
  CHECK((*p)->changed_at == format_unix_seconds(1764075600));

  // Another failure code records nothing.
  s.errors.front().code = 131026;
  s.wamid = "wamid.M";
  REQUIRE(db.exec("DELETE FROM contact_preferences").has_value());
  REQUIRE(apply_status(db, s, now).has_value());
  CHECK(db.query_int64("SELECT count(*) FROM contact_preferences").value() == 0);
}

TEST_CASE("store: a preference needs a documented value and source", "[store][backends]") {
  temp_dir dir;
  auto db = database::open(pons::store::test::test_database_location(dir)).value();
  contact_preference p;
  p.contact_id = 1;
  p.phone_number_id = "PN1";
  p.value = "pause";
  p.source = "user_preferences";
  p.changed_at = "2026-11-25T14:00:00.000Z";
  auto r = record_contact_preference(db, p, std::chrono::system_clock::now());
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error() == make_error_code(store_errc::invalid_argument));
}

TEST_CASE("store: preference and template status changes are forwarded once each",
          "[store][ingest][backends]") {
  temp_dir dir;
  auto db = database::open(pons::store::test::test_database_location(dir)).value();
  REQUIRE(db.exec("INSERT INTO webhook_targets(url, event_types, secret, created_at, updated_at) "
                  "VALUES ('https://a.example/hook', '[\"contact.preferences.updated\", "
                  "\"template.status.updated\"]', 's', 't', 't'),"
                  " ('https://b.example/hook', '[\"message.inbound.received\"]', 's', 't', 't')")
              .has_value());
  auto types = [&] {
    std::vector<std::string> out;
    auto st = db.prepare("SELECT type FROM webhook_events ORDER BY id").value();
    while (st.step().value()) out.push_back(st.column_text(0));
    return out;
  };

  ingest(db, preference_webhook("stop", 1731705721), "stop");
  ingest(db, preference_webhook("stop", 1731705721), "redelivered");
  REQUIRE(types() == std::vector<std::string>{"contact.preferences.updated"});
  CHECK(db.query_int64("SELECT count(*) FROM webhook_deliveries").value() == 1);
  auto st = db.prepare("SELECT body FROM webhook_events").value();
  REQUIRE(st.step().value());
  auto body = json::parse(st.column_text(0)).as_object();
  st.reset();
  CHECK(body.at("payload").at("value") == "stop");
  CHECK(body.at("payload").at("contact").at("waId") == "16505551234");
  CHECK(body.at("payload").at("phoneNumberId") == "106540352242922");
  CHECK(body.at("occurredAt").as_string() == format_unix_seconds(1731705721));

  // A template approved (Meta's documented payload), the same webhook again, then rejected.
  auto read = [](const std::string& name) {
    std::ifstream in(std::filesystem::path(PONS_FIXTURES_DIR) / "meta" / "webhooks" /
                     "other_fields" / name);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  };
  const auto approved = read("message_template_status_update_approved.json");
  ingest(db, approved, "approved");
  ingest(db, approved, "approved again");
  CHECK(types() ==
        std::vector<std::string>{"contact.preferences.updated", "template.status.updated"});
  auto rejected = json::parse(read("message_template_status_update_rejected.json"));
  auto approved_value = json::parse(approved);
  // The rejection of the same template as the approval above.
  auto& rv = rejected.at("entry").at(0).at("changes").at(0).at("value").as_object();
  const auto& av = approved_value.at("entry").at(0).at("changes").at(0).at("value").as_object();
  rv["message_template_id"] = av.at("message_template_id");
  rv["message_template_name"] = av.at("message_template_name");
  rv["message_template_language"] = av.at("message_template_language");
  rejected.at("entry").at(0).as_object()["id"] = approved_value.at("entry").at(0).at("id");
  ingest(db, json::serialize(rejected), "rejected");
  CHECK(types() == std::vector<std::string>{"contact.preferences.updated",
                                            "template.status.updated", "template.status.updated"});
  auto last = db.prepare("SELECT body FROM webhook_events ORDER BY id DESC LIMIT 1").value();
  REQUIRE(last.step().value());
  auto tpl = json::parse(last.column_text(0)).as_object();
  CHECK(tpl.at("payload").at("status") == "REJECTED");
  CHECK(tpl.at("payload").at("name") == av.at("message_template_name"));
}
