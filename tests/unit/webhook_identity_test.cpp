// Contacts' ids as Meta's documented payloads change them: a phone-only and a BSUID-only contact
// linked by a later webhook, a changed phone number, a changed BSUID, a phone number shared on
// request. Each case normalises the payload and ingests it into a real database.
#include <boost/algorithm/string/replace.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "pons/meta/json_reader.hpp"
#include "pons/meta/webhook_normaliser.hpp"
#include "pons/store/contact_identity.hpp"
#include "pons/store/contact_repository.hpp"
#include "pons/store/database.hpp"
#include "pons/webhook/ingest.hpp"
#include "unit/store_test_util.hpp"

using namespace pons::store;
using namespace pons::webhook;
using pons::store::test::temp_dir;
namespace fs = std::filesystem;

namespace {

const fs::path webhooks = fs::path(PONS_FIXTURES_DIR) / "meta" / "webhooks";

std::string fixture_text(const std::string& name) {
  std::ifstream in(webhooks / name, std::ios::binary);
  REQUIRE(in);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct ingest_fixture {
  temp_dir dir;
  database db = database::open(pons::store::test::test_database_location(dir)).value();
  int deliveries = 0;

  void ingest(const std::string& payload) {
    auto value = pons::meta::read_json(payload);
    REQUIRE(value.has_value());
    auto batch = pons::meta::normalise_webhook(*value);
    REQUIRE(batch.has_value());
    ingest_context ctx;
    ctx.request_id = "r" + std::to_string(++deliveries);
    ctx.received_at = *parse_timestamp("2026-12-01T10:00:00.000Z");
    ctx.redacted_body = payload;
    REQUIRE(ingest_batch(db, *batch, ctx).has_value());
  }
  void ingest_fixture_file(const std::string& name) { ingest(fixture_text(name)); }

  std::int64_t count(const std::string& sql) { return db.query_int64(sql).value(); }
};

// Meta's text message fixture, from another sender or with another wamid.
std::string text_from(const std::string& wa_id, const std::string& wamid_suffix) {
  std::string t = fixture_text("messages/text.json");
  boost::replace_all(t, "16505551234", wa_id);
  boost::replace_all(t, "RgA=", wamid_suffix + "RgA=");
  return t;
}

}  // namespace

TEST_CASE("identity: a BSUID-only contact and a phone-only contact merge when a webhook links them",
          "[identity][ingest][backends]") {
  ingest_fixture f;
  // A message sent to a username user (BSUID only), then one from a phone-only contact.
  f.ingest_fixture_file("statuses/delivered_sent_to_bsuid_empty_wa_id.json");
  f.ingest_fixture_file("messages/text.json");
  REQUIRE(f.count("SELECT count(*) FROM contacts") == 2);
  const auto phone_contact = f.count("SELECT id FROM contacts WHERE wa_id = '16505551234'");
  REQUIRE(f.count("SELECT count(*) FROM messages WHERE contact_id = " +
                  std::to_string(phone_contact)) == 1);
  // A status for a message sent to the phone carries both ids: one person.
  f.ingest_fixture_file("statuses/delivered_username_user_sent_to_phone.json");
  CHECK(f.count("SELECT count(*) FROM contacts") == 1);
  auto merged = get_contact(f.db, phone_contact).value();
  REQUIRE(merged.has_value());
  CHECK(merged->wa_id == "16505551234");
  CHECK(merged->user_id == "user.9373795779eb6441c8adb2eaee5b848e7dd174ddd302d7db62142f4722d574b6");
  CHECK(merged->username == "pablomorales");  // Meta's "@pablomorales", kept without the '@'
  CHECK(f.count("SELECT count(*) FROM messages WHERE contact_id <> " +
                std::to_string(phone_contact)) == 0);
  auto history = contact_identity_history(f.db, phone_contact).value();
  REQUIRE(history.size() == 1);
  CHECK(history[0].kind == "merged");
  CHECK(history[0].previous_user_id == merged->user_id);
  // Writing again from either id finds the one contact.
  f.ingest(text_from("16505551234", "A1"));
  CHECK(f.count("SELECT count(*) FROM contacts") == 1);
  CHECK(f.count("SELECT count(*) FROM conversations") == 1);
}

TEST_CASE("identity: a changed phone number moves the contact and joins its conversations",
          "[identity][ingest][backends]") {
  ingest_fixture f;
  f.ingest_fixture_file("messages/text.json");  // from 16505551234
  const auto id = f.count("SELECT id FROM contacts WHERE wa_id = '16505551234'");
  // The customer writes from the new number before Meta's system message arrives.
  f.ingest(text_from("12195555358", "B1"));
  REQUIRE(f.count("SELECT count(*) FROM contacts") == 2);
  REQUIRE(f.count("SELECT count(*) FROM conversations") == 2);
  REQUIRE(f.db.exec("INSERT INTO conversation_labels(conversation_id, label, created_at) SELECT "
                    "id, 'VIP', '2026-12-01T09:00:00.000Z' FROM conversations")
              .has_value());
  f.ingest_fixture_file("messages/system_user_changed_number.json");

  CHECK(f.count("SELECT count(*) FROM contacts") == 1);
  auto c = get_contact(f.db, id).value();
  REQUIRE(c.has_value());
  CHECK(c->wa_id == "12195555358");
  CHECK(f.count("SELECT count(*) FROM conversations") == 1);
  CHECK(f.count("SELECT count(*) FROM messages WHERE contact_id = " + std::to_string(id)) == 3);
  CHECK(f.count("SELECT unread_count FROM conversations") == 3);
  CHECK(f.count("SELECT count(*) FROM conversation_labels") == 1);  // one VIP, not two
  auto history = contact_identity_history(f.db, id).value();
  REQUIRE(history.size() == 2);
  CHECK(history[0].kind == "number_changed");
  CHECK(history[0].previous_wa_id == "16505551234");
  CHECK(history[1].kind == "merged");
  CHECK(history[1].previous_wa_id == "12195555358");
  // A replay changes nothing.
  f.ingest_fixture_file("messages/system_user_changed_number.json");
  CHECK(contact_identity_history(f.db, id).value().size() == 2);
}

TEST_CASE("identity: a changed BSUID and a parent BSUID follow the contact",
          "[identity][ingest][backends]") {
  ingest_fixture f;
  // Meta's BSUID example: a username user with a parent BSUID.
  const std::string first =
      R"({"object":"whatsapp_business_account","entry":[{"id":"102290129340398",
    "changes":[{"field":"messages","value":{"messaging_product":"whatsapp",
    "metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},
    "contacts":[{"profile":{"name":"Sheena Nelson","username":"realsheenanelson"},
      "user_id":"US.13491208655302741918","parent_user_id":"US.ENT.11815799212886844830"}],
    "messages":[{"from_user_id":"US.13491208655302741918",
      "from_parent_user_id":"US.ENT.11815799212886844830",
      "id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
      "timestamp":"1749416383","type":"text","text":{"body":"Does it come in another color?"}}]}}]}]})";
  f.ingest(first);
  const auto id = f.count("SELECT id FROM contacts");
  CHECK(get_contact(f.db, id).value()->parent_user_id == "US.ENT.11815799212886844830");
  // user_changed_user_id: only the BSUID changed (no phone number is shared).
  const std::string changed =
      R"({"object":"whatsapp_business_account","entry":[{"id":"102290129340398",
    "changes":[{"field":"messages","value":{"messaging_product":"whatsapp",
    "metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},
    "messages":[{"from_user_id":"US.99990000111122223333","id":"wamid.SYSTEM2",
      "timestamp":"1749417000","type":"system",
      "system":{"body":"User Sheena Nelson changed","type":"user_changed_user_id",
        "user_id":"US.99990000111122223333","parent_user_id":"US.ENT.22220000111122223333",
        "previous_user_id":"US.13491208655302741918",
        "previous_parent_user_id":"US.ENT.11815799212886844830"}}]}}]}]})";
  f.ingest(changed);
  CHECK(f.count("SELECT count(*) FROM contacts") == 1);
  auto c = get_contact(f.db, id).value();
  REQUIRE(c.has_value());
  CHECK(c->user_id == "US.99990000111122223333");
  CHECK(c->parent_user_id == "US.ENT.22220000111122223333");
  CHECK(c->username == "realsheenanelson");
  CHECK(f.count("SELECT count(*) FROM messages WHERE contact_id = " + std::to_string(id)) == 2);
  auto history = contact_identity_history(f.db, id).value();
  REQUIRE_FALSE(history.empty());
  CHECK(history[0].kind == "user_id_changed");
  CHECK(history[0].previous_user_id == "US.13491208655302741918");
}

