#include "pons/meta/webhook_normaliser.hpp"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "pons/meta/json_reader.hpp"

namespace fs = std::filesystem;
namespace json = boost::json;
using pons::domain::webhook_batch;
using pons::meta::normalise_webhook;
using pons::meta::webhook_errc;

namespace {

const fs::path fixtures = fs::path(PONS_FIXTURES_DIR) / "meta" / "webhooks";

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  REQUIRE(in);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

webhook_batch from_text(const std::string& text) {
  auto value = pons::meta::read_json(text);
  REQUIRE(value);
  auto batch = normalise_webhook(*value);
  REQUIRE(batch.has_value());
  return *batch;
}

webhook_batch fixture(const std::string& name) {
  return from_text(read_file(fixtures / name));
}

// Wraps a messages[] fragment (Meta's docs show some types only as fragments) in an envelope.
webhook_batch from_fragment(const std::string& name) {
  auto fragment = pons::meta::read_json(read_file(fixtures / "fragments" / name));
  REQUIRE(fragment);
  json::object value;
  value["messaging_product"] = "whatsapp";
  value["metadata"] = {{"display_phone_number", "15550783881"},
                       {"phone_number_id", "106540352242922"}};
  value["messages"] = fragment->at("messages");
  json::value payload = {
      {"object", "whatsapp_business_account"},
      {"entry",
       json::array{{{"id", "102290129340398"},
                    {"changes", json::array{{{"field", "messages"}, {"value", value}}}}}}}};
  auto batch = normalise_webhook(payload);
  REQUIRE(batch.has_value());
  return *batch;
}

pons::domain::inbound_message only_message(const webhook_batch& b) {
  REQUIRE(b.messages.size() == 1);
  CHECK(b.statuses.empty());
  CHECK(b.events.empty());
  return b.messages.front();
}

pons::domain::status_update only_status(const webhook_batch& b) {
  REQUIRE(b.statuses.size() == 1);
  CHECK(b.messages.empty());
  return b.statuses.front();
}

}  // namespace

TEST_CASE("every webhook fixture normalises to at least one record", "[normaliser]") {
  std::size_t files = 0;
  for (const char* dir : {"messages", "statuses", "other_fields"}) {
    for (const auto& file : fs::directory_iterator(fixtures / dir)) {
      INFO(file.path().filename().string());
      // Meta's documented example lacks `object` altogether: see the dedicated test below.
      if (file.path().filename() == "account_update_PARTNER_ADDED.json") continue;
      const auto batch = fixture(std::string(dir) + "/" + file.path().filename().string());
      ++files;
      CHECK(batch.object == "whatsapp_business_account");
      const std::size_t records = batch.messages.size() + batch.statuses.size() +
                                  batch.events.size() + batch.value_errors.size();
      CHECK(records >= 1);
      CHECK(batch.contacts.size() == batch.contact_phone_number_ids.size());
      if (std::string(dir) == "messages") CHECK(batch.events.empty());
      if (std::string(dir) == "statuses") CHECK(batch.statuses.size() == 1);
      if (std::string(dir) == "other_fields") CHECK(batch.events.size() == 1);
      for (const auto& m : batch.messages) {
        CHECK_FALSE(m.wamid.empty());
        CHECK_FALSE(m.type.empty());
        CHECK_FALSE(m.text.empty());
        CHECK(pons::meta::read_json(m.raw_json));
      }
      for (const auto& e : batch.events) CHECK(pons::meta::read_json(e.value_json));
    }
  }
  CHECK(files >= 55);
}

TEST_CASE("text message", "[normaliser]") {
  const auto b = fixture("messages/text.json");
  const auto m = only_message(b);
  CHECK(m.type == "text");
  CHECK(m.text == "Does it come in another color?");
  CHECK(m.wamid == "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=");
  CHECK(m.from == "16505551234");
  CHECK(m.from_user_id.empty());
  CHECK(m.sender.wa_id == "16505551234");
  CHECK(m.sender.profile_name == "Sheena Nelson");
  CHECK(m.phone_number_id == "106540352242922");
  CHECK(m.display_phone_number == "15550783881");
  CHECK(m.waba_id == "419561257915477");
  CHECK(m.timestamp == "1749416383");
  CHECK(m.timestamp_unix == 1749416383);
  CHECK_FALSE(m.media);
  CHECK_FALSE(m.context);
  CHECK(b.phone_number_ids == std::vector<std::string>{"106540352242922"});
  REQUIRE(b.contacts.size() == 1);
  CHECK(b.contacts[0].profile_name == "Sheena Nelson");
  CHECK(b.contact_phone_number_ids[0] == "106540352242922");
  CHECK(json::parse(m.raw_json).at("text").at("body") == "Does it come in another color?");
}

TEST_CASE("media messages keep their media fields", "[normaliser]") {
  SECTION("image with caption") {
    const auto m = only_message(fixture("messages/image.json"));
    CHECK(m.type == "image");
    REQUIRE(m.media);
    CHECK(m.media->media_id == "1003383421387256");
    CHECK(m.media->mime_type == "image/jpeg");
    CHECK(m.media->sha256 == "SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI=");
    CHECK(m.media->caption == "Taj Mahal");
    CHECK(m.media->url.rfind("https://lookaside.fbsbx.com/", 0) == 0);
    CHECK(m.text == "Taj Mahal");
  }
  SECTION("video") {
    const auto m = only_message(fixture("messages/video.json"));
    REQUIRE(m.media);
    CHECK(m.media->media_id == "731675419373506");
    CHECK(m.media->mime_type == "video/mp4");
    CHECK(m.text == "Timelapse of growth");
  }
  SECTION("voice audio") {
    const auto m = only_message(fixture("messages/audio_voice.json"));
    REQUIRE(m.media);
    CHECK(m.media->voice);
    CHECK(m.media->mime_type == "audio/ogg; codecs=opus");
    CHECK(m.text == "[voice message]");
  }
  SECTION("document with caption and filename") {
    const auto m = only_message(fixture("messages/document.json"));
    REQUIRE(m.media);
    CHECK(m.media->filename == "receipt.pdf");
    CHECK(m.media->caption == "my receipt");
    CHECK(m.text == "my receipt");
  }
  SECTION("animated sticker") {
    const auto m = only_message(fixture("messages/sticker_animated.json"));
    REQUIRE(m.media);
    CHECK(m.media->animated);
    CHECK_FALSE(m.media->voice);
    CHECK(m.media->mime_type == "image/webp");
    CHECK(m.text == "[sticker]");
  }
}

