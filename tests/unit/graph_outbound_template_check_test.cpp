#include <catch2/catch.hpp>

#include "pons/outbound/sender.hpp"

using namespace pons::meta;
using namespace pons::outbound;

namespace {

pons::store::template_record record(std::string format, std::string components,
                                    std::string status = "APPROVED") {
  pons::store::template_record t;
  t.name = "order_confirmation";
  t.language = "en_US";
  t.status = std::move(status);
  t.parameter_format = std::move(format);
  t.components_json = std::move(components);
  return t;
}

template_parameter text(std::string value, std::string name = "") {
  return template_parameter{"text", std::move(name), std::move(value), nullptr};
}

}  // namespace

TEST_CASE("template messages are checked against the synced template", "[graph][outbound]") {
  auto named = record("NAMED", R"([{"type":"BODY",
      "text":"Thank you, {{first_name}}! Your order number is {{order_number}}."}])");
  template_message ok{
      "order_confirmation",
      "en_US",
      {{"body", "", -1, {text("Jessica", "first_name"), text("X1", "order_number")}}}};
  CHECK(check_template_message(named, ok).empty());

  template_message missing{
      "order_confirmation", "en_US", {{"body", "", -1, {text("Jessica", "first_name")}}}};
  auto problem = check_template_message(named, missing);
  CHECK(problem.find("expects 2 body parameter(s)") != std::string::npos);
  CHECK(problem.find("{{order_number}}") != std::string::npos);

  template_message wrong_name{"order_confirmation",
                              "en_US",
                              {{"body", "", -1, {text("J", "first_name"), text("X", "order_id")}}}};
  CHECK(check_template_message(named, wrong_name).find("'order_id' is not one of them") !=
        std::string::npos);

  auto positional = record("POSITIONAL", R"([{"type":"HEADER","format":"TEXT","text":"Sale"},
      {"type":"BODY","text":"Hi {{1}}, use code {{2}}; {{1}}, hurry!"}])");
  template_message two{"t", "en_US", {{"body", "", -1, {text("Mark"), text("FALL25")}}}};
  CHECK(check_template_message(positional, two).empty());  // {{1}} twice is one parameter
  template_message none{"t", "en_US", {}};
  CHECK_FALSE(check_template_message(positional, none).empty());

  auto paused = record("POSITIONAL", "[]", "PAUSED");
  CHECK(check_template_message(paused, none).find("PAUSED") != std::string::npos);

  // Without usable components there is nothing to check against.
  CHECK(check_template_message(record("", "not json"), none).empty());
}
