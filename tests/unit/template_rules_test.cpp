#include "pons/meta/template_rules.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <string>

namespace json = boost::json;
using pons::meta::check_template;
using pons::meta::template_check;
using pons::meta::template_rule_errc;

namespace {

// Meta's own example of a valid MARKETING template (Cloud API "Message templates" guide).
constexpr const char* seasonal_promotion = R"({
  "name": "seasonal_promotion", "language": "en_US", "category": "MARKETING",
  "components": [
    {"type": "HEADER", "format": "TEXT", "text": "Our {{1}} is on!",
     "example": {"header_text": ["Summer Sale"]}},
    {"type": "BODY",
     "text": "Shop now through {{1}} and use code {{2}} to get {{3}} off of all merchandise.",
     "example": {"body_text": [["the end of August", "25OFF", "25%"]]}},
    {"type": "FOOTER", "text": "Use the buttons below to manage your marketing subscriptions"},
    {"type": "BUTTONS", "buttons": [
      {"type": "QUICK_REPLY", "text": "Unsubscribe from Promos"},
      {"type": "QUICK_REPLY", "text": "Unsubscribe from All"}]}]})";

constexpr const char* authentication = R"({
  "name": "verify_code", "language": "en_US", "category": "AUTHENTICATION",
  "components": [
    {"type": "BODY", "add_security_recommendation": true},
    {"type": "FOOTER", "code_expiration_minutes": 10},
    {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE", "text": "Copy code"}]}]})";

json::object parse(const char* text) {
  return json::parse(text).as_object();
}

json::object& component(json::object& t, std::size_t i) {
  return t["components"].as_array()[i].as_object();
}

// A template with only this BODY (positional unless `format` says otherwise).
json::object body_only(const json::object& body, const char* format = nullptr) {
  json::object b = body;
  b["type"] = "BODY";
  json::object t{{"name", "t"},
                 {"language", "en_US"},
                 {"category", "UTILITY"},
                 {"components", json::array{b}}};
  if (format) t["parameter_format"] = format;
  return t;
}

bool has(const template_check& c, template_rule_errc rule, std::string_view words = {}) {
  for (const auto& v : c.violations) {
    if (v.rule == rule && v.message.find(words) != std::string::npos) return true;
  }
  return false;
}

std::string all(const template_check& c) {
  std::string out;
  for (const auto& v : c.violations) out += v.component + " | " + v.message + "\n";
  return out;
}

}  // namespace

TEST_CASE("Meta's seasonal_promotion example and an authentication template pass",
          "[template_rules]") {
  auto marketing = check_template(parse(seasonal_promotion));
  INFO(all(marketing));
  CHECK(marketing.ok());
  auto auth = check_template(parse(authentication));
  INFO(all(auth));
  CHECK(auth.ok());

  auto named = body_only(
      json::object{
          {"text", "Thank you, {{first_name}}! Your order {{order_number}} is on its way."},
          {"example", json::object{{"body_text_named_params",
                                    json::array{json::object{{"param_name", "first_name"},
                                                             {"example", "Pablo"}},
                                                json::object{{"param_name", "order_number"},
                                                             {"example", "860198-230332"}}}}}}},
      "named");
  auto n = check_template(named);
  INFO(all(n));
  CHECK(n.ok());
}

TEST_CASE("every rule code has its own message", "[template_rules]") {
  for (int e = 1; e <= static_cast<int>(template_rule_errc::authentication_format); ++e) {
    auto ec = make_error_code(static_cast<template_rule_errc>(e));
    CHECK(ec.failed());
    CHECK(ec.message() != "unknown template rule");
    CHECK(std::string(ec.category().name()) == "pons.meta.template_rules");
    CHECK(pons::meta::template_rule_name(static_cast<template_rule_errc>(e)) != "unknown");
  }
}

TEST_CASE("name category language and parameter_format", "[template_rules]") {
  auto t = parse(seasonal_promotion);
  t["name"] = "Summer Sale!";
  t["category"] = "PROMOTION";
  t["language"] = "";
  t["parameter_format"] = "numbered";
  auto c = check_template(t);
  CHECK(has(c, template_rule_errc::invalid_name, "lowercase"));
  CHECK(has(c, template_rule_errc::invalid_category, "MARKETING, UTILITY or AUTHENTICATION"));
  CHECK(has(c, template_rule_errc::invalid_language, "en_US"));
  CHECK(has(c, template_rule_errc::invalid_parameter_format, "positional"));
  CHECK(c.violations.size() == 4);

  t = parse(seasonal_promotion);
  t["name"] = std::string(513, 'a');
  CHECK(has(check_template(t), template_rule_errc::invalid_name, "at most 512"));
  t["name"] = std::string(512, 'a');
  CHECK(check_template(t).ok());
  t["parameter_format"] = "POSITIONAL";
  CHECK(check_template(t).ok());
  t.erase("language");
  CHECK(has(check_template(t), template_rule_errc::invalid_language));
}

TEST_CASE("exactly one body and at most one of the others", "[template_rules]") {
  auto t = parse(seasonal_promotion);
  auto& list = t["components"].as_array();
  list.erase(list.begin() + 1);  // the BODY
  CHECK(has(check_template(t), template_rule_errc::component_count, "BODY: required"));

  t = parse(seasonal_promotion);
  t["components"].as_array().push_back(json::object{{"type", "FOOTER"}, {"text", "Again"}});
  CHECK(has(check_template(t), template_rule_errc::component_count, "2 FOOTER components"));

  t = parse(seasonal_promotion);
  t["components"].as_array().push_back(json::object{{"type", "CAROUSEL"}});
  CHECK(has(check_template(t), template_rule_errc::invalid_component, "found CAROUSEL"));

  t = parse(seasonal_promotion);
  t["components"] = json::array{};
  CHECK(has(check_template(t), template_rule_errc::invalid_component, "components: required"));
}

TEST_CASE("length limits of body header footer and buttons", "[template_rules]") {
  auto t = parse(seasonal_promotion);
  component(t, 1)["text"] = "Shop " + std::string(1020, 'x') + " {{1}} {{2}} {{3}} now";
  component(t, 0)["text"] = std::string(61, 'h');
  component(t, 2)["text"] = std::string(61, 'f');
  component(t, 3)["buttons"].as_array()[0].as_object()["text"] = std::string(26, 'b');
  auto c = check_template(t);
  CHECK(has(c, template_rule_errc::too_long, "BODY: the text has"));
  CHECK(has(c, template_rule_errc::too_long, "HEADER: the text has 61 characters"));
  CHECK(has(c, template_rule_errc::too_long, "FOOTER: the text has 61 characters"));
  CHECK(has(c, template_rule_errc::too_long, "BUTTONS[0]: the text has 26 characters"));

  // Characters are code points: 60 accented letters are 120 bytes and still fit a header.
  t = parse(seasonal_promotion);
  std::string accents;
  for (int i = 0; i < 60; ++i) accents += "\xc3\xa9";
  component(t, 0)["text"] = accents;
  component(t, 0).erase("example");
  CHECK(check_template(t).ok());
}

TEST_CASE("positional variables are numbered in order without gaps", "[template_rules]") {
  auto gap = body_only(json::object{{"text", "Hello {{1}}, your code is {{3}} today"},
                                    {"example", json::parse(R"({"body_text":[["a","b"]]})")}});
  CHECK(has(check_template(gap), template_rule_errc::variable_format, "found {{1}}, {{3}}"));

  auto order = body_only(json::object{{"text", "Hello {{2}}, your code is {{1}} today"},
                                      {"example", json::parse(R"({"body_text":[["a","b"]]})")}});
  CHECK(has(check_template(order), template_rule_errc::variable_format, "Renumber"));

  auto word = body_only(json::object{{"text", "Hello {{name}} and welcome"},
                                     {"example", json::parse(R"({"body_text":[["a"]]})")}});
  CHECK(has(check_template(word), template_rule_errc::variable_format,
            "{{name}} is not a positional variable"));
}

TEST_CASE("named variables are lowercase and unique", "[template_rules]") {
  auto upper = body_only(
      json::object{
          {"text", "Hello {{First_Name}} and welcome"},
          {"example",
           json::parse(
               R"({"body_text_named_params":[{"param_name":"First_Name","example":"Ann"}]})")}},
      "named");
  CHECK(has(check_template(upper), template_rule_errc::variable_format,
            "{{First_Name}} is not a named variable"));

  auto twice = body_only(
      json::object{
          {"text", "Hello {{name}} and {{name}} again"},
          {"example",
           json::parse(R"({"body_text_named_params":[{"param_name":"name","example":"Ann"}]})")}},
      "named");
  CHECK(has(check_template(twice), template_rule_errc::variable_format, "more than once"));
}

TEST_CASE("the body may not start or end with a variable", "[template_rules]") {
  auto ends = body_only(json::object{{"text", "Your code is {{1}}."},
                                     {"example", json::parse(R"({"body_text":[["123"]]})")}});
  CHECK(has(check_template(ends), template_rule_errc::variable_at_edge, "trailing punctuation"));
  auto starts = body_only(json::object{{"text", " {{1}}, welcome back"},
                                       {"example", json::parse(R"({"body_text":[["Ann"]]})")}});
  CHECK(has(check_template(starts), template_rule_errc::variable_at_edge));
  auto inside = body_only(json::object{{"text", "Hi {{1}}, welcome back."},
                                       {"example", json::parse(R"({"body_text":[["Ann"]]})")}});
  CHECK(check_template(inside).ok());
}

TEST_CASE("every variable needs an example", "[template_rules]") {
  auto none = body_only(json::object{{"text", "Hi {{1}}, your order {{2}} shipped."}});
  CHECK(has(check_template(none), template_rule_errc::missing_example, "one array of 2 strings"));
  auto short_row = body_only(json::object{{"text", "Hi {{1}}, your order {{2}} shipped."},
                                          {"example", json::parse(R"({"body_text":[["Ann"]]})")}});
  CHECK(has(check_template(short_row), template_rule_errc::missing_example));

  auto named = body_only(
      json::object{
          {"text", "Hi {{first_name}}, order {{order}} shipped."},
          {"example",
           json::parse(
               R"({"body_text_named_params":[{"param_name":"first_name","example":"Ann"},{"param_name":"other","example":"x"}]})")}},
      "named");
  auto c = check_template(named);
  CHECK(has(c, template_rule_errc::missing_example, "{{order}} has no example"));
  CHECK(has(c, template_rule_errc::missing_example, "names other"));

  auto t = parse(seasonal_promotion);
  component(t, 0).erase("example");
  CHECK(has(check_template(t), template_rule_errc::missing_example, "example.header_text"));
}

TEST_CASE("header formats", "[template_rules]") {
  auto t = parse(seasonal_promotion);
  component(t, 0)["text"] = "Our {{1}} and {{2}}";
  CHECK(has(check_template(t), template_rule_errc::header_format, "at most one"));

  component(t, 0) = json::object{{"type", "HEADER"}, {"format", "IMAGE"}};
  CHECK(has(check_template(t), template_rule_errc::missing_example, "header_handle"));
  component(t, 0)["example"] = json::parse(R"({"header_handle":["4::aW1hZ2U=:ARb"]})");
  CHECK(check_template(t).ok());

  component(t, 0) = json::object{{"type", "HEADER"}, {"format", "LOCATION"}};
  CHECK(check_template(t).ok());
  t["category"] = "AUTHENTICATION";
  CHECK(has(check_template(t), template_rule_errc::authentication_format, "HEADER"));

  t = parse(seasonal_promotion);
  component(t, 0) = json::object{{"type", "HEADER"}, {"format", "GIF"}};
  CHECK(has(check_template(t), template_rule_errc::header_format, "format GIF"));
}

TEST_CASE("the footer has no variables", "[template_rules]") {
  auto t = parse(seasonal_promotion);
  component(t, 2)["text"] = "Sent to {{1}}";
  CHECK(has(check_template(t), template_rule_errc::footer_format, "may not have variables"));
}

TEST_CASE("button counts kinds and grouping", "[template_rules]") {
  auto t = parse(seasonal_promotion);
  auto& buttons = component(t, 3)["buttons"].as_array();
  buttons.clear();
  for (int i = 0; i < 11; ++i)
    buttons.push_back(json::object{{"type", "QUICK_REPLY"}, {"text", "R" + std::to_string(i)}});
  auto c = check_template(t);
  CHECK(has(c, template_rule_errc::button_count, "11 buttons"));
  CHECK(has(c, template_rule_errc::button_count, "11 QUICK_REPLY"));

  buttons.clear();
  json::object url{{"type", "URL"}, {"text", "Shop"}, {"url", "https://example.com"}};
  buttons = json::array{url, url, url};
  CHECK(has(check_template(t), template_rule_errc::button_count, "3 URL buttons"));

  json::object phone{{"type", "PHONE_NUMBER"}, {"text", "Call"}, {"phone_number", "+15550100"}};
  buttons = json::array{phone, phone};
  CHECK(has(check_template(t), template_rule_errc::button_count, "2 PHONE_NUMBER"));
  buttons = json::array{json::object{
      {"type", "PHONE_NUMBER"}, {"text", "Call"}, {"phone_number", std::string(21, '1')}}};
  CHECK(has(check_template(t), template_rule_errc::too_long, "phone_number has 21"));

  json::object copy{{"type", "COPY_CODE"}, {"example", "SUMMER25"}};
  buttons = json::array{copy, copy};
  CHECK(has(check_template(t), template_rule_errc::button_count, "2 COPY_CODE"));
  buttons = json::array{json::object{{"type", "COPY_CODE"}, {"example", std::string(16, 'C')}}};
  CHECK(has(check_template(t), template_rule_errc::too_long, "16 characters"));

  json::object reply{{"type", "QUICK_REPLY"}, {"text", "Stop"}};
  buttons = json::array{reply, url, reply};
  CHECK(has(check_template(t), template_rule_errc::buttons_not_grouped));
  buttons = json::array{reply, reply, url, phone};
  CHECK(check_template(t).ok());
}

TEST_CASE("url buttons take one variable at the end with an example", "[template_rules]") {
  auto t = parse(seasonal_promotion);
  auto& buttons = component(t, 3)["buttons"].as_array();
  buttons = json::array{
      json::object{{"type", "URL"}, {"text", "Track"}, {"url", "https://example.com/{{1}}/x"}}};
  CHECK(has(check_template(t), template_rule_errc::variable_format, "only at its end"));
  buttons = json::array{
      json::object{{"type", "URL"}, {"text", "Track"}, {"url", "https://example.com/{{1}}"}}};
  CHECK(has(check_template(t), template_rule_errc::missing_example, "one full URL"));
  buttons[0].as_object()["example"] = json::array{"https://example.com/ABC"};
  CHECK(check_template(t).ok());
  buttons[0].as_object()["url"] = "https://example.com/" + std::string(2000, 'p');
  CHECK(has(check_template(t), template_rule_errc::too_long, "url has"));
  buttons[0].as_object()["url"] = "ftp://example.com";
  CHECK(has(check_template(t), template_rule_errc::button_format, "https://"));
}

TEST_CASE("authentication templates hold only what Meta presets", "[template_rules]") {
  auto t = parse(authentication);
  component(t, 0)["text"] = "Your code is {{1}}";
  component(t, 1)["code_expiration_minutes"] = 91;
  component(t, 2)["buttons"] =
      json::array{json::object{{"type", "URL"}, {"text", "Go"}, {"url", "https://x.example"}}};
  auto c = check_template(t);
  CHECK(has(c, template_rule_errc::authentication_format, "no body text"));
  CHECK(has(c, template_rule_errc::authentication_format, "1 to 90"));
  CHECK(has(c, template_rule_errc::authentication_format, "type OTP"));

  t = parse(authentication);
  component(t, 2)["buttons"] = json::array{json::object{{"type", "OTP"}, {"otp_type", "ONE_TAP"}}};
  CHECK(has(check_template(t), template_rule_errc::authentication_format, "supported_apps"));
  component(t, 2)["buttons"] = json::parse(
      R"([{"type":"OTP","otp_type":"ZERO_TAP","supported_apps":[{"package_name":"com.example.app","signature_hash":"K8a/AINcGX7"}]}])");
  CHECK(
      has(check_template(t), template_rule_errc::authentication_format, "zero_tap_terms_accepted"));
  component(t, 2)["buttons"].as_array()[0].as_object()["zero_tap_terms_accepted"] = true;
  CHECK(check_template(t).ok());

  t = parse(authentication);
  t["components"].as_array().pop_back();
  CHECK(has(check_template(t), template_rule_errc::authentication_format, "needs one button"));

  auto marketing = parse(seasonal_promotion);
  component(marketing, 3)["buttons"] =
      json::array{json::object{{"type", "OTP"}, {"otp_type", "COPY_CODE"}}};
  CHECK(
      has(check_template(marketing), template_rule_errc::button_format, "only for AUTHENTICATION"));
}

TEST_CASE("every violation is collected up to a bound", "[template_rules]") {
  auto t = parse(seasonal_promotion);
  auto& buttons = component(t, 3)["buttons"].as_array();
  buttons.clear();
  for (int i = 0; i < 20; ++i) buttons.push_back(json::object{{"type", "QUICK_REPLY"}});
  t["name"] = "Bad Name";
  auto c = check_template(t);
  CHECK(c.violations.size() == pons::meta::max_template_violations);
  CHECK(c.more > 0);
  CHECK(c.violations.front().component == "name");
}