TEST_CASE("media without caption: filename, then a rendering: voice flag may be absent",
          "[normaliser]") {
  const auto b = from_text(R"({"object":"whatsapp_business_account","entry":[{"id":"1","changes":[
    {"field":"messages","value":{"metadata":{"phone_number_id":"1001"},"messages":[
      {"from":"1","id":"a","timestamp":"1","type":"document","document":{"id":"d","filename":"x.pdf"}},
      {"from":"1","id":"b","timestamp":"1","type":"audio","audio":{"id":"au","mime_type":"audio/mpeg"}},
      {"from":"1","id":"c","timestamp":"1","type":"image","image":{"id":"i"}},
      {"from":"1","id":"d","timestamp":"1","type":"audio","audio":{"id":"v","voice":"true"}}]}}]}]})");
  REQUIRE(b.messages.size() == 4);
  CHECK(b.messages[0].text == "x.pdf");
  CHECK(b.messages[1].text == "[audio]");
  CHECK_FALSE(b.messages[1].media->voice);
  CHECK(b.messages[2].text == "[image]");
  CHECK(b.messages[3].media->voice);
}

TEST_CASE("location, including 0/0 without name or address", "[normaliser]") {
  const auto m = only_message(fixture("messages/location.json"));
  REQUIRE(m.place);
  CHECK(m.place->latitude == Approx(37.44221496582));
  CHECK(m.place->longitude == Approx(-122.16165924072));
  CHECK(m.place->name == "Philz Coffee");
  CHECK(m.place->address == "101 Forest Ave, Palo Alto, CA 94301");
  CHECK(m.place->url == "https://philzcoffee.com/");
  CHECK(m.text == "[location] Philz Coffee");

  const auto b = from_text(R"({"object":"whatsapp_business_account","entry":[{"id":"1","changes":[
    {"field":"messages","value":{"metadata":{"phone_number_id":"1"},"messages":[
      {"from":"1","id":"a","timestamp":"1","type":"location","location":{"latitude":0,"longitude":0}},
      {"from":"1","id":"b","timestamp":"1","type":"location","location":{"latitude":"51.5","longitude":"-0.12","address":"London"}}]}}]}]})");
  REQUIRE(b.messages.size() == 2);
  REQUIRE(b.messages[0].place);
  CHECK(b.messages[0].place->latitude == 0);
  CHECK(b.messages[0].place->longitude == 0);
  CHECK(b.messages[0].place->name.empty());
  CHECK(b.messages[0].text == "[location] 0,0");
  REQUIRE(b.messages[1].place);
  CHECK(b.messages[1].place->latitude == Approx(51.5));
  CHECK(b.messages[1].text == "[location] London");
}

TEST_CASE("shared contacts are kept verbatim and rendered", "[normaliser]") {
  const auto m = only_message(fixture("messages/contacts.json"));
  CHECK(m.type == "contacts");
  CHECK(m.text == "[contact] Barbara J. Johnson");
  const auto shared = json::parse(m.contacts_json);
  CHECK(shared.at(0).at("phones").at(0).at("wa_id") == "14125550829");
  const auto m2 = only_message(fixture("messages/contacts_minimal_openapi.json"));
  CHECK(m2.text ==
        "[contact] Luc\xc3\xad"
        "a G\xc3\xb3mez");
}

TEST_CASE("reactions and their removal", "[normaliser]") {
  const auto r = only_message(fixture("messages/reaction.json"));
  REQUIRE(r.reacted);
  CHECK(r.reacted->message_id == "wamid.HBgLMTQxMjU1NTA4MjkVAgASGBQzQUNCNjk5RDUwNUZGMUZEM0VBRAA=");
  CHECK(r.reacted->emoji == "\xf0\x9f\x91\x8d");
  CHECK(r.text == "[reaction] \xf0\x9f\x91\x8d");

  const auto removed = only_message(fixture("messages/reaction_removed.json"));
  REQUIRE(removed.reacted);
  CHECK(removed.reacted->message_id == r.reacted->message_id);
  CHECK(removed.reacted->emoji.empty());
  CHECK(removed.text == "[reaction removed]");

  const auto b = from_text(R"({"object":"whatsapp_business_account","entry":[{"changes":[
    {"field":"messages","value":{"metadata":{"phone_number_id":"1"},"messages":[{"from":"1","id":"x","timestamp":"1",
     "type":"reaction","reaction":{"message_id":"m","emoji":""}}]}}]}]})");
  REQUIRE(b.messages.size() == 1);
  CHECK(b.messages[0].reacted->emoji.empty());
  CHECK(b.messages[0].text == "[reaction removed]");
}

TEST_CASE("interactive replies", "[normaliser]") {
  SECTION("button_reply") {
    const auto m = only_message(fixture("messages/interactive_button_reply.json"));
    REQUIRE(m.reply);
    CHECK(m.reply->kind == "button_reply");
    CHECK(m.reply->id == "cancel-button");
    CHECK(m.reply->title == "Cancel");
    CHECK(m.text == "Cancel");
    REQUIRE(m.context);
    CHECK(m.context->message_id == "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3MEM2RUJFNkI0RENGQTVDRjUA");
    CHECK(m.context->from == "15550783881");
  }
  SECTION("list_reply") {
    const auto m = only_message(fixture("messages/interactive_list_reply.json"));
    REQUIRE(m.reply);
    CHECK(m.reply->kind == "list_reply");
    CHECK(m.reply->id == "priority_express");
    CHECK(m.reply->title == "Priority Mail Express");
    CHECK(m.reply->description == "Next Day to 2 Days");
  }
  SECTION("nfm_reply address message") {
    const auto& m =
        only_message(from_fragment("interactive_nfm_reply_address_message_fragment.json"));
    REQUIRE(m.reply);
    CHECK(m.reply->kind == "nfm_reply");
    CHECK(m.reply->id == "address_message");
    CHECK(m.text.rfind("CUSTOMER_NAME", 0) == 0);
    CHECK(json::parse(m.reply->response_json).at("values").at("city") == "Mumbai");
  }
  SECTION("nfm_reply flow: the flow token inside response_json is redacted") {
    const auto m = only_message(from_fragment("interactive_nfm_reply_flow_fragment.txt"));
    REQUIRE(m.reply);
    CHECK(m.reply->id == "flow");
    CHECK(m.text == "Sent");
    const auto response = json::parse(m.reply->response_json);
    CHECK(response.at("flow_token") == "<redacted>");
    CHECK(response.at("optional_param1") == "<value1>");
    CHECK(m.raw_json.find("<FLOW_TOKEN>") == std::string::npos);
    CHECK(m.timestamp_unix == 0);  // Meta's placeholder "<MESSAGE_SEND_TIMESTAMP>"
    CHECK(m.timestamp == "<MESSAGE_SEND_TIMESTAMP>");
  }
}

