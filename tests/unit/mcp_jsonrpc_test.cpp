#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include "pons/mcp/base64.hpp"
#include "pons/mcp/cursor.hpp"
#include "pons/mcp/jsonrpc.hpp"
#include "pons/mcp/protocol_version.hpp"
#include "pons/mcp/registry.hpp"
#include "pons/mcp/schema_check.hpp"
#include "pons/mcp/uri_template.hpp"

namespace json = boost::json;
using namespace pons::mcp;

TEST_CASE("jsonrpc classifies requests, notifications, responses and invalid messages", "[mcp]") {
  auto req = classify(json::parse(R"({"jsonrpc":"2.0","id":"a","method":"ping"})"));
  CHECK(req.type == incoming::kind::request);
  CHECK(req.id == json::value("a"));
  auto note = classify(json::parse(R"({"jsonrpc":"2.0","method":"notifications/initialized"})"));
  CHECK(note.type == incoming::kind::notification);
  auto resp = classify(json::parse(R"({"jsonrpc":"2.0","id":4,"result":{}})"));
  CHECK(resp.type == incoming::kind::response);

  auto no_version = classify(json::parse(R"({"id":1,"method":"ping"})"));
  REQUIRE(no_version.type == incoming::kind::invalid);
  CHECK(no_version.error->code == rpc_code::invalid_request);
  CHECK(no_version.id == json::value(1));  // a readable id is kept for the answer

  auto null_id = classify(json::parse(R"({"jsonrpc":"2.0","id":null,"method":"ping"})"));
  REQUIRE(null_id.type == incoming::kind::invalid);
  CHECK(null_id.id.is_null());
  auto frac_id = classify(json::parse(R"({"jsonrpc":"2.0","id":1.5,"method":"ping"})"));
  CHECK(frac_id.type == incoming::kind::invalid);
  auto not_object = classify(json::parse("42"));
  CHECK(not_object.type == incoming::kind::invalid);
  auto bad_params = classify(json::parse(R"({"jsonrpc":"2.0","id":2,"method":"x","params":[1]})"));
  REQUIRE(bad_params.error);
  CHECK(bad_params.error->code == rpc_code::invalid_params);
}

TEST_CASE("jsonrpc parse enforces the nesting limit", "[mcp]") {
  rpc_error err;
  CHECK(parse_json("[[[[1]]]]", 8, err));
  CHECK_FALSE(parse_json("[[[[[[[[[[1]]]]]]]]]]", 8, err));
  CHECK(err.code == rpc_code::parse_error);
  CHECK_FALSE(parse_json("{\"a\":", 8, err));
  CHECK_FALSE(parse_json("\"\xff\"", 8, err));  // invalid UTF-8
}

TEST_CASE("protocol versions negotiate to the client's or our latest", "[mcp]") {
  CHECK(negotiate("2024-11-05") == protocol_version::v2024_11_05);
  CHECK(negotiate("2025-03-26") == protocol_version::v2025_03_26);
  CHECK(negotiate("2025-06-18") == protocol_version::v2025_06_18);
  CHECK(negotiate("2025-11-25") == protocol_version::v2025_11_25);
  CHECK(negotiate("2099-01-01") == latest_version);
  for (auto v : supported_versions) CHECK(parse_protocol_version(to_string(v)) == v);
}

TEST_CASE("initialize never selects the modern revision, requests name it in _meta", "[mcp]") {
  CHECK(negotiate("2026-07-28") == protocol_version::v2025_11_25);
  CHECK_FALSE(parse_protocol_version("2026-07-28"));
  CHECK(parse_modern_version("2026-07-28") == protocol_version::v2026_07_28);
  CHECK_FALSE(parse_modern_version("2025-11-25"));
  CHECK(to_string(protocol_version::v2026_07_28) == "2026-07-28");
  for (auto v : supported_versions) CHECK(era_of(v) == protocol_era::legacy);
  for (auto v : modern_versions) CHECK(era_of(v) == protocol_era::modern);
  CHECK(to_string(protocol_era::modern) == "modern");
  CHECK(to_string(protocol_era::legacy) == "legacy");
  // The modern revision has everything the newest legacy one has, and no batches.
  CHECK(has_structured_output(protocol_version::v2026_07_28));
  CHECK(has_annotations(protocol_version::v2026_07_28));
  CHECK_FALSE(allows_batches(protocol_version::v2026_07_28));
}

