#include <catch2/catch.hpp>

#include "pons/forward/url_policy.hpp"

using namespace pons::forward;

TEST_CASE("forward: https URLs are accepted and split", "[forward]") {
  auto p = parse_target_url("https://hooks.example.com/pons/in?x=1");
  REQUIRE(p.has_value());
  CHECK(p->tls);
  CHECK(p->host == "hooks.example.com");
  CHECK(p->port == "443");
  CHECK(p->target == "/pons/in?x=1");
  CHECK(p->host_header == "hooks.example.com");

  auto q = parse_target_url("HTTPS://example.com:8443");
  REQUIRE(q.has_value());
  CHECK(q->port == "8443");
  CHECK(q->target == "/");
}

TEST_CASE("forward: plain http only reaches loopback", "[forward]") {
  for (auto url : {"http://localhost:8080/hook", "http://127.0.0.1:9/x", "http://127.5.6.7/",
                   "http://[::1]:3000/"}) {
    INFO(url);
    auto p = parse_target_url(url);
    REQUIRE(p.has_value());
    CHECK_FALSE(p->tls);
  }
  CHECK(parse_target_url("http://[::1]:3000/")->host == "::1");
  for (auto url : {"http://example.com/hook", "http://10.0.0.5/", "http://192.168.1.2:80/",
                   "http://localhost.example.com/", "http://[::2]/"}) {
    INFO(url);
    auto p = parse_target_url(url);
    REQUIRE_FALSE(p.has_value());
    CHECK(p.error() == forward_errc::insecure_url);
  }
  CHECK(std::string(make_error_code(forward_errc::insecure_url).message()).find("https") !=
        std::string::npos);
}

TEST_CASE("forward: malformed target URLs are refused", "[forward]") {
  for (auto url : {"", "example.com/hook", "ftp://example.com/", "https://", "/relative",
                   "https://user:pw@example.com/", "https://example.com:0/",
                   // An address followed by more name: not the address (nor a path).
                   "https://10.0.0.1.example.com/hook", "http://127.0.0.1x/"}) {
    INFO(url);
    auto p = parse_target_url(url);
    REQUIRE_FALSE(p.has_value());
    CHECK(p.error() == forward_errc::invalid_url);
  }
}

TEST_CASE("forward: link-local and metadata addresses are refused", "[forward]") {
  for (auto ip :
       {"169.254.169.254", "169.254.0.1", "fe80::1", "febf::1", "::ffff:169.254.169.254",
        "fd00:ec2::254", "100.100.100.200", "0.0.0.0", "::", "224.0.0.1", "ff02::1", "not-an-ip"}) {
    INFO(ip);
    CHECK(is_refused_address(ip));
  }
  for (auto ip : {"127.0.0.1", "::1", "10.1.2.3", "192.168.0.10", "93.184.216.34", "2001:db8::1",
                  "169.253.255.255", "fec0::1"}) {
    INFO(ip);
    CHECK_FALSE(is_refused_address(ip));
  }
}

TEST_CASE("forward: every error code has its own message", "[forward]") {
  std::vector<std::string> seen;
  for (int e = static_cast<int>(forward_errc::invalid_url);
       e <= static_cast<int>(forward_errc::random_failed); ++e) {
    auto msg = make_error_code(static_cast<forward_errc>(e)).message();
    CHECK(msg != "unknown forwarding error");
    CHECK(std::find(seen.begin(), seen.end(), msg) == seen.end());
    seen.push_back(msg);
  }
}
