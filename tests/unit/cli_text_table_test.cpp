#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "pons/cli/text_table.hpp"

using pons::cli::or_dash;
using pons::cli::print_table;

TEST_CASE("text table: columns as wide as their widest cell, two spaces apart", "[cli]") {
  std::ostringstream out;
  print_table(out, {"ID", "URL", "STATE"},
              {{"1", "http://127.0.0.1:9/hook", "active"}, {"12", "https://x.example", "-"}});
  CHECK(out.str() ==
        "ID  URL                      STATE\n"
        "1   http://127.0.0.1:9/hook  active\n"
        "12  https://x.example        -\n");
}

TEST_CASE("text table: a header without rows, and a last cell never padded", "[cli]") {
  std::ostringstream out;
  print_table(out, {"ATTEMPT", "ERROR"}, {});
  CHECK(out.str() == "ATTEMPT  ERROR\n");
}

TEST_CASE("text table: a column with several-byte characters still lines up", "[cli]") {
  std::ostringstream out;
  print_table(out, {"NAME", "ID"}, {{"caf\xc3\xa9", "1"}, {"tea", "22"}});
  CHECK(out.str() ==
        "NAME   ID\n"
        "caf\xc3\xa9   1\n"
        "tea    22\n");
}

TEST_CASE("text table: or_dash shows an empty value as -", "[cli]") {
  CHECK(or_dash("") == "-");
  CHECK(or_dash("2026-12-02T12:00:00Z") == "2026-12-02T12:00:00Z");
}