TEST_CASE("cursors round-trip and reject foreign tokens", "[mcp]") {
  for (std::size_t n : {0u, 1u, 50u, 123456u}) CHECK(decode_cursor(encode_cursor(n)) == n);
  CHECK_FALSE(decode_cursor("not a cursor"));
  CHECK_FALSE(decode_cursor(base64_encode("list:12x", base64_alphabet::url)));
  CHECK_FALSE(decode_cursor(""));
  for (std::string s : {"", "a", "ab", "abc", "abcd", "\x01\xff\x80"}) {
    CHECK(base64_decode(base64_encode(s, base64_alphabet::url), base64_alphabet::url) == s);
  }
}

TEST_CASE("schema check names the field and the reason", "[mcp]") {
  auto schema = json::parse(R"({
    "type":"object","additionalProperties":false,"required":["contact"],
    "properties":{
      "contact":{"type":"string","minLength":1},
      "limit":{"type":"integer","minimum":1,"maximum":100},
      "direction":{"type":"string","enum":["inbound","outbound","all"]},
      "tags":{"type":"array","items":{"type":"string"},"maxItems":2}}})")
                    .as_object();
  CHECK_FALSE(check_schema(schema, json::parse(R"({"contact":"x","limit":20})"), "arguments"));
  auto check = [&](const char* args, const char* field, const char* reason_part) {
    auto v = check_schema(schema, json::parse(args), "arguments");
    REQUIRE(v);
    CHECK(v->field == field);
    CHECK_THAT(v->reason, Catch::Contains(reason_part));
  };
  check(R"({})", "arguments.contact", "required");
  check(R"({"contact":"x","limit":101})", "arguments.limit", "at most 100");
  check(R"({"contact":"x","limit":0})", "arguments.limit", "at least 1");
  check(R"({"contact":"x","limit":2.5})", "arguments.limit", "integer");
  check(R"({"contact":"x","direction":"up"})", "arguments.direction", "one of");
  check(R"({"contact":""})", "arguments.contact", "at least 1");
  check(R"({"contact":"x","tags":["a",1]})", "arguments.tags[1]", "string");
  check(R"({"contact":"x","tags":["a","b","c"]})", "arguments.tags", "at most 2");
  check(R"({"contact":"x","colour":"red"})", "arguments.colour", "not a known argument");
}

TEST_CASE("uri templates match one path segment per variable", "[mcp]") {
  auto vars = match_uri_template("pons://conversations/{id}", "pons://conversations/42");
  REQUIRE(vars);
  CHECK(vars->at("id") == "42");
  CHECK_FALSE(match_uri_template("pons://conversations/{id}", "pons://conversations/"));
  CHECK_FALSE(match_uri_template("pons://conversations/{id}", "pons://conversations/4/2"));
  auto two = match_uri_template("x://{a}/m/{b}.json", "x://one/m/two.json");
  REQUIRE(two);
  CHECK(two->at("a") == "one");
  CHECK(two->at("b") == "two");
  CHECK(template_variables("x://{a}/m/{b}") == std::vector<std::string>{"a", "b"});
}

TEST_CASE("a response with a written member places it last and parses back whole", "[mcp]") {
  const std::string written = R"({"rows":[1,2,{"a":"}}"}],"more":false})";
  const json::value id = 7;
  auto with_others = json::parse(make_response(
      id, result_with_written_member{json::object{{"content", json::array{}}, {"isError", false}},
                                     "structuredContent", written}));
  CHECK(with_others.at("id") == 7);
  CHECK(with_others.at("jsonrpc") == "2.0");
  const auto& result = with_others.at("result").as_object();
  REQUIRE(result.size() == 3);
  CHECK(result.at("structuredContent") == json::parse(written));
  CHECK(result.at("isError") == false);
  CHECK((result.end() - 1)->key() == "structuredContent");

  auto alone = json::parse(make_response(
      json::value("x"), result_with_written_member{{}, "structuredContent", written}));
  CHECK(alone.at("result").as_object().size() == 1);
  CHECK(alone.at("result").at("structuredContent") == json::parse(written));
}

TEST_CASE("written structured content reads back as an object, bytes that are not UTF-8 too",
          "[mcp]") {
  const auto read = tool_result::written_result("{\"t\":\"caf\xE9\"}", "text").structured_object();
  REQUIRE(read);
  CHECK(read->at("t") == "caf\xE9");
  CHECK_FALSE(tool_result::written_result("[1]", "text").structured_object());
  CHECK_FALSE(tool_result::text("only text").structured_object());
}
