// Template and number-quality webhooks on Meta's documented payloads, through the real
// normaliser and ingest: a template status update (with Meta's rejection words), a quality rating
// (filed by Meta under message_template_status_update: it must not become the status) and a
// category change, each applied to the stored template at once; a phone_number_quality_update
// kept on the number it names and forwarded.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "pons/meta/json_reader.hpp"
#include "pons/meta/webhook_normaliser.hpp"
#include "pons/store/database.hpp"
#include "pons/store/number_health.hpp"
#include "pons/store/template_repository.hpp"
#include "pons/webhook/ingest.hpp"
#include "unit/store_test_util.hpp"

namespace json = boost::json;
using namespace pons::store;
using pons::store::test::temp_dir;

namespace {

constexpr const char* template_id = "806312974732579";

// A fixture of other_fields/, about the template `template_id` (welcome_template, en-US).
std::string about_welcome_template(const std::string& fixture) {
  std::ifstream in(std::filesystem::path(PONS_FIXTURES_DIR) / "meta" / "webhooks" / "other_fields" /
                   fixture);
  REQUIRE(in);
  std::ostringstream s;
  s << in.rdbuf();
  json::value v = json::parse(s.str());
  v.at("entry").at(0).as_object()["id"] = "102290129340398";
  auto& value = v.at("entry").at(0).at("changes").at(0).at("value").as_object();
  value["message_template_id"] = std::stoll(template_id);
  value["message_template_name"] = "welcome_template";
  value["message_template_language"] = "en-US";
  return json::serialize(v);
}

void ingest(database& db, const std::string& body) {
  auto value = pons::meta::read_json(body);
  REQUIRE(value.has_value());
  auto batch = pons::meta::normalise_webhook(*value);
  REQUIRE(batch.has_value());
  pons::webhook::ingest_context ctx;
  ctx.request_id = "r";
  ctx.received_at = *parse_timestamp("2026-11-25T14:00:00.000Z");
  ctx.redacted_body = body;
  REQUIRE(pons::webhook::ingest_batch(db, *batch, ctx).has_value());
}

template_record stored(database& db) {
  auto t = find_template(db, "102290129340398", "welcome_template", "en-US");
  REQUIRE(t.has_value());
  REQUIRE(t->has_value());
  return **t;
}

}  // namespace

TEST_CASE("store: template status, quality and category webhooks update the stored template",
          "[store][ingest][backends]") {
  temp_dir dir;
  auto db = database::open(pons::store::test::test_database_location(dir)).value();

  ingest(db, about_welcome_template("message_template_status_update_approved.json"));
  CHECK(stored(db).status == "APPROVED");
  CHECK(stored(db).quality_score.empty());

  // Quality: the status stays APPROVED (sends are still allowed), the rating is kept.
  ingest(db, about_welcome_template("message_template_quality_update_1.json"));
  CHECK(stored(db).status == "APPROVED");
  CHECK(stored(db).quality_score == "YELLOW");

  // Category: Meta moved it from UTILITY to MARKETING.
  ingest(db, about_welcome_template("template_category_update_2.json"));
  CHECK(stored(db).category == "MARKETING");
  CHECK(stored(db).status == "APPROVED");

  // Rejected: Meta's reason code with its words.
  ingest(db, about_welcome_template("message_template_status_update_rejected.json"));
  CHECK(stored(db).status == "REJECTED");
  CHECK(stored(db).rejected_reason ==
        "INVALID_FORMAT: Your template has parameters placed next to each other (like {{1}}{{2}}) "
        "without text or punctuation between them. Separate parameters with descriptive text and "
        "ensure each parameter is clearly contextualized.");
  CHECK(stored(db).quality_score == "YELLOW");
}

TEST_CASE("store: a paused or disabled template keeps Meta's words about why",
          "[store][ingest][backends]") {
  temp_dir dir;
  auto db = database::open(pons::store::test::test_database_location(dir)).value();
  ingest(db, about_welcome_template("message_template_status_update_approved.json"));
  // Meta's reference: other_info (title, description) when a template is paused, disable_info
  // (disable_date) when it is disabled.
  auto with = [](const std::string& event, const char* extra_key, json::object extra) {
    json::value v =
        json::parse(about_welcome_template("message_template_status_update_approved.json"));
    auto& value = v.at("entry").at(0).at("changes").at(0).at("value").as_object();
    value["event"] = event;
    value["reason"] = "NONE";
    value[extra_key] = std::move(extra);
    return json::serialize(v);
  };
  ingest(db,
         with("PAUSED", "other_info",
              {{"title", "FIRST_PAUSE"},
               {"description", "Your template was paused for 3 hours because of low quality."}}));
  CHECK(stored(db).status == "PAUSED");
  CHECK(stored(db).rejected_reason ==
        "FIRST_PAUSE: Your template was paused for 3 hours because of low quality.");
  ingest(db, with("DISABLED", "disable_info", {{"disable_date", "1764770000"}}));
  CHECK(stored(db).status == "DISABLED");
  CHECK(stored(db).rejected_reason == "disabled on 1764770000");
}

TEST_CASE("store: a quality or category webhook about an unknown template stores nothing",
          "[store][ingest][backends]") {
  temp_dir dir;
  auto db = database::open(pons::store::test::test_database_location(dir)).value();
  ingest(db, about_welcome_template("message_template_quality_update_1.json"));
  ingest(db, about_welcome_template("template_category_update_1.json"));
  CHECK(db.query_int64("SELECT count(*) FROM templates").value() == 0);
  // Both are still in the webhook log, as Meta sent them.
  CHECK(db.query_int64("SELECT count(*) FROM webhook_log").value() == 2);
}