TEST_CASE("template quick-reply button", "[normaliser]") {
  const auto m = only_message(fixture("messages/button_quick_reply.json"));
  CHECK(m.type == "button");
  REQUIRE(m.reply);
  CHECK(m.reply->kind == "button");
  CHECK(m.reply->id == "Unsubscribe");
  CHECK(m.reply->title == "Unsubscribe");
  CHECK(m.text == "Unsubscribe");
  REQUIRE(m.context);
  CHECK(m.context->message_id == "wamid.HBgLMTQxMjU1NTA4MjkVAgASGBQzQUNCNjk5RDUwNUZGMUZEM0VBRAA=");
}

TEST_CASE("order, system and referral keep their JSON", "[normaliser]") {
  const auto order = only_message(fixture("messages/order.json"));
  CHECK(order.text == "Love these!");
  CHECK(json::parse(order.order_json).at("product_items").as_array().size() == 2);

  const auto sys = only_message(fixture("messages/system_user_changed_number.json"));
  CHECK(sys.type == "system");
  CHECK(sys.text == "User Sheena Nelson changed from 16505551234 to 12195555358");
  CHECK(json::parse(sys.system_json).at("wa_id") == "12195555358");
  CHECK(sys.sender.wa_id == "16505551234");  // no contacts[]: the sender is built from `from`
  CHECK(sys.sender.profile_name.empty());

  const auto ad = only_message(fixture("messages/text_ctwa_referral.json"));
  CHECK(ad.text == "Can I get more info about this?");
  CHECK(json::parse(ad.referral_json).at("source_type") == "ad");

  const auto product = only_message(fixture("messages/text_with_product_context.json"));
  REQUIRE(product.context);
  CHECK(product.context->referred_product_catalog_id == "194836987003835");
  CHECK(product.context->referred_product_retailer_id == "di9ozbzfi4");
  CHECK_FALSE(product.context->forwarded);
}

TEST_CASE("orders without text, systems without body, forwarded context", "[normaliser]") {
  const auto b = from_text(R"({"object":"whatsapp_business_account","entry":[{"changes":[
    {"field":"messages","value":{"metadata":{"phone_number_id":"1"},"messages":[
      {"from":"1","id":"o1","timestamp":"1","type":"order","order":{"product_items":[{}]}},
      {"from":"1","id":"o2","timestamp":"1","type":"order","order":{}},
      {"from":"1","id":"s","timestamp":"1","type":"system","system":{"type":"customer_identity_changed"}},
      {"from":"1","id":"f","timestamp":"1","type":"text","text":{"body":"fw"},
       "context":{"forwarded":true,"frequently_forwarded":true}}]}}]}]})");
  REQUIRE(b.messages.size() == 4);
  CHECK(b.messages[0].text == "[order] 1 item");
  CHECK(b.messages[1].text == "[order] 0 items");
  CHECK(b.messages[2].text == "[system customer_identity_changed]");
  REQUIRE(b.messages[3].context);
  CHECK(b.messages[3].context->forwarded);
  CHECK(b.messages[3].context->frequently_forwarded);
  CHECK(b.messages[3].context->message_id.empty());
}

TEST_CASE("unsupported and unknown types are kept with their errors", "[normaliser]") {
  const auto edit = only_message(fixture("messages/unsupported_edit.json"));
  CHECK(edit.type == "unsupported");
  CHECK(edit.text == "[unsupported edit]");
  REQUIRE(edit.errors.size() == 1);
  CHECK(edit.errors[0].code == 131051);
  CHECK(edit.errors[0].title == "Message type unknown");
  CHECK(edit.errors[0].details == "Message type is currently not supported.");

  const auto plain = only_message(fixture("messages/unsupported_no_subtype_openapi.json"));
  CHECK(plain.text == "[unsupported]");
  CHECK(plain.errors.size() == 1);

  const auto b = from_text(R"({"object":"whatsapp_business_account","entry":[{"changes":[
    {"field":"messages","value":{"metadata":{"phone_number_id":"1"},"messages":[
      {"from":"1","id":"w","timestamp":1750000000,"type":"request_welcome"},
      {"from":"1","id":"h","timestamp":"12x","type":"hologram","hologram":{"beam":1},
       "errors":[{"code":"131051","title":"t"}]},
      {"from":"1","id":"n","timestamp":"-5"},
      {"from":"1","id":"i","timestamp":"1","type":"interactive","interactive":{"type":"call_permission_reply"}}]}}]}]})");
  REQUIRE(b.messages.size() == 4);
  CHECK(b.messages[0].type == "request_welcome");
  CHECK(b.messages[0].text == "[request_welcome]");
  CHECK(b.messages[0].timestamp == "1750000000");
  CHECK(b.messages[0].timestamp_unix == 1750000000);
  CHECK(b.messages[1].type == "hologram");
  CHECK(b.messages[1].timestamp == "12x");
  CHECK(b.messages[1].timestamp_unix == 0);
  CHECK(json::parse(b.messages[1].raw_json).at("hologram").at("beam") == 1);
  REQUIRE(b.messages[1].errors.size() == 1);
  CHECK(b.messages[1].errors[0].code == 131051);
  CHECK(b.messages[2].type.empty());
  CHECK(b.messages[2].text == "[unknown]");
  CHECK(b.messages[2].timestamp_unix == 0);
  CHECK(b.messages[3].reply->kind == "call_permission_reply");
  CHECK(b.messages[3].text == "[interactive call_permission_reply]");
}

TEST_CASE("retyped members are rendered, never thrown on", "[normaliser]") {
  const auto b =
      from_text(R"({"object":"whatsapp_business_account","entry":[{"id":102290129340398,"changes":[
    {"field":"messages","value":{"metadata":{"phone_number_id":18446744073709551615},"messages":[
      {"from":16505551234,"id":"a","timestamp":"1","type":"text","text":{"body":1.5}},
      {"from":"1","id":"b","timestamp":"1","type":"text","text":{"body":true}},
      {"from":"1","id":"c","timestamp":"1","type":"text","text":{"body":{"x":1}}},
      {"from":"1","id":"d","timestamp":"1","type":"location",
       "location":{"latitude":18446744073709551615,"longitude":true,"name":null}}]}}]}]})");
  REQUIRE(b.messages.size() == 4);
  CHECK(b.messages[0].waba_id == "102290129340398");
  CHECK(b.messages[0].phone_number_id == "18446744073709551615");
  CHECK(b.messages[0].from == "16505551234");
  CHECK(b.messages[0].text == "1.5");
  CHECK(b.messages[1].text == "true");
  CHECK(b.messages[2].text.empty());
  REQUIRE(b.messages[3].place);
  CHECK(b.messages[3].place->latitude == Approx(1.8446744073709552e19));
  CHECK(b.messages[3].place->longitude == 0);
  CHECK(b.messages[3].place->name.empty());
}

