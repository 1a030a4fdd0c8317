#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <variant>

#include "pons/dashboard/query_arguments.hpp"

using pons::dashboard::query_argument_error;
using pons::dashboard::query_arguments;
namespace json = boost::json;

namespace {

const json::object schema = json::parse(R"({"type":"object","properties":{
  "conversation_id":{"type":"integer"},"limit":{"type":"integer"},"query":{"type":"string"},
  "unanswered":{"type":"boolean"},"near":{"type":"number"},"ids":{"type":"array"}}})")
                                .as_object();

json::object arguments(std::string_view query) {
  auto r = query_arguments(query, schema);
  REQUIRE(std::holds_alternative<json::object>(r));
  return std::get<json::object>(r);
}

query_argument_error refusal(std::string_view query) {
  auto r = query_arguments(query, schema);
  REQUIRE(std::holds_alternative<query_argument_error>(r));
  return std::get<query_argument_error>(r);
}

}  // namespace

TEST_CASE("query arguments are typed by the tool's schema", "[dashboard]") {
  auto args = arguments("conversation_id=7&limit=50&unanswered=true&near=2.5&query=a+b%2Bc%26d");
  CHECK(args.at("conversation_id") == 7);
  CHECK(args.at("limit") == 50);
  CHECK(args.at("unanswered") == true);
  CHECK(args.at("near") == 2.5);
  // A form's '+' is a space; an escaped plus stays a plus.
  CHECK(args.at("query") == "a b+c&d");
  CHECK(arguments("").empty());
  CHECK(arguments("query=").at("query") == "");
}

TEST_CASE("query arguments that do not fit are refused with the parameter named", "[dashboard]") {
  CHECK(refusal("limit=ten").why == "must be a whole number");
  CHECK(refusal("limit=5x").name == "limit");
  CHECK(refusal("limit=").why == "must be a whole number");
  CHECK(refusal("near=nan").why == "must be a number");
  CHECK(refusal("unanswered=yes").why == "must be true or false");
  CHECK(refusal("colour=red").why == "is not an argument of this tool");
  CHECK(refusal("limit=1&limit=2").why == "is given more than once");
  CHECK(refusal("ids=1").why.find("POST") != std::string::npos);
}
