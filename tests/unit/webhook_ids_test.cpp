#include "pons/meta/webhook_ids.hpp"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <string>

using pons::meta::canonical_id;
using pons::meta::find_id_hints;
using pons::meta::is_canonical_id;

TEST_CASE("canonical ids are digit strings, from strings or non-negative integers",
          "[webhook_ids]") {
  CHECK(is_canonical_id("106540352242922"));
  CHECK(is_canonical_id("0"));
  for (const char* bad : {"", " 1", "1 ", "1a", "-1", "+1", "1.0", "\xd9\xa1"}) {
    INFO(bad);
    CHECK_FALSE(is_canonical_id(bad));
  }
  auto id = [](const char* json) {
    auto v = boost::json::parse(json);
    return canonical_id(&v);
  };
  CHECK(id(R"("1001")") == std::string("1001"));
  CHECK(id("1001") == std::string("1001"));
  CHECK(id("0") == std::string("0"));
  CHECK(id("18446744073709551615") == std::string("18446744073709551615"));  // uint64
  CHECK(id("9223372036854775807") == std::string("9223372036854775807"));    // int64 max
  for (const char* bad : {"2002.0", "1e3", "1e20", "1.5", "-5", "18446744073709551616", "null",
                          "true", "[1]", "{}", R"("")", R"(" 1001")", R"("12a")"}) {
    INFO(bad);
    CHECK_FALSE(id(bad));
  }
  CHECK_FALSE(canonical_id(nullptr));
}

TEST_CASE("id hints come from the raw bytes: first number id, first entry id", "[webhook_ids]") {
  auto h = find_id_hints(
      R"({"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[)"
      R"({"value":{"metadata":{"display_phone_number":"1555","phone_number_id":"106540352242922"}}}]}]})");
  CHECK(h.phone_number_id == "106540352242922");
  CHECK(h.entry_id == "102290129340398");

  // Bare integers and whitespace are read; doubles, signs and other text are no hint.
  h = find_id_hints(R"({"entry" : [ { "id" : 222 , "x":{"phone_number_id" :	2002}}]})");
  CHECK(h.phone_number_id == "2002");
  CHECK(h.entry_id == "222");
  for (const char* text : {R"({"entry":[{"id":2.0,"phone_number_id":2002.5}]})",
                           R"({"entry":[{"id":1e3,"phone_number_id":-1}]})",
                           R"({"entry":[{"id":"12a","phone_number_id":"x1"}]})",
                           R"({"entry":[{"id":"12","phone_number_id":"34)",
                           R"({"phone_number_id":)", R"({"id":"1"})", "", "not json at all"}) {
    INFO(text);
    h = find_id_hints(text);
    CHECK(h.phone_number_id.empty());
    CHECK((h.entry_id.empty() || h.entry_id == "12"));
  }
  // A key inside an escaped string is not a key.
  h = find_id_hints(R"({"text":"{\"phone_number_id\":\"1\"}","entry":[{"changes":[],"id":"7"}]})");
  CHECK(h.phone_number_id.empty());
  CHECK(h.entry_id == "7");
}