TEST_CASE("value-level errors", "[normaliser]") {
  const auto b = fixture("messages/value_level_errors_130429.json");
  CHECK(b.messages.empty());
  CHECK(b.statuses.empty());
  REQUIRE(b.value_errors.size() == 1);
  CHECK(b.value_errors[0].code == 130429);
  CHECK(b.value_errors[0].title == "Rate limit hit");
  CHECK(b.value_errors[0].href == "/documentation/business-messaging/whatsapp/support/error-codes");
  CHECK(b.value_errors[0].details.find("too many messages") != std::string::npos);
  CHECK(b.phone_number_ids == std::vector<std::string>{"106540352242922"});
}

TEST_CASE("username users without a phone number stay addressable", "[normaliser]") {
  const auto b = fixture("messages/text_from_username_user_empty_from.json");
  const auto m = only_message(b);
  CHECK(m.from.empty());
  CHECK(m.from_user_id == "user.93737...");
  CHECK(m.sender.wa_id.empty());
  CHECK(m.sender.user_id == "user.93737...");
  CHECK(m.sender.username == "realsheenanelson");  // Meta writes it with and without the @
  CHECK(m.sender.profile_name == "Sheena Nelson");
  REQUIRE(b.contacts.size() == 1);
  CHECK(b.contacts[0].user_id == "user.93737...");

  // from_user_id missing on the message but the matched contact has one: copy it over.
  const auto b2 = from_text(R"({"object":"whatsapp_business_account","entry":[{"changes":[
    {"field":"messages","value":{"metadata":{"phone_number_id":"1"},"contacts":[{"wa_id":"44","user_id":"U1","profile":{"name":"A"}},
                                             {"wa_id":"","user_id":"U2","username":"@b"}],
     "messages":[{"from":"44","id":"a","timestamp":"1","type":"text","text":{"body":"x"}},
                 {"from":"","from_user_id":"U2","id":"b","timestamp":"1","type":"text","text":{"body":"y"}},
                 {"from":"99","id":"c","timestamp":"1","type":"text","text":{"body":"z"}}]}}]}]})");
  REQUIRE(b2.messages.size() == 3);
  CHECK(b2.messages[0].from_user_id == "U1");
  CHECK(b2.messages[0].sender.profile_name == "A");
  CHECK(b2.messages[1].sender.username == "b");
  CHECK(b2.messages[2].sender.wa_id == "99");  // no contact for it: built from `from`
  CHECK(b2.messages[2].sender.profile_name.empty());
}

TEST_CASE("system messages and shared numbers say how the sender's ids changed", "[normaliser]") {
  using what = pons::domain::identity_notice::what;
  const auto changed = fixture("messages/system_user_changed_number.json");
  REQUIRE(changed.messages.size() == 1);
  REQUIRE(changed.messages[0].identity.has_value());
  CHECK(changed.messages[0].identity->change == what::number_changed);
  CHECK(changed.messages[0].identity->wa_id == "12195555358");
  CHECK(changed.messages[0].from == "16505551234");
  // Meta's older payloads name the new number new_wa_id.
  const auto legacy = from_fragment("legacy_system_customer_changed_number_fragment.json");
  REQUIRE(legacy.messages.size() == 1);
  REQUIRE(legacy.messages[0].identity.has_value());
  CHECK(legacy.messages[0].identity->wa_id == "NEW_PHONE_NUMBER");

  const auto bsuid = from_text(R"({"object":"whatsapp_business_account","entry":[{"changes":[
    {"field":"messages","value":{"metadata":{"phone_number_id":"1"},
     "messages":[{"from_user_id":"US.2","id":"s","timestamp":"1","type":"system",
       "system":{"type":"user_changed_user_id","user_id":"US.2","parent_user_id":"US.ENT.2",
                 "previous_user_id":"US.1","body":"changed"}},
       {"from_user_id":"US.2","id":"t","timestamp":"1","type":"contacts",
        "contacts":[{"origin":"contact_request","phones":[{"phone":"+44 7700 900123","wa_id":"447700900123"}]}]},
       {"from_user_id":"US.2","id":"u","timestamp":"1","type":"contacts",
        "contacts":[{"origin":"other","phones":[{"wa_id":"447700900999"}]}]},
       {"from":"44","id":"v","timestamp":"1","type":"system","system":{"type":"customer_identity_changed"}}]}}]}]})");
  REQUIRE(bsuid.messages.size() == 4);
  REQUIRE(bsuid.messages[0].identity.has_value());
  CHECK(bsuid.messages[0].identity->change == what::user_id_changed);
  CHECK(bsuid.messages[0].identity->user_id == "US.2");
  CHECK(bsuid.messages[0].identity->parent_user_id == "US.ENT.2");
  CHECK(bsuid.messages[0].identity->previous_user_id == "US.1");
  REQUIRE(bsuid.messages[1].identity.has_value());
  CHECK(bsuid.messages[1].identity->change == what::phone_shared);
  CHECK(bsuid.messages[1].identity->wa_id == "447700900123");
  CHECK_FALSE(bsuid.messages[2].identity.has_value());  // someone else's card
  CHECK_FALSE(bsuid.messages[3].identity.has_value());
}

TEST_CASE("parent BSUIDs are read from contacts and messages", "[normaliser]") {
  const auto b = from_text(R"({"object":"whatsapp_business_account","entry":[{"changes":[
    {"field":"messages","value":{"metadata":{"phone_number_id":"1"},
     "contacts":[{"profile":{"name":"Sheena Nelson","username":"realsheenanelson"},
       "user_id":"US.13491208655302741918","parent_user_id":"US.ENT.11815799212886844830"}],
     "messages":[{"from_user_id":"US.13491208655302741918",
       "from_parent_user_id":"US.ENT.11815799212886844830","id":"w","timestamp":"1",
       "type":"text","text":{"body":"Does it come in another color?"}}]}}]}]})");
  REQUIRE(b.contacts.size() == 1);
  CHECK(b.contacts[0].parent_user_id == "US.ENT.11815799212886844830");
  CHECK(b.contacts[0].username == "realsheenanelson");
  REQUIRE(b.messages.size() == 1);
  CHECK(b.messages[0].from_parent_user_id == "US.ENT.11815799212886844830");
  CHECK(b.messages[0].sender.parent_user_id == "US.ENT.11815799212886844830");
}