TEST_CASE("identity: a phone number shared on request links a BSUID-only contact",
          "[identity][ingest][backends]") {
  ingest_fixture f;
  f.ingest_fixture_file("messages/text.json");  // phone-only contact 16505551234
  const std::string shared =
      R"({"object":"whatsapp_business_account","entry":[{"id":"102290129340398",
    "changes":[{"field":"messages","value":{"messaging_product":"whatsapp",
    "metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},
    "contacts":[{"profile":{"name":"Sheena","username":"sheena"},"user_id":"US.13491208655302741918"}],
    "messages":[{"id":"wamid.SHARED1","timestamp":"1749418000","type":"contacts",
      "from_user_id":"US.13491208655302741918",
      "contacts":[{"origin":"contact_request","name":{"formatted_name":"Sheena"},
        "phones":[{"phone":"+1 650-555-1234","wa_id":"16505551234","type":"MOBILE"}]}]}]}}]}]})";
  f.ingest(shared);
  CHECK(f.count("SELECT count(*) FROM contacts") == 1);
  CHECK(f.count("SELECT count(*) FROM contacts WHERE wa_id = '16505551234' AND "
                "user_id = 'US.13491208655302741918'") == 1);
  CHECK(f.count("SELECT count(*) FROM conversations") == 1);
  CHECK(f.count("SELECT count(*) FROM messages") == 2);

  // A card of someone else (origin other) links nothing.
  ingest_fixture g;
  std::string other = shared;
  boost::replace_all(other, "contact_request", "other");
  g.ingest_fixture_file("messages/text.json");
  g.ingest(other);
  CHECK(g.count("SELECT count(*) FROM contacts") == 2);
}

TEST_CASE("identity: a merge keeps the later marketing preference of the two contacts",
          "[identity][store][backends]") {
  ingest_fixture f;
  f.ingest_fixture_file("statuses/delivered_sent_to_bsuid_empty_wa_id.json");
  f.ingest_fixture_file("messages/text.json");
  REQUIRE(f.db.exec("INSERT INTO contact_preferences(contact_id, phone_number_id, category, value, "
                    "source, changed_at, updated_at) SELECT id, '106540352242922', 'marketing', "
                    "CASE WHEN wa_id = '' THEN 'stop' ELSE 'resume' END, 'user_preferences', "
                    "CASE WHEN wa_id = '' THEN '2026-11-02T00:00:00.000Z' ELSE "
                    "'2026-11-01T00:00:00.000Z' END, '2026-11-02T00:00:00.000Z' FROM contacts")
              .has_value());
  f.ingest_fixture_file("statuses/delivered_username_user_sent_to_phone.json");
  CHECK(f.count("SELECT count(*) FROM contact_preferences") == 1);
  CHECK(f.count("SELECT count(*) FROM contact_preferences WHERE value = 'stop'") == 1);
}
