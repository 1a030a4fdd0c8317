#include <catch2/catch.hpp>

#include "pons/http/client.hpp"

using pons::http::client_errc;
using pons::http::is_loopback_host;

TEST_CASE("loopback hosts are the only plain-http targets", "[graph][http]") {
  CHECK(is_loopback_host("localhost"));
  CHECK(is_loopback_host("LOCALHOST"));
  CHECK(is_loopback_host("127.0.0.1"));
  CHECK(is_loopback_host("127.8.9.10"));
  CHECK(is_loopback_host("::1"));
  CHECK(is_loopback_host("[::1]"));
  CHECK_FALSE(is_loopback_host("128.0.0.1"));
  CHECK_FALSE(is_loopback_host("graph.facebook.com"));
  CHECK_FALSE(is_loopback_host("localhost.example.com"));
  CHECK_FALSE(is_loopback_host("10.0.0.1"));
  CHECK_FALSE(is_loopback_host(""));
}

TEST_CASE("every client error has a message", "[graph][http]") {
  for (int e = static_cast<int>(client_errc::bad_url);
       e <= static_cast<int>(client_errc::tls_setup_failed); ++e) {
    auto ec = make_error_code(static_cast<client_errc>(e));
    CHECK(ec.message() != "unknown http client error");
    CHECK_FALSE(ec.message().empty());
  }
}

TEST_CASE("a missing CA file is reported, not ignored", "[graph][http]") {
  pons::http::client_options options;
  options.ca_file = "/nonexistent/ca.pem";
  pons::http::client client(options);
  pons::http::request req;
  req.url = "https://localhost:1/";
  auto res = client.send(req);
  REQUIRE_FALSE(res.has_value());
  CHECK(res.error() == client_errc::tls_setup_failed);
}

TEST_CASE("an address followed by more host name is a bad URL, not the address", "[graph][http]") {
  pons::http::client client(pons::http::client_options{});
  for (const char* url : {"http://127.0.0.1.example.com/", "http://127.0.0.1x/v25.0/1"}) {
    INFO(url);
    pons::http::request req;
    req.url = url;
    auto res = client.send(req);
    REQUIRE_FALSE(res.has_value());
    CHECK(res.error() == client_errc::bad_url);
  }
}