TEST_CASE("statuses with pricing, conversation and errors", "[normaliser]") {
  SECTION("sent, PMP marketing with conversation") {
    const auto s = only_status(fixture("statuses/sent_marketing_pmp.json"));
    CHECK(s.status == "sent");
    CHECK(s.wamid == "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=");
    CHECK(s.recipient_id == "16505551234");
    CHECK(s.timestamp_unix == 1750030073);
    CHECK(s.phone_number_id == "106540352242922");
    CHECK(s.waba_id == "102290129340398");
    REQUIRE(s.pricing);
    CHECK(s.pricing->conversation_id == "72b14d6bd5407799e66f64d1b338e567");
    CHECK(s.pricing->conversation_origin == "marketing");
    CHECK(s.pricing->conversation_expiration == "1750116480");
    CHECK(s.pricing->billable);
    CHECK(s.pricing->pricing_model == "PMP");
    CHECK(s.pricing->pricing_category == "marketing");
    CHECK(s.pricing->pricing_type == "regular");
    CHECK(s.errors.empty());
  }
  SECTION("v24 without conversation or pricing") {
    const auto s = only_status(fixture("statuses/sent_v24_no_conversation_no_pricing.json"));
    CHECK(s.status == "sent");
    CHECK_FALSE(s.pricing);
  }
  SECTION("delivered, CBP service, conversation without expiration") {
    const auto s = only_status(fixture("statuses/delivered_cbp_service.json"));
    CHECK(s.status == "delivered");
    REQUIRE(s.pricing);
    CHECK(s.pricing->conversation_origin == "service");
    CHECK(s.pricing->conversation_expiration.empty());
    CHECK(s.pricing->pricing_model == "CBP");
    CHECK(s.pricing->pricing_type.empty());
  }
  SECTION("failed with errors") {
    const auto s = only_status(fixture("statuses/failed_131049.json"));
    CHECK(s.status == "failed");
    CHECK_FALSE(s.pricing);
    REQUIRE(s.errors.size() == 1);
    CHECK(s.errors[0].code == 131049);
    CHECK(s.errors[0].details.find("healthy ecosystem") != std::string::npos);
    CHECK_FALSE(s.errors[0].href.empty());
  }
  SECTION("to a username user: empty recipient_id, recipient_user_id set") {
    const auto b = fixture("statuses/delivered_sent_to_bsuid_empty_wa_id.json");
    const auto s = only_status(b);
    CHECK(s.recipient_id.empty());
    CHECK(s.recipient_user_id.rfind("user.9373795779eb", 0) == 0);
    REQUIRE(b.contacts.size() == 1);
    CHECK(b.contacts[0].user_id == s.recipient_user_id);
    CHECK(b.contacts[0].username == "pablomorales");
    CHECK(b.contacts[0].wa_id.empty());
  }
  SECTION("to a username user reached by phone") {
    const auto b = fixture("statuses/delivered_username_user_sent_to_phone.json");
    const auto s = only_status(b);
    CHECK(s.recipient_id == "16505551234");
    CHECK(s.recipient_user_id.empty());
    REQUIRE(b.contacts.size() == 1);
    CHECK(b.contacts[0].wa_id == "16505551234");
    CHECK_FALSE(b.contacts[0].user_id.empty());
  }
}

TEST_CASE("read, played and callback data", "[normaliser]") {
  const auto b = from_text(R"({"object":"whatsapp_business_account","entry":[{"id":"W","changes":[
    {"field":"messages","value":{"metadata":{"phone_number_id":"1001"},"statuses":[
      {"id":"m1","status":"read","timestamp":"10","recipient_id":"1","biz_opaque_callback_data":"cb"},
      {"id":"m2","status":"played","timestamp":"11","recipient_id":"1","pricing":{"billable":false}}]}}]}]})");
  REQUIRE(b.statuses.size() == 2);
  CHECK(b.statuses[0].status == "read");
  CHECK(b.statuses[0].biz_opaque_callback_data == "cb");
  CHECK_FALSE(b.statuses[0].pricing);
  CHECK(b.statuses[1].status == "played");
  REQUIRE(b.statuses[1].pricing);
  CHECK_FALSE(b.statuses[1].pricing->billable);
}

TEST_CASE("other fields become account events", "[normaliser]") {
  struct expected {
    const char* file;
    const char* field;
    const char* event;
    const char* subject;
  };
  const expected cases[] = {
      {"account_alerts_1.json", "account_alerts", "INCREASED_CAPABILITIES_ELIGIBILITY_DEFERRED",
       "506914307656634"},
      {"account_review_update_1.json", "account_review_update", "APPROVED", ""},
      {"account_update_ACCOUNT_DELETED.json", "account_update", "ACCOUNT_DELETED", ""},
      {"account_update_ACCOUNT_VIOLATION.json", "account_update", "ACCOUNT_VIOLATION", ""},
      {"account_update_AD_ACCOUNT_LINKED.json", "account_update", "AD_ACCOUNT_LINKED",
       "980198427658004"},
      {"account_update_PARTNER_APP_INSTALLED.json", "account_update", "PARTNER_APP_INSTALLED",
       "1191624265890717"},
      {"account_update_PARTNER_APP_UNINSTALLED.json", "account_update", "PARTNER_APP_UNINSTALLED",
       "184943124712545"},
      {"account_update_PARTNER_CLIENT_CERTIFICATION_STATUS_UPDATE.json", "account_update",
       "PARTNER_CLIENT_CERTIFICATION_STATUS_UPDATE", "2729063490586005"},
      {"business_capability_update_1.json", "business_capability_update",
       "business_capability_update", ""},
      {"group_lifecycle_create_openapi.json", "group_lifecycle_update", "group_create",
       "Y2FwaV9ncm91cDoxODA1NTU1MDE3MjoxMjAzNjMyMjI3NzE5NjMwNjcZD"},
      {"group_participants_remove_openapi.json", "group_participants_update", "group_create",
       "Y2FwaV9ncm91cDoxODA1NTU1MDE3MjoxMjAzNjMyMjI3NzE5NjMwNjcZD"},
      {"message_template_components_update_1.json", "message_template_components_update",
       "message_template_components_update", "order_confirmation"},
      {"message_template_quality_update_1.json", "message_template_status_update", "YELLOW",
       "welcome_template"},
      {"message_template_status_update_approved.json", "message_template_status_update", "APPROVED",
       "order_confirmation"},
      {"message_template_status_update_rejected.json", "message_template_status_update", "REJECTED",
       "abandoned_cart"},
      {"partner_solutions_1.json", "partner_solutions", "SOLUTION_CREATED", "774485461512159"},
      {"payment_configuration_update_1.json", "payment_configuration_update", "Needs Testing",
       "razorpay-prod"},
      {"phone_number_name_update_1.json", "phone_number_name_update", "APPROVED", "15550783881"},
      {"phone_number_quality_update_1.json", "phone_number_quality_update", "THROUGHPUT_UPGRADE",
       "15550783881"},
      {"security_1.json", "security", "PIN_RESET_REQUEST", "15550783881"},
      {"template_category_update_1.json", "template_category_update", "UTILITY",
       "welcome_template"},
      {"template_category_update_2.json", "template_category_update", "MARKETING",
       "welcome_template"},
      {"user_preferences_1.json", "user_preferences", "resume", "16505551234"},
  };
  for (const auto& c : cases) {
    INFO(c.file);
    const auto b = fixture(std::string("other_fields/") + c.file);
    CHECK(b.messages.empty());
    CHECK(b.statuses.empty());
    REQUIRE(b.events.size() == 1);
    const auto& ev = b.events[0];
    CHECK(ev.field == c.field);
    CHECK(ev.event == c.event);
    CHECK(ev.subject == c.subject);
    CHECK_FALSE(ev.waba_id.empty());
    // value_json is the change's value, byte-compatible JSON.
    const auto original = json::parse(read_file(fixtures / "other_fields" / c.file));
    CHECK(json::parse(ev.value_json) == original.at("entry").at(0).at("changes").at(0).at("value"));
  }
  const auto prefs = fixture("other_fields/user_preferences_1.json");
  CHECK(prefs.events[0].phone_number_id == "106540352242922");
  REQUIRE(prefs.contacts.size() == 1);
  CHECK(prefs.contacts[0].wa_id == "16505551234");
  const auto group = fixture("other_fields/group_lifecycle_create_openapi.json");
  CHECK(group.phone_number_ids == std::vector<std::string>{"106540352242922"});
}

