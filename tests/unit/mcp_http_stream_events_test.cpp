#include <catch2/catch.hpp>

#include "pons/mcp_http/stream_events.hpp"

using namespace pons::mcp_http;

TEST_CASE("SSE event ids name the stream and the event, and read back", "[mcp_http]") {
  CHECK(event_id{3, 17}.text() == "3-17");
  auto id = event_id::parse("3-17");
  REQUIRE(id);
  CHECK(id->stream == 3);
  CHECK(id->seq == 17);
  CHECK(event_id::parse("1-0"));
  for (const char* bad :
       {"", "3", "-1", "3-", "a-1", "1-b", "1-2-3", "1 -2", "99999999999999999999-1"})
    CHECK_FALSE(event_id::parse(bad));
}

TEST_CASE("a resumed stream gets again what was written after the last event received",
          "[mcp_http]") {
  stream_events e(3);
  for (const char* m : {"a", "b", "c", "d", "e"}) e.push(m);
  CHECK(e.front_seq() == 1);
  for (int i = 0; i < 4; ++i) e.pop_written();  // a..d written; b, c, d kept
  CHECK(e.front_seq() == 5);
  CHECK(e.front() == "e");

  CHECK_FALSE(e.rewind(5));  // never written
  CHECK_FALSE(e.rewind(0));  // a is no longer kept
  CHECK(e.front_seq() == 5);
  CHECK(e.size() == 1);

  REQUIRE(e.rewind(2));  // the client has a and b
  CHECK(e.front_seq() == 3);
  CHECK(e.size() == 3);
  CHECK(e.front() == "c");
  e.pop_written();
  CHECK(e.front() == "d");
  REQUIRE(e.rewind(3));  // nothing missed: nothing changes
  CHECK(e.front() == "d");
  CHECK(e.front_seq() == 4);
}

TEST_CASE("a stream that keeps nothing can only resume from its last written event", "[mcp_http]") {
  stream_events e;
  e.push("a");
  e.push("b");
  e.pop_written();
  CHECK_FALSE(e.rewind(0));
  CHECK(e.rewind(1));
  CHECK(e.front() == "b");
}
