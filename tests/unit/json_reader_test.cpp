#include "pons/meta/json_reader.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <catch2/catch.hpp>
#include <string>

using pons::meta::json_errc;
using pons::meta::json_limits;
using pons::meta::read_json;

TEST_CASE("read_json parses strict JSON", "[json]") {
  auto v = read_json(R"({"a":[1,2,{"b":"Jos\u00e9 \/"}]})");
  REQUIRE(v);
  CHECK(v->at("a").at(2).at("b").as_string() == "Jos\xc3\xa9 /");
  auto scalar = read_json(" 42 ");
  REQUIRE(scalar);
  CHECK(scalar->as_int64() == 42);
}

TEST_CASE("read_json refuses non-standard JSON", "[json]") {
  for (const char* text : {"", "   ", "{", "{\"a\":1,}", "[1,2,]", "{\"a\":1} // c", "/* c */ {}",
                           "{\"a\":1} {}", "{'a':1}", "{a:1}", "NaN", "[1] x"}) {
    INFO(text);
    auto v = read_json(text);
    REQUIRE_FALSE(v);
    CHECK(v.error() == json_errc::invalid);
  }
}

TEST_CASE("read_json refuses invalid UTF-8", "[json]") {
  for (std::string text : {std::string("\"\xff\""), std::string("\"\xc3\""),
                           std::string("{\"k\xe2\x82\":1}"), std::string("\"\xed\xa0\x80\"")}) {
    auto v = read_json(text);
    REQUIRE_FALSE(v);
    CHECK(v.error() == json_errc::invalid);
  }
  // Valid multi-byte UTF-8 passes.
  CHECK(read_json("\"\xf0\x9f\x91\x8d\""));
}

TEST_CASE("read_json enforces the depth limit", "[json]") {
  auto nested = [](std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  CHECK(read_json(nested(64)));
  auto deep = read_json(nested(65));
  REQUIRE_FALSE(deep);
  CHECK(deep.error() == json_errc::too_deep);
  CHECK(read_json(nested(3), json_limits{100, 3}));
  CHECK(read_json(nested(4), json_limits{100, 3}).error() == json_errc::too_deep);
}

TEST_CASE("read_json enforces the size limit before parsing", "[json]") {
  const std::string body = R"({"a":"0123456789"})";
  CHECK(read_json(body, json_limits{body.size(), 8}));
  auto big = read_json(body, json_limits{body.size() - 1, 8});
  REQUIRE_FALSE(big);
  CHECK(big.error() == json_errc::too_large);
  // Even garbage over the limit reports the size, not the syntax.
  CHECK(read_json("xxxxxxxx", json_limits{4, 8}).error() == json_errc::too_large);
}

TEST_CASE("every json_errc has a message and the category is named", "[json]") {
  for (auto e : {json_errc::too_large, json_errc::too_deep, json_errc::invalid}) {
    boost::system::error_code ec = e;
    CHECK(ec.category().name() == std::string("pons.json"));
    CHECK_FALSE(ec.message().empty());
    CHECK(ec.message() != "unknown JSON error");
  }
  CHECK(pons::meta::json_category().message(999) == "unknown JSON error");
}

TEST_CASE("read_json can place the document in a caller's memory resource", "[json_reader]") {
  boost::json::monotonic_resource arena;
  auto v = read_json(R"({"entry":[{"id":"1","changes":[]}],"s":"text"})",
                     boost::json::storage_ptr(&arena));
  REQUIRE(v.has_value());
  CHECK(v->storage().get() == &arena);
  CHECK(v->at("s").as_string() == "text");
  CHECK(v->at("entry").at(0).at("id").as_string() == "1");
  // The same limits and errors as without a resource.
  CHECK(read_json("[[1]]", boost::json::storage_ptr(&arena), json_limits{1024, 1}).error() ==
        json_errc::too_deep);
  CHECK(read_json("{", boost::json::storage_ptr(&arena)).error() == json_errc::invalid);
}