TEST_CASE("only a payload without an object is an error", "[normaliser]") {
  for (const char* text : {R"([])", R"("x")", R"(42)", R"({})", R"({"object":7,"entry":[]})",
                           R"({"entry":[{"id":"1","changes":[]}]})"}) {
    INFO(text);
    auto r = normalise_webhook(json::parse(text));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == webhook_errc::invalid_payload);
  }
  // Meta's own PARTNER_ADDED example has no `object` anywhere: refused, the caller decides.
  auto partner = pons::meta::read_json(
      read_file(fixtures / "other_fields" / "account_update_PARTNER_ADDED.json"));
  REQUIRE(partner.has_value());
  CHECK(normalise_webhook(*partner).error() == webhook_errc::invalid_payload);
  // `object` on the first entry (as in Meta's PARTNER_APP_INSTALLED example) is accepted.
  const auto installed = fixture("other_fields/account_update_PARTNER_APP_INSTALLED.json");
  CHECK(installed.object == "whatsapp_business_account");
  CHECK(installed.events.size() == 1);
  const auto uninstalled = fixture("other_fields/account_update_PARTNER_APP_UNINSTALLED.json");
  CHECK(uninstalled.object == "whatsapp_business_account");
  CHECK(uninstalled.events.size() == 1);

  boost::system::error_code ec = webhook_errc::invalid_payload;
  CHECK(ec.category().name() == std::string("pons.webhook"));
  CHECK(ec.message().find("object") != std::string::npos);
  CHECK(pons::meta::webhook_category().message(0) == "unknown webhook error");
}

TEST_CASE("other objects and odd shapes are kept, never rejected", "[normaliser]") {
  const auto page = from_text(R"({"object":"page","entry":[{"id":"1","changes":[
    {"field":"messages","value":{"messages":[{"id":"x","type":"text"}]}}]}]})");
  CHECK(page.object == "page");
  CHECK(page.messages.empty());
  CHECK(page.events.empty());

  const auto no_entries = from_text(R"({"object":"whatsapp_business_account","entry":{}})");
  CHECK(no_entries.messages.empty());
  CHECK(no_entries.events.empty());

  const auto odd = from_text(R"({"object":"whatsapp_business_account","entry":[
    {"id":"W1","time":1,"messaging":[{"a":1}]},
    "not an entry",
    {"id":"W2","changes":[{"field":"messages","value":"oops"},
                          {"field":"messages"},
                          {"value":{"x":1}},
                          "junk",
                          {"field":"messages","value":{"messages":["junk",{"id":"ok","type":"text","text":{"body":"b"}}],
                                                       "statuses":[1],"contacts":[null]}}]}]})");
  REQUIRE(odd.events.size() == 4);
  CHECK(odd.events[0].event == "entry_without_changes");
  CHECK(odd.events[0].waba_id == "W1");
  CHECK(json::parse(odd.events[0].value_json).at("messaging").at(0).at("a") == 1);
  CHECK(odd.events[1].event == "entry_without_changes");
  CHECK(odd.events[1].value_json == R"("not an entry")");
  CHECK(odd.events[2].field.empty());
  CHECK(odd.events[2].event == "unknown");
  CHECK(odd.events[3].event == "unknown");
  // A messages change without a number to store it under becomes no record, only a note.
  CHECK(odd.messages.empty());
  CHECK(odd.statuses.empty());
  CHECK(odd.skipped ==
        std::vector<std::string>{
            "entry[2].changes[0]: metadata.phone_number_id is missing or not a digit string; "
            "change skipped",
            "entry[2].changes[1]: metadata.phone_number_id is missing or not a digit string; "
            "change skipped",
            "entry[2].changes[4]: metadata.phone_number_id is missing or not a digit string; "
            "change skipped"});
  CHECK(odd.waba_ids == std::vector<std::string>{"W1", "W2"});

  // The same shapes under a number: items that are no objects are described, the rest kept.
  const auto numbered = from_text(R"({"object":"whatsapp_business_account","entry":[
    {"id":"W2","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"1001"},
      "messages":["junk",{"id":"ok","type":"text","text":{"body":"b"}}],"statuses":[1],
      "contacts":[null]}},
      {"field":"messages","value":{"metadata":{"phone_number_id":"1001"},"messages":{}}}]}]})");
  REQUIRE(numbered.messages.size() == 1);
  CHECK(numbered.messages[0].wamid == "ok");
  CHECK(numbered.statuses.empty());
  CHECK(numbered.skipped ==
        std::vector<std::string>{"entry[0].changes[0].messages[0]: not an object; skipped",
                                 "entry[0].changes[0].statuses[0]: not an object; skipped",
                                 "entry[0].changes[1]: messages is not an array; ignored"});
  CHECK(pons::meta::skip_notes(numbered) ==
        "entry[0].changes[0].messages[0]: not an object; skipped; "
        "entry[0].changes[0].statuses[0]: not an object; skipped; "
        "entry[0].changes[1]: messages is not an array; ignored");
}

