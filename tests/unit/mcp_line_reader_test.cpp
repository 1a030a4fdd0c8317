#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "pons/mcp/line_reader.hpp"

using pons::mcp::line_reader;

namespace {
struct recorder {
  std::vector<std::string> lines;
  std::vector<std::size_t> oversized;
  line_reader make(std::size_t limit) {
    return line_reader(
        limit, [this](std::string_view l) { lines.emplace_back(l); },
        [this](std::size_t n) { oversized.push_back(n); });
  }
};
}  // namespace

TEST_CASE("line reader joins lines split across chunks", "[mcp]") {
  recorder r;
  auto reader = r.make(100);
  reader.feed("{\"a\":");
  reader.feed("1}\n{\"b\"");
  CHECK(r.lines == std::vector<std::string>{"{\"a\":1}"});
  reader.feed(":2}\r\n\n");
  CHECK(r.lines == std::vector<std::string>{"{\"a\":1}", "{\"b\":2}"});
  CHECK(r.oversized.empty());
}

TEST_CASE("line reader reports an over-long line once and keeps serving", "[mcp]") {
  recorder r;
  auto reader = r.make(8);
  reader.feed("12345678\n");  // exactly the limit: accepted
  reader.feed("123456789");   // over the limit, no newline yet
  reader.feed(std::string(1000, 'x'));
  reader.feed("tail\nok\n");
  CHECK(r.lines == std::vector<std::string>{"12345678", "ok"});
  CHECK(r.oversized == std::vector<std::size_t>{8});
}

TEST_CASE("line reader delivers a final unterminated line at end of input", "[mcp]") {
  recorder r;
  auto reader = r.make(100);
  reader.feed("first\nlast");
  CHECK(r.lines.size() == 1);
  reader.finish();
  CHECK(r.lines == std::vector<std::string>{"first", "last"});
}
