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

TEST_CASE("2026-07-28 errors map to the transport page's HTTP status", "[mcp_http]") {
  CHECK(modern_error_status(-32601) == 404);
  CHECK(modern_error_status(-32602) == 400);
  CHECK(modern_error_status(-32020) == 400);
  CHECK(modern_error_status(-32021) == 400);
  CHECK(modern_error_status(-32022) == 400);
  CHECK(modern_error_status(-32603) == 200);
  CHECK(modern_error_status(-32000) == 200);
}

TEST_CASE("headers that mirror the body must agree with it", "[mcp_http]") {
  mirrored_fields f;
  f.method_body = "tools/call";
  f.protocol_body = "2026-07-28";
  f.name_body = "get_messages";
  f.protocol_header = "2026-07-28";
  f.method_header = "tools/call";
  f.name_header = "get_messages";
  CHECK_FALSE(header_mismatch(f));
  f.name_header = "=?base64?Z2V0X21lc3NhZ2Vz?=";  // "get_messages"
  CHECK_FALSE(header_mismatch(f));
  f.name_header = "=?base64?!!?=";
  CHECK(header_mismatch(f));
  f.name_header = "send_text";
  auto name = header_mismatch(f);
  REQUIRE(name);
  CHECK(name->find("Mcp-Name") != std::string::npos);
  f.name_header = "get_messages";
  f.method_header = "tools/list";
  auto method = header_mismatch(f);
  REQUIRE(method);
  CHECK(method->find("Mcp-Method") != std::string::npos);
  f.method_header = "tools/call";
  f.protocol_header = "2025-11-25";
  auto version = header_mismatch(f);
  REQUIRE(version);
  CHECK(version->find("MCP-Protocol-Version") != std::string::npos);
  // Without a version in the body, the header has nothing to disagree with (the missing _meta
  // field is refused as invalid params instead).
  f.protocol_body.reset();
  CHECK_FALSE(header_mismatch(f));
}

TEST_CASE("a 2026-07-28 request without a required header is refused, naming the header",
          "[mcp_http]") {
  mirrored_fields f;
  f.method_body = "tools/call";
  f.protocol_body = "2026-07-28";
  f.name_body = "get_messages";
  auto protocol = header_mismatch(f);
  REQUIRE(protocol);
  CHECK(protocol->find("MCP-Protocol-Version") != std::string::npos);
  CHECK(protocol->find("missing") != std::string::npos);
  f.protocol_header = "2026-07-28";
  auto method = header_mismatch(f);
  REQUIRE(method);
  CHECK(method->find("Mcp-Method: tools/call") != std::string::npos);
  f.method_header = "tools/call";
  auto name = header_mismatch(f);
  REQUIRE(name);
  CHECK(name->find("Mcp-Name: get_messages") != std::string::npos);
  f.name_header = "get_messages";
  CHECK_FALSE(header_mismatch(f));

  // Only tools/call, resources/read and prompts/get name their target in a header.
  mirrored_fields listing;
  listing.method_body = "tools/list";
  listing.protocol_body = "2026-07-28";
  listing.protocol_header = "2026-07-28";
  listing.method_header = "tools/list";
  CHECK_FALSE(header_mismatch(listing));
  listing.method_body = "prompts/get";
  listing.method_header = "prompts/get";
  CHECK_FALSE(header_mismatch(listing));  // the body names no prompt: nothing to mirror
  CHECK(names_its_target("resources/read"));
  CHECK_FALSE(names_its_target("resources/list"));
}