TEST_CASE("escaped text is decoded, raw bytes are the signature's business", "[normaliser]") {
  const auto b = from_text(
      R"({"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages",)"
      R"("value":{"metadata":{"phone_number_id":"1001"},"messages":[{"from":"1","id":"e",)"
      R"("timestamp":"1","type":"text",)"
      R"("text":{"body":"Jos\u00e9 https:\/\/x.test \ud83d\udc4d"}}]}}]}]})");
  REQUIRE(b.messages.size() == 1);
  CHECK(b.messages[0].text == "Jos\xc3\xa9 https://x.test \xf0\x9f\x91\x8d");
}

TEST_CASE("secrets are redacted in raw_json and value_json", "[normaliser]") {
  const auto b = from_text(R"({"object":"whatsapp_business_account","entry":[{"id":"W","changes":[
    {"field":"messages","value":{"metadata":{"phone_number_id":"1001"},
      "messages":[{"from":"1","id":"m","timestamp":"1","type":"text","text":{"body":"hi"},
                   "access_token":"EAAG-LEAK-1","extra":[{"app_secret":"LEAK-2"}]}],
      "statuses":[{"id":"s","status":"sent","timestamp":"1","recipient_id":"1",
                   "Signature":"LEAK-3"}]}},
    {"field":"account_update","value":{"event":"X","access_token":"LEAK-4",
      "nested":{"client_secret":"LEAK-5","password":"LEAK-6"}}}]}]})");
  REQUIRE(b.messages.size() == 1);
  REQUIRE(b.statuses.size() == 1);
  REQUIRE(b.events.size() == 1);
  const auto raw = json::parse(b.messages[0].raw_json);
  CHECK(raw.at("access_token") == "<redacted>");
  CHECK(raw.at("extra").at(0).at("app_secret") == "<redacted>");
  CHECK(raw.at("text").at("body") == "hi");
  CHECK(json::parse(b.statuses[0].raw_json).at("Signature") == "<redacted>");
  const auto value = json::parse(b.events[0].value_json);
  CHECK(value.at("access_token") == "<redacted>");
  CHECK(value.at("nested").at("client_secret") == "<redacted>");
  CHECK(value.at("nested").at("password") == "<redacted>");
  const std::string all = b.messages[0].raw_json + b.statuses[0].raw_json + b.events[0].value_json;
  CHECK(all.find("LEAK") == std::string::npos);
}

namespace {

// Builds a payload with `entries` entries x 2 changes, alternating two numbers; each messages
// change carries `per_change` messages and as many statuses.
std::string synthesised_payload(int entries, int per_change) {
  std::string out = R"({"object":"whatsapp_business_account","entry":[)";
  int serial = 0;
  for (int e = 0; e < entries; ++e) {
    if (e) out += ',';
    out += fmt::format(R"({{"id":"WABA{}","changes":[)", e % 2);
    for (int c = 0; c < 2; ++c) {
      if (c) out += ',';
      const std::string number = (e + c) % 2 ? "2002" : "1001";
      out += fmt::format(
          R"({{"field":"messages","value":{{"messaging_product":"whatsapp","metadata":{{"phone_number_id":"{}","display_phone_number":"1555{}"}},"contacts":[{{"wa_id":"4477009001{:02}","profile":{{"name":"User {}"}}}}],"messages":[)",
          number, number == "1001" ? "0001" : "0002", e % 100, e);
      for (int i = 0; i < per_change; ++i) {
        if (i) out += ',';
        out += fmt::format(
            R"({{"from":"4477009001{:02}","id":"wamid.in.{}","timestamp":"{}","type":"text","text":{{"body":"hello {}"}}}})",
            e % 100, serial, 1750000000 + serial, serial);
        ++serial;
      }
      out += R"(],"statuses":[)";
      for (int i = 0; i < per_change; ++i) {
        if (i) out += ',';
        out += fmt::format(
            R"({{"id":"wamid.out.{}","status":"{}","timestamp":"{}","recipient_id":"1"}})", serial,
            i % 3 == 0   ? "sent"
            : i % 3 == 1 ? "delivered"
                         : "read",
            1750000000 + serial);
        ++serial;
      }
      out += "]}}";
    }
    out +=
        R"(,{"field":"message_template_status_update","value":{"event":"APPROVED","message_template_name":"t"}}]})";
  }
  out += "]}";
  return out;
}

}  // namespace

TEST_CASE("a synthesised batch: many entries x changes, two numbers, mixed", "[normaliser]") {
  const auto b = from_text(synthesised_payload(5, 3));
  CHECK(b.messages.size() == 5 * 2 * 3);
  CHECK(b.statuses.size() == 5 * 2 * 3);
  CHECK(b.events.size() == 5);
  CHECK(b.contacts.size() == 5 * 2);
  CHECK(b.phone_number_ids == std::vector<std::string>{"1001", "2002"});
  // Payload order is kept and each record carries the number and account of its own change.
  for (std::size_t i = 1; i < b.messages.size(); ++i)
    CHECK(b.messages[i - 1].timestamp_unix < b.messages[i].timestamp_unix);
  CHECK(b.messages[0].phone_number_id == "1001");
  CHECK(b.messages[0].display_phone_number == "15550001");
  CHECK(b.messages[3].phone_number_id == "2002");
  CHECK(b.messages[3].display_phone_number == "15550002");
  CHECK(b.messages[6].waba_id == "WABA1");
  CHECK(b.messages[6].phone_number_id == "2002");
  CHECK(b.messages[6].sender.profile_name == "User 1");
  CHECK(b.statuses[0].status == "sent");
  CHECK(b.statuses[1].status == "delivered");
  CHECK(b.statuses[2].status == "read");
  CHECK(b.events[4].subject == "t");
}

TEST_CASE("1000 statuses in one payload", "[normaliser]") {
  std::string body =
      R"({"object":"whatsapp_business_account","entry":[{"id":"W","changes":[)"
      R"({"field":"messages","value":{"metadata":{"phone_number_id":"1001"},"statuses":[)";
  for (int i = 0; i < 1000; ++i) {
    if (i) body += ',';
    body += fmt::format(
        R"({{"id":"wamid.{}","status":"delivered","timestamp":"{}","recipient_id":"44{}",)"
        R"("pricing":{{"billable":true,"pricing_model":"PMP","category":"utility"}}}})",
        i, 1750000000 + i, i);
  }
  body += "]}}]}]}";
  const auto b = from_text(body);
  REQUIRE(b.statuses.size() == 1000);
  for (int i = 0; i < 1000; ++i) {
    const auto& s = b.statuses[static_cast<std::size_t>(i)];
    if (s.wamid != fmt::format("wamid.{}", i) || s.timestamp_unix != 1750000000 + i || !s.pricing ||
        s.pricing->pricing_category != "utility")
      FAIL("status " << i << " wrong");
  }
  CHECK(b.statuses.back().recipient_id == "44999");
}

