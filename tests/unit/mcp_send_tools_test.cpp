#include <catch2/catch.hpp>

#include "core/mcp/tools/send_tools.hpp"

using pons::mcp::parse_allowed_recipients;

TEST_CASE("PONS_ALLOWED_RECIPIENTS parses typed numbers into wa_ids", "[mcp]") {
  CHECK(parse_allowed_recipients("+44 7700 900001, 447700900002,,") ==
        std::vector<std::string>{"447700900001", "447700900002"});
  CHECK(parse_allowed_recipients("(+1) 650-555-1234") == std::vector<std::string>{"16505551234"});
  CHECK(parse_allowed_recipients("").empty());
  CHECK(parse_allowed_recipients(" , ").empty());
}
