#include <catch2/catch.hpp>

#include "pons/mcp/tools/tool_args.hpp"

using namespace pons::mcp;

TEST_CASE("text_arg_problem bounds characters, not bytes, and refuses NUL", "[mcp]") {
  CHECK(text_arg_problem("Alice", 5).empty());
  CHECK(text_arg_problem("\xC3\xA9\xC3\xA9", 2).empty());  // two characters, four bytes
  CHECK_THAT(text_arg_problem("Alice!", 5), Catch::Contains("at most 5 characters"));
  CHECK_THAT(text_arg_problem(std::string("a\0b", 3), 10), Catch::Contains("NUL"));
  CHECK(max_contact_chars == 256);
}
