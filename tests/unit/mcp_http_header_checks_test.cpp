#include <catch2/catch.hpp>

#include "pons/mcp_http/header_checks.hpp"

using namespace pons::mcp_http;
using pons::mcp::protocol_version;

TEST_CASE("Accept admits a type listed, by wildcard, and not at q=0", "[mcp_http]") {
  CHECK(accepts("application/json, text/event-stream", "text/event-stream"));
  CHECK(accepts("application/json, text/event-stream", "application/json"));
  CHECK(accepts("Application/JSON;charset=utf-8", "application/json"));
  CHECK(accepts("*/*", "text/event-stream"));
  CHECK(accepts("text/*;q=0.5", "text/event-stream"));
  CHECK_FALSE(accepts("application/json", "text/event-stream"));
  CHECK_FALSE(accepts("text/event-stream;q=0", "text/event-stream"));
  CHECK_FALSE(accepts("text/event-stream;q=0.000", "text/event-stream"));
  CHECK(accepts("text/event-stream;q=0.001", "text/event-stream"));
  CHECK_FALSE(accepts("", "application/json"));
  CHECK_FALSE(accepts("application/jsonx", "application/json"));
}

TEST_CASE("Content-Type must be application/json, parameters aside", "[mcp_http]") {
  CHECK(is_json_content_type("application/json"));
  CHECK(is_json_content_type("application/json; charset=utf-8"));
  CHECK(is_json_content_type("APPLICATION/JSON"));
  CHECK_FALSE(is_json_content_type("text/plain"));
  CHECK_FALSE(is_json_content_type(""));
  CHECK_FALSE(is_json_content_type("application/json-seq"));
}

TEST_CASE("Origin: absent passes, listed passes, loopback on request, others fail", "[mcp_http]") {
  std::vector<std::string> allowed{"https://app.example.com"};
  CHECK(origin_allowed("", allowed));
  CHECK(origin_allowed("https://app.example.com", allowed));
  CHECK(origin_allowed("HTTPS://APP.EXAMPLE.COM", allowed));
  CHECK_FALSE(origin_allowed("https://app.example.com.evil.test", allowed));
  CHECK_FALSE(origin_allowed("null", allowed));
  CHECK(is_loopback_origin("http://localhost:8080"));
  CHECK(is_loopback_origin("http://127.0.0.1"));
  CHECK(is_loopback_origin("https://[::1]:443"));
  CHECK_FALSE(is_loopback_origin("http://localhost.evil.test"));
  CHECK_FALSE(is_loopback_origin("http://localhost:80x"));
  CHECK_FALSE(is_loopback_origin("http://127.0.0.1.nip.io"));
  CHECK_FALSE(is_loopback_origin("file://localhost"));
  CHECK_FALSE(is_loopback_origin("null"));
}

TEST_CASE("session ids are 1..128 visible ASCII characters", "[mcp_http]") {
  CHECK(valid_session_id("abc"));
  CHECK(valid_session_id(std::string(128, '~')));
  CHECK_FALSE(valid_session_id(""));
  CHECK_FALSE(valid_session_id(std::string(129, 'a')));
  CHECK_FALSE(valid_session_id("a b"));
  CHECK_FALSE(valid_session_id("a\x7f"));
}

TEST_CASE("MCP-Protocol-Version: absent means the session's, else one we support", "[mcp_http]") {
  auto v = protocol_version::v2025_11_25;
  CHECK(check_protocol_header("", false, v) == v);
  CHECK(check_protocol_header("2025-11-25", true, v) == v);
  CHECK(check_protocol_header(" 2025-11-25 ", true, v) == v);
  CHECK(check_protocol_header("2025-03-26", true, v) == protocol_version::v2025_03_26);
  CHECK_FALSE(check_protocol_header("2099-01-01", true, v));
  CHECK_FALSE(check_protocol_header("", true, v));
}
