// Each message type's request body equals Meta's documented example (tests/fixtures/meta/
// send_requests), and Meta's documented limits are enforced before sending.

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "pons/meta/message_builders.hpp"

namespace json = boost::json;
using namespace pons::meta;

namespace {

json::value fixture(const std::string& name) {
  std::ifstream in(std::string(PONS_FIXTURES_DIR) + "/meta/send_requests/" + name);
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

json::object build(const outgoing_message& m) {
  auto body = build_message(m);
  INFO((body ? std::string("ok") : body.error().message()));
  REQUIRE(body.has_value());
  return *body;
}

// Meta's OpenAPI examples omit recipient_type (it defaults to "individual").
json::object without_recipient_type(json::object o) {
  o.erase("recipient_type");
  return o;
}

outgoing_message to_pablo(message_content content) {
  return outgoing_message{recipient{"+16505551234", ""}, std::move(content), ""};
}

build_errc error_of(const outgoing_message& m) {
  auto body = build_message(m);
  REQUIRE_FALSE(body.has_value());
  REQUIRE(body.error().category() == build_category());
  return static_cast<build_errc>(body.error().value());
}

}  // namespace

TEST_CASE("text messages match Meta's examples", "[graph][builders]") {
  auto preview = to_pablo(text_message{
      "As requested, here's the link to our latest product: https://www.meta.com/quest/quest-3/",
      true});
  CHECK(json::value(build(preview)) == fixture("text_preview_url.json"));

  auto reply = to_pablo(text_message{"You're welcome, Pablo!", false});
  reply.reply_to = "wamid.HBgLMTY0NjcwNDM1OTUVAgASGBQzQTdCNTg5RjY1MEMyRjlGMjRGNgA=";
  CHECK(json::value(build(reply)) == fixture("text_contextual_reply.json"));
}

TEST_CASE("media messages by id or link match Meta's examples", "[graph][builders]") {
  CHECK(json::value(build(to_pablo(media_message{media_kind::image, "1479537139650973", "",
                                                 "The best succulent ever?", "", false}))) ==
        fixture("image_by_id.json"));
  CHECK(json::value(build(to_pablo(media_message{media_kind::video, "1166846181421424", "",
                                                 "A succulent eclipse!", "", false}))) ==
        fixture("video_by_id.json"));
  CHECK(json::value(build(to_pablo(media_message{
            media_kind::document, "1376223850470843", "", "Your order confirmation (PDF)",
            "order_abc123.pdf", false}))) == fixture("document_by_id.json"));
  CHECK(json::value(build(to_pablo(media_message{media_kind::audio, "1013859600285441", "", "", "",
                                                 true}))) == fixture("audio_voice_by_id.json"));
  CHECK(json::value(build(to_pablo(media_message{media_kind::sticker, "798882015472548", "", "", "",
                                                 false}))) == fixture("sticker_by_id.json"));

  outgoing_message by_link{recipient{"{{Recipient-Phone-Number}}", ""},
                           media_message{media_kind::document, "", "<http(s)://document-url>",
                                         "<DOCUMENT-CAPTION-TEXT>", "", false},
                           ""};
  CHECK(json::value(build(by_link)) == fixture("document_by_link_openapi.json"));
}

TEST_CASE("location, reaction and contacts match Meta's examples", "[graph][builders]") {
  CHECK(json::value(build(to_pablo(
            location_message{37.44216251868683, -122.16153582049394, "Philz Coffee",
                             "101 Forest Ave, Palo Alto, CA 94301"}))) == fixture("location.json"));
  CHECK(json::value(build(to_pablo(
            reaction_message{"wamid.HBgLMTY0NjcwNDM1OTUVAgASGBQzQUZCMTY0MDc2MUYwNzBDNTY5MAA=",
                             "\xF0\x9F\x98\x80"}))) == fixture("reaction.json"));

  auto expected = fixture("contacts_openapi.json");
  outgoing_message contacts{recipient{"{{Recipient-Phone-Number}}", ""},
                            contacts_message{expected.at("contacts").as_array()}, ""};
  CHECK(json::value(without_recipient_type(build(contacts))) == expected);
}

TEST_CASE("an empty reaction emoji is sent as-is (it removes the reaction)", "[graph][builders]") {
  auto body = build(to_pablo(reaction_message{"wamid.X", ""}));
  CHECK(body.at("reaction").at("emoji") == "");
  CHECK(body.at("type") == "reaction");
}

TEST_CASE("interactive messages match Meta's examples", "[graph][builders]") {
  buttons_message buttons;
  buttons.header.type = "image";
  buttons.header.media_id = "2762702990552401";
  buttons.body =
      "Hi Pablo! Your gardening workshop is scheduled for 9am tomorrow. Use the buttons if you "
      "need to reschedule. Thank you!";
  buttons.footer = "Lucky Shrub: Your gateway to succulents!\xE2\x84\xA2";
  buttons.buttons = {{"change-button", "Change"}, {"cancel-button", "Cancel"}};
  CHECK(json::value(build(to_pablo(buttons))) == fixture("interactive_reply_buttons.json"));

  list_message list;
  list.header_text = "Choose Shipping Option";
  list.body = "Which shipping option do you prefer?";
  list.footer = "Lucky Shrub: Your gateway to succulents\xE2\x84\xA2";
  list.button = "Shipping Options";
  list.sections = {{"I want it ASAP!",
                    {{"priority_express", "Priority Mail Express", "Next Day to 2 Days"},
                     {"priority_mail", "Priority Mail",
                      "1\xE2\x80\x93"
                      "3 Days"}}},
                   {"I can wait a bit",
                    {{"usps_ground_advantage", "USPS Ground Advantage",
                      "2\xE2\x80\x93"
                      "5 Days"},
                     {"media_mail", "Media Mail",
                      "2\xE2\x80\x93"
                      "8 Days"}}}};
  CHECK(json::value(build(to_pablo(list))) == fixture("interactive_list.json"));

  cta_url_message cta;
  cta.header.type = "image";
  cta.header.media_link = "https://www.luckyshrub.com/assets/lucky-shrub-banner-logo-v1.png";
  cta.body = "Tap the button below to see available dates.";
  cta.footer = "Dates subject to change.";
  cta.display_text = "See Dates";
  cta.url = "https://www.luckyshrub.com?clickID=kqDGWd24Q5TRwoEQTICY7W1JKoXvaZOXWAS7h1P76s0R7Paec4";
  CHECK(json::value(build(to_pablo(cta))) == fixture("interactive_cta_url.json"));
}

TEST_CASE("template messages match Meta's examples", "[graph][builders]") {
  template_message named{"order_confirmation",
                         "en_US",
                         {{"body",
                           "",
                           -1,
                           {{"text", "first_name", "Jessica", nullptr},
                            {"text", "order_number", "SKBUP2-4CPIG9", nullptr}}}}};
  CHECK(json::value(build(to_pablo(named))) == fixture("template_named_params.json"));

  template_message positional{
      "order_confirmation",
      "en_US",
      {{"body",
        "",
        -1,
        {{"text", "", "Jessica", nullptr}, {"text", "", "SKBUP2-4CPIG9", nullptr}}}}};
  CHECK(json::value(build(to_pablo(positional))) == fixture("template_positional_params.json"));

  outgoing_message hello{recipient{"{{Recipient-Phone-Number}}", ""},
                         template_message{"hello_world", "en_US", {}}, ""};
  CHECK(json::value(without_recipient_type(build(hello))) ==
        fixture("template_hello_world_openapi.json"));

  auto expected = fixture("template_header_image_currency_datetime_quick_replies_openapi.json");
  const auto& comps = expected.at("template").at("components").as_array();
  template_message rich{"template-name", "language-and-locale-code", {}};
  rich.components.push_back(
      {"header", "", -1, {{"image", "", "", comps[0].at("parameters").at(0).at("image")}}});
  rich.components.push_back(
      {"body",
       "",
       -1,
       {{"text", "", "text-string", nullptr},
        {"currency", "", "", comps[1].at("parameters").at(1).at("currency")},
        {"date_time", "", "", comps[1].at("parameters").at(2).at("date_time")}}});
  rich.components.push_back(
      {"button", "quick_reply", 0, {{"payload", "", "aGlzIHRoaXMgaXMgY29v", nullptr}}});
  rich.components.push_back(
      {"button", "quick_reply", 1, {{"payload", "", "9rwnB8RbYmPF5t2Mn09x4h", nullptr}}});
  outgoing_message rich_message{recipient{"{{Recipient-Phone-Number}}", ""}, rich, ""};
  CHECK(json::value(build(rich_message)) == expected);
}

TEST_CASE("mark read and typing indicator match Meta's examples", "[graph][builders]") {
  const auto* wamid = "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDQjZCMzlEQUE4OTJBMTE4RTUA";
  CHECK(json::value(build_mark_read(wamid, false)) == fixture("mark_as_read.json"));
  CHECK(json::value(build_mark_read(wamid, true)) == fixture("typing_indicator_and_read.json"));
}

TEST_CASE("a business-scoped user id is sent as `recipient`, never with `to`",
          "[graph][builders]") {
  outgoing_message m{recipient{"", "US.13491208655302741918"}, text_message{"hi", false}, ""};
  auto body = build(m);
  CHECK(body.at("recipient") == "US.13491208655302741918");
  CHECK_FALSE(body.contains("to"));
  outgoing_message none{recipient{}, text_message{"hi", false}, ""};
  CHECK(error_of(none) == build_errc::missing_recipient);
}

TEST_CASE("Meta's text and media limits are enforced", "[graph][builders]") {
  CHECK(error_of(to_pablo(text_message{"", false})) == build_errc::empty_text);
  CHECK(error_of(to_pablo(text_message{std::string(4097, 'a'), false})) ==
        build_errc::text_too_long);
  CHECK(build_message(to_pablo(text_message{std::string(4096, 'a'), false})).has_value());
  // Characters, not bytes: 4096 emoji (16384 bytes) are within the limit.
  std::string emoji;
  for (int i = 0; i < 4096; ++i) emoji += "\xF0\x9F\x98\x80";
  CHECK(build_message(to_pablo(text_message{emoji, false})).has_value());

  CHECK(error_of(to_pablo(media_message{media_kind::image, "1", "https://x/y.jpg", "", "",
                                        false})) == build_errc::media_source);
  CHECK(error_of(to_pablo(media_message{media_kind::image, "", "", "", "", false})) ==
        build_errc::media_source);
  CHECK(error_of(to_pablo(media_message{media_kind::audio, "1", "", "caption", "", false})) ==
        build_errc::caption_not_allowed);
  CHECK(error_of(to_pablo(media_message{media_kind::image, "1", "", "", "a.pdf", false})) ==
        build_errc::filename_not_allowed);
  CHECK(error_of(to_pablo(media_message{media_kind::image, "1", "", std::string(1025, 'c'), "",
                                        false})) == build_errc::caption_too_long);
  CHECK(error_of(to_pablo(location_message{91, 0, "", ""})) == build_errc::invalid_coordinates);
  CHECK(error_of(to_pablo(reaction_message{"", "x"})) == build_errc::missing_reaction_target);
  CHECK(error_of(to_pablo(contacts_message{})) == build_errc::no_contacts);
}

TEST_CASE("Meta's interactive limits are enforced", "[graph][builders]") {
  buttons_message b;
  b.body = "Pick one";
  b.buttons = {{"a", "A"}, {"b", "B"}, {"c", "C"}};
  CHECK(build_message(to_pablo(b)).has_value());
  b.buttons.push_back({"d", "D"});
  CHECK(error_of(to_pablo(b)) == build_errc::too_many_buttons);
  b.buttons = {{"a", std::string(21, 't')}};
  CHECK(error_of(to_pablo(b)) == build_errc::button_title_invalid);
  b.buttons = {{"a", "A"}, {"a", "B"}};
  CHECK(error_of(to_pablo(b)) == build_errc::duplicate_id);
  b.buttons = {};
  CHECK(error_of(to_pablo(b)) == build_errc::no_buttons);
  b.buttons = {{"a", "A"}};
  b.body = std::string(1025, 'x');
  CHECK(error_of(to_pablo(b)) == build_errc::body_too_long);
  b.body = "ok";
  b.footer = std::string(61, 'f');
  CHECK(error_of(to_pablo(b)) == build_errc::footer_too_long);
  b.footer = "";
  b.header.type = "text";
  b.header.text = std::string(61, 'h');
  CHECK(error_of(to_pablo(b)) == build_errc::header_too_long);

  list_message l;
  l.body = std::string(2000, 'x');  // lists allow longer bodies than buttons
  l.button = "Options";
  list_section s1{"First", {}};
  list_section s2{"Second", {}};
  for (int i = 0; i < 5; ++i) s1.rows.push_back({"a" + std::to_string(i), "Row", ""});
  for (int i = 0; i < 5; ++i) s2.rows.push_back({"b" + std::to_string(i), "Row", ""});
  l.sections = {s1, s2};
  CHECK(build_message(to_pablo(l)).has_value());
  l.sections[1].rows.push_back({"b9", "Eleventh", ""});
  CHECK(error_of(to_pablo(l)) == build_errc::too_many_rows);
  l.sections[1].rows.pop_back();
  l.sections[0].rows[0].title = std::string(25, 'r');
  CHECK(error_of(to_pablo(l)) == build_errc::row_title_invalid);
  l.sections[0].rows[0].title = "Row";
  l.sections[0].rows[0].description = std::string(73, 'd');
  CHECK(error_of(to_pablo(l)) == build_errc::row_description_too_long);
  l.sections[0].rows[0].description = "";
  l.sections[1].title = "";
  CHECK(error_of(to_pablo(l)) == build_errc::section_title_invalid);
  l.sections[1].title = "Second";
  l.button = std::string(21, 'b');
  CHECK(error_of(to_pablo(l)) == build_errc::list_button_invalid);

  cta_url_message c;
  c.body = "Tap";
  c.display_text = "Open";
  c.url = "ftp://example.com";
  CHECK(error_of(to_pablo(c)) == build_errc::cta_url_invalid);
  c.url = "https://example.com";
  c.display_text = std::string(21, 'd');
  CHECK(error_of(to_pablo(c)) == build_errc::cta_display_text_invalid);
}

TEST_CASE("templates need a name and language and one parameter format", "[graph][builders]") {
  CHECK(error_of(to_pablo(template_message{"", "en_US", {}})) == build_errc::missing_template_name);
  CHECK(error_of(to_pablo(template_message{"t", "", {}})) == build_errc::missing_template_language);
  template_message mixed{
      "t",
      "en_US",
      {{"body", "", -1, {{"text", "name", "a", nullptr}, {"text", "", "b", nullptr}}}}};
  CHECK(error_of(to_pablo(mixed)) == build_errc::mixed_parameter_formats);
}

TEST_CASE("every build error has a message", "[graph][builders]") {
  for (int e = static_cast<int>(build_errc::missing_recipient);
       e <= static_cast<int>(build_errc::invalid_header); ++e) {
    CHECK(make_error_code(static_cast<build_errc>(e)).message() != "unknown message build error");
  }
}

TEST_CASE("types, previews and the free-form rule", "[graph][builders]") {
  CHECK(message_type(text_message{}) == "text");
  CHECK(message_type(media_message{media_kind::document, "", "", "", "", false}) == "document");
  CHECK(message_type(list_message{}) == "interactive");
  CHECK(message_type(template_message{}) == "template");
  CHECK(preview_text(media_message{media_kind::image, "1", "", "Look", "", false}) == "Look");
  CHECK(is_free_form(text_message{}));
  CHECK_FALSE(is_free_form(template_message{}));
  CHECK(utf8_length("h\xC3\xA9llo") == 5);
}