namespace {

// Our number of account 102290129340398, stored with `display` as its display number.
void store_our_number(database& db, const std::string& display) {
  REQUIRE(db.exec("INSERT INTO accounts (id, waba_id, name, created_at, updated_at) VALUES "
                  "(1, '102290129340398', 'A', 'x', 'x');"
                  "INSERT INTO phone_numbers (id, phone_number_id, account_id, "
                  "display_phone_number, verified_name, is_default, created_at, updated_at) "
                  "VALUES (1, '106540352242922', 1, '" +
                  display + "', 'S', 1, 'x', 'x');")
              .has_value());
}

number_health health_of_our_number(database& db) {
  auto health = find_number_health(db, "106540352242922");
  REQUIRE(health.has_value());
  REQUIRE(health->has_value());
  return **health;
}

std::string quality_fixture() {
  std::ifstream in(std::filesystem::path(PONS_FIXTURES_DIR) / "meta" / "webhooks" / "other_fields" /
                   "phone_number_quality_update_1.json");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("store: a phone_number_quality_update is kept on the number it names and forwarded",
          "[store][ingest][backends]") {
  temp_dir dir;
  auto db = database::open(pons::store::test::test_database_location(dir)).value();
  // Stored with its display number formatted as WhatsApp Manager shows it.
  store_our_number(db, "+1 555-078-3881");
  REQUIRE(db.exec("INSERT INTO webhook_targets(url, event_types, secret, created_at, updated_at) "
                  "VALUES ('https://a.example/hook', '[\"number.quality.updated\"]', 's', 't', "
                  "'t')")
              .has_value());
  ingest(db, quality_fixture());

  const auto health = health_of_our_number(db);
  CHECK(health.quality_event == "THROUGHPUT_UPGRADE");
  CHECK(health.messaging_limit_tier == "TIER_UNLIMITED");
  CHECK(health.updated_at == "2026-11-25T14:00:00.000Z");

  auto st = db.prepare("SELECT type, body FROM webhook_events").value();
  REQUIRE(st.step().value());
  CHECK(st.column_text(0) == "number.quality.updated");
  auto body = json::parse(st.column_text(1)).as_object();
  CHECK(body.at("payload").at("phoneNumberId") == "106540352242922");
  CHECK(body.at("payload").at("currentLimit") == "TIER_UNLIMITED");
  CHECK_FALSE(st.step().value());
}

TEST_CASE("store: a quality update naming a number that is not ours changes nothing",
          "[store][ingest][backends]") {
  temp_dir dir;
  auto db = database::open(pons::store::test::test_database_location(dir)).value();
  store_our_number(db, "+1 555-000-0000");
  ingest(db, quality_fixture());
  const auto health = health_of_our_number(db);
  CHECK(health.quality_event.empty());
  CHECK(health.messaging_limit_tier.empty());
}

namespace {

std::string other_field_fixture(const std::string& name) {
  std::ifstream in(std::filesystem::path(PONS_FIXTURES_DIR) / "meta" / "webhooks" / "other_fields" /
                   name);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("store: account_update webhooks about standing are kept on the account and forwarded",
          "[store][ingest][backends]") {
  temp_dir dir;
  auto db = database::open(pons::store::test::test_database_location(dir)).value();
  store_our_number(db, "+1 555-078-3881");
  REQUIRE(db.exec("INSERT INTO webhook_targets(url, event_types, secret, created_at, updated_at) "
                  "VALUES ('https://a.example/hook', '[\"account.standing.updated\"]', 's', 't', "
                  "'t')")
              .has_value());
  // Partner and pricing events say nothing about standing.
  ingest(db, other_field_fixture("account_update_VOLUME_BASED_PRICING_TIER_UPDATE.json"));
  CHECK(health_of_our_number(db).standing_event.empty());

  ingest(db, other_field_fixture("account_update_ACCOUNT_VIOLATION.json"));
  auto health = health_of_our_number(db);
  CHECK(health.standing_event == "ACCOUNT_VIOLATION");
  CHECK(health.standing_detail.find("policy violation (ADULT)") != std::string::npos);
  CHECK(health.standing_updated_at == "2026-11-25T14:00:00.000Z");

  ingest(db, other_field_fixture("account_update_DISABLED_UPDATE.json"));
  health = health_of_our_number(db);
  CHECK(health.standing_event == "DISABLED_UPDATE");
  CHECK(health.standing_detail.find("reinstated") != std::string::npos);
  CHECK(health.standing_detail.find("April 17, 2025") != std::string::npos);

  auto st = db.prepare("SELECT type, body FROM webhook_events ORDER BY id").value();
  std::vector<std::string> events;
  while (st.step().value()) {
    CHECK(st.column_text(0) == "account.standing.updated");
    events.push_back(
        std::string(json::parse(st.column_text(1)).at("payload").at("event").as_string()));
  }
  CHECK(events == std::vector<std::string>{"ACCOUNT_VIOLATION", "DISABLED_UPDATE"});
}

TEST_CASE("store: a phone_number_name_update is kept on the number it names",
          "[store][ingest][backends]") {
  temp_dir dir;
  auto db = database::open(pons::store::test::test_database_location(dir)).value();
  store_our_number(db, "15550783881");
  ingest(db, other_field_fixture("phone_number_name_update_1.json"));
  const auto health = health_of_our_number(db);
  CHECK(health.name_decision == "APPROVED");
  CHECK(health.requested_name == "Lucky Shrub");
  CHECK(health.name_rejection_reason.empty());
  CHECK(health.name_updated_at == "2026-11-25T14:00:00.000Z");
}
