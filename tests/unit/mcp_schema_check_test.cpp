#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include "pons/mcp/schema_check.hpp"

namespace json = boost::json;
using pons::mcp::check_schema;

namespace {

json::object schema(std::string_view text) {
  return json::parse(text).as_object();
}

}  // namespace

TEST_CASE("integers must fit in 64 bits, however JSON spells them", "[mcp]") {
  auto s = schema(R"({"type":"object","properties":{"id":{"type":"integer","minimum":1}}})");
  CHECK_FALSE(check_schema(s, json::parse(R"({"id":9223372036854775807})"), "arguments"));
  CHECK_FALSE(check_schema(s, json::parse(R"({"id":42.0})"), "arguments"));
  for (std::string_view big : {R"({"id":99999999999999999999})", R"({"id":9223372036854775808})",
                               R"({"id":1e300})", R"({"id":18446744073709551615})"}) {
    INFO(big);
    auto bad = check_schema(s, json::parse(big), "arguments");
    REQUIRE(bad);
    CHECK(bad->field == "arguments.id");
    CHECK_THAT(bad->reason, Catch::Contains("9223372036854775807"));
  }
  CHECK(check_schema(s, json::parse(R"({"id":1.5})"), "arguments"));
}

TEST_CASE("strings with a NUL character are refused wherever they are", "[mcp]") {
  auto s = schema(R"({"type":"object","properties":{"q":{"type":"string"},
      "list":{"type":"array","items":{"type":"string"}}}})");
  CHECK_FALSE(check_schema(s, json::parse(R"({"q":"plain"})"), "arguments"));
  auto top = check_schema(s, json::parse(R"({"q":"a\u0000b"})"), "arguments");
  REQUIRE(top);
  CHECK(top->field == "arguments.q");
  CHECK_THAT(top->reason, Catch::Contains("NUL"));
  auto nested = check_schema(s, json::parse(R"({"list":["ok","x\u0000"]})"), "arguments");
  REQUIRE(nested);
  CHECK(nested->field == "arguments.list[1]");
}