TEST_CASE("phone number ids are digit strings: integral JSON numbers count, nothing else does",
          "[normaliser]") {
  auto change = [](const std::string& metadata, const std::string& wamid) {
    return R"({"field":"messages","value":{)" + metadata +
           R"("contacts":[{"wa_id":"1","profile":{"name":"n"}}],"messages":[{"from":"1","id":")" +
           wamid + R"(","timestamp":"1","type":"text","text":{"body":"b"}}]}})";
  };
  std::string changes;
  const std::vector<std::string> metadata = {
      R"("metadata":{"phone_number_id":1001},)",         // integral number: its digits
      R"("metadata":{"phone_number_id":"2002"},)",       // the usual string
      R"("metadata":{"phone_number_id":2002.0},)",       // a double, even an integral one
      R"("metadata":{"phone_number_id":1e20},)",         // a double beyond int64
      R"("metadata":{"phone_number_id":1.5},)",          // not integral
      R"("metadata":{"phone_number_id":-5},)",           // negative
      R"("metadata":{"phone_number_id":"12a"},)",        // not digits
      R"("metadata":{"phone_number_id":" 1001"},)",      // not only digits
      R"("metadata":{"phone_number_id":""},)",           // empty
      R"("metadata":{"phone_number_id":null},)",         // null
      R"("metadata":{"phone_number_id":["1001"]},)",     // an array
      R"("metadata":{"display_phone_number":"1555"},)",  // missing
      R"("metadata":"x",)",                              // metadata that is no object
      "",                                                // no metadata at all
  };
  for (std::size_t i = 0; i < metadata.size(); ++i)
    changes += (i ? "," : "") + change(metadata[i], "wamid.c" + std::to_string(i));
  const auto b = from_text(R"({"object":"whatsapp_business_account","entry":[{"id":"111",)"
                           R"("changes":[)" +
                           changes + "]}]}");
  REQUIRE(b.messages.size() == 2);
  CHECK(b.messages[0].phone_number_id == "1001");
  CHECK(b.messages[0].wamid == "wamid.c0");
  CHECK(b.messages[1].phone_number_id == "2002");
  CHECK(b.phone_number_ids == std::vector<std::string>{"1001", "2002"});
  CHECK(b.contacts.size() == 2);
  CHECK(b.contact_phone_number_ids == std::vector<std::string>{"1001", "2002"});
  CHECK(b.events.empty());
  CHECK(b.skipped_total == metadata.size() - 2);
  REQUIRE(b.skipped.size() == metadata.size() - 2);
  CHECK(b.skipped[0] ==
        "entry[0].changes[2]: metadata.phone_number_id is missing or not a digit string; change "
        "skipped");

  // Other fields need a number only when they carry metadata: then it must be an id too.
  const auto events = from_text(
      R"({"object":"whatsapp_business_account","entry":[{"id":"111","changes":[)"
      R"({"field":"phone_number_quality_update","value":{"metadata":{"phone_number_id":1.5}}},)"
      R"({"field":"message_template_status_update","value":{"event":"APPROVED"}}]}]})");
  REQUIRE(events.events.size() == 1);
  CHECK(events.events[0].field == "message_template_status_update");
  CHECK(events.events[0].phone_number_id.empty());
  CHECK(events.skipped_total == 1);

  // Entry ids: strings and integers are kept as text, anything else drops the entry.
  const auto entries = from_text(R"({"object":"whatsapp_business_account","entry":[)"
                                 R"({"id":222,"changes":[{"field":"x","value":{}}]},)"
                                 R"({"id":222.0,"changes":[{"field":"y","value":{}}]},)"
                                 R"({"id":-1,"changes":[{"field":"z","value":{}}]}]})");
  REQUIRE(entries.events.size() == 1);
  CHECK(entries.events[0].waba_id == "222");
  CHECK(entries.waba_ids == std::vector<std::string>{"222"});
  CHECK(entries.skipped ==
        std::vector<std::string>{"entry[1]: id is not a string or an integer; entry skipped",
                                 "entry[2]: id is not a string or an integer; entry skipped"});
}

TEST_CASE("messages and statuses without a usable id are not records", "[normaliser]") {
  const auto b = from_text(R"({"object":"whatsapp_business_account","entry":[{"id":"111",)"
                           R"("changes":[{"field":"messages","value":{)"
                           R"("metadata":{"phone_number_id":"1001"},"messages":[)"
                           R"({"from":"1","id":null,"type":"text","text":{"body":"a"}},)"
                           R"({"from":"1","id":["x"],"type":"text","text":{"body":"b"}},)"
                           R"({"from":"1","id":5,"type":"text","text":{"body":"c"}},)"
                           R"({"from":"1","id":"","type":"text","text":{"body":"d"}},)"
                           R"({"from":"1","type":"text","text":{"body":"e"}},)"
                           R"({"from":"1","id":"wamid.ok","type":"text","text":{"body":"f"}}],)"
                           R"("statuses":[{"id":null,"status":"read","recipient_id":"1"},)"
                           R"({"id":7,"status":"read","recipient_id":"1"},)"
                           R"({"id":"wamid.s","recipient_id":"1"},)"
                           R"({"id":"wamid.s","status":["read"],"recipient_id":"1"},)"
                           R"({"id":"wamid.s","status":"read","recipient_id":"1"}]}}]}]})");
  REQUIRE(b.messages.size() == 1);
  CHECK(b.messages[0].wamid == "wamid.ok");
  REQUIRE(b.statuses.size() == 1);
  CHECK(b.statuses[0].wamid == "wamid.s");
  CHECK(b.statuses[0].status == "read");
  CHECK(b.skipped_total == 9);
  CHECK(b.skipped[0] ==
        "entry[0].changes[0].messages[0]: id is missing or not a non-empty string; message "
        "skipped");
  CHECK(b.skipped[5] ==
        "entry[0].changes[0].statuses[0]: id or status is missing or not a non-empty string; "
        "status skipped");

  // However many parts are bad, the notes stay short and the count is exact.
  std::string many = R"({"object":"whatsapp_business_account","entry":[{"id":"1","changes":[)"
                     R"({"field":"messages","value":{"metadata":{"phone_number_id":"1"},)"
                     R"("messages":[)";
  for (int i = 0; i < 1000; ++i) many += i ? ",{}" : "{}";
  const auto lots = from_text(many + "]}}]}]}");
  CHECK(lots.skipped_total == 1000);
  CHECK(lots.skipped.size() == pons::domain::max_skip_notes);
  const auto notes = pons::meta::skip_notes(lots);
  CHECK(notes.size() < 2000);
  CHECK(notes.find("and 984 more parts skipped") != std::string::npos);
}
