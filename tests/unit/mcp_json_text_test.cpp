#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <string>

#include "pons/mcp/json_text.hpp"
#include "pons/mcp/jsonrpc.hpp"

namespace json = boost::json;
using namespace pons::mcp;

namespace {

// Every kind of value, nested, with strings that need escapes and numbers at their limits.
json::value every_kind() {
  return json::parse(R"({
    "null": null, "yes": true, "no": false,
    "ints": [0, -1, 9223372036854775807, -9223372036854775808, 18446744073709551615],
    "doubles": [0.5, -2.25e-300, 1e300, 3.0, 0.1, 123456789.125],
    "strings": ["", "plain", "quote \" backslash \\ slash /", "\n\t\r\b\f\u0001\u001f",
                "caf\u00e9 \u263a \ud83d\ude00"],
    "empty object": {}, "empty array": [],
    "ke\"y\n": {"deep": [[[{"a": [1, {"b": null}]}]]]}
  })");
}

}  // namespace

TEST_CASE("JSON values are written as Boost.JSON writes them", "[mcp]") {
  const json::value v = every_kind();
  std::string out = "prefix:";
  append_json(out, v);
  CHECK(out == "prefix:" + json::serialize(v));
  // Each member on its own too, and an object through its own overload.
  for (const auto& member : v.as_object()) {
    std::string one;
    append_json(one, member.value());
    CHECK(one == json::serialize(member.value()));
  }
  std::string object;
  append_json(object, v.as_object());
  CHECK(object == json::serialize(v));
  std::string limits;
  append_json(limits, json::value(std::numeric_limits<std::uint64_t>::max()));
  CHECK(limits == "18446744073709551615");
}

TEST_CASE("a response is the envelope around its result, written member last", "[mcp]") {
  const json::value id = "req \"1\"";
  json::object result = every_kind().as_object();
  const std::string plain = make_response(id, json::value(result));
  CHECK(json::parse(plain) ==
        json::value{{"jsonrpc", "2.0"}, {"id", id}, {"result", json::value(result)}});
  CHECK(plain == json::serialize(
                     json::value{{"jsonrpc", "2.0"}, {"id", id}, {"result", json::value(result)}}));

  const std::string written = make_response(
      json::value(7), result_with_written_member{result, "structuredContent", R"({"n":[1,2]})"});
  json::object expected = result;
  expected["structuredContent"] = json::parse(R"({"n":[1,2]})");
  CHECK(json::parse(written) ==
        json::value{{"jsonrpc", "2.0"}, {"id", 7}, {"result", std::move(expected)}});
  // With nothing else in the result, the written member is all of it.
  CHECK(make_response(json::value(8), result_with_written_member{{}, "structuredContent", "[]"}) ==
        R"({"jsonrpc":"2.0","id":8,"result":{"structuredContent":[]}})");
}
