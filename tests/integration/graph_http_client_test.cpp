// The HTTP client against the fake Graph API: TLS verification, keep-alive, reconnects,
// timeouts, body limits and the loopback-only rule for plain http.

#include <catch2/catch.hpp>

#include "integration/graph_harness.hpp"
#include "pons/http/client.hpp"

using namespace pons;
using namespace pons::graph_test;

namespace {

http::request get(const std::string& url, const std::string& token) {
  http::request req;
  req.url = url;
  req.headers.push_back({"Authorization", "Bearer " + token});
  return req;
}

}  // namespace

TEST_CASE("http client: keep-alive reuses one connection to the fake", "[graph][http]") {
  temp_dir dir;
  fake_graph_process fake(dir, {});
  http::client client;
  for (int i = 0; i < 3; ++i) {
    auto res = client.send(get(fake.base_url() + "/v25.0/1/message_templates", fake.token()));
    REQUIRE(res.has_value());
    CHECK(res->status == 200);
    CHECK(res->body.find("hello_world") != std::string::npos);
  }
  CHECK(client.connections_opened() == 1);
}

TEST_CASE("http client: reconnects when the server closed the kept-alive connection",
          "[graph][http]") {
  temp_dir dir;
  http::client client;
  int port = 0;
  {
    fake_graph_process first(dir, {});
    port = first.port();
    REQUIRE(client.send(get(first.base_url() + "/_fake/health", first.token())).has_value());
  }
  // A new server on the same port: the cached connection is dead, the request must still work.
  fake_graph_process second(dir, {"--port", std::to_string(port)});
  REQUIRE(second.port() == port);
  auto res = client.send(get(second.base_url() + "/_fake/health", second.token()));
  REQUIRE(res.has_value());
  CHECK(res->status == 200);
  CHECK(client.connections_opened() == 2);
}

TEST_CASE("http client: plain http only reaches loopback hosts", "[graph][http]") {
  http::client client;
  auto res = client.send(get("http://graph.example.com/v25.0/me", "t"));
  REQUIRE_FALSE(res.has_value());
  CHECK(res.error() == http::client_errc::insecure_scheme);
  auto bad = client.send(get("not a url", "t"));
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error() == http::client_errc::bad_url);
}

TEST_CASE("http client: TLS fails against an untrusted certificate, works with the CA file",
          "[graph][http][tls]") {
  temp_dir dir;
  auto pki = make_pki(dir);
  fake_graph_process fake(dir, {"--tls-cert", pki.server_cert, "--tls-key", pki.server_key});
  auto url = fake.base_url() + "/v25.0/1/message_templates";
  REQUIRE(url.rfind("https://localhost:", 0) == 0);

  http::client untrusted;
  auto refused = untrusted.send(get(url, fake.token()));
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error() == http::client_errc::tls_failed);

  http::client_options options;
  options.ca_file = pki.ca_cert;
  http::client trusted(options);
  auto ok = trusted.send(get(url, fake.token()));
  REQUIRE(ok.has_value());
  CHECK(ok->status == 200);

  // The IP SAN is checked too when the URL names the address.
  auto by_ip = trusted.send(
      get("https://127.0.0.1:" + std::to_string(fake.port()) + "/_fake/health", fake.token()));
  REQUIRE(by_ip.has_value());
  CHECK(by_ip->status == 200);

  // A certificate for another name is refused even when its CA is trusted.
  temp_dir other;
  std::ofstream(other.file("ext.cnf")) << "subjectAltName=DNS:not-this-host.example\n";
  std::string cmd = "cd '" + other.path().string() +
                    "' && openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                    "-keyout k.pem -out r.csr -subj /CN=not-this-host.example 2>/dev/null && "
                    "openssl x509 -req -in r.csr -CA '" +
                    pki.ca_cert + "' -CAkey '" + dir.file("ca.key") +
                    "' -CAcreateserial -out c.pem -days 2 -extfile ext.cnf "
                    "2>/dev/null";
  REQUIRE(std::system(cmd.c_str()) == 0);
  fake_graph_process wrong_name(
      other, {"--tls-cert", other.file("c.pem"), "--tls-key", other.file("k.pem")});
  auto mismatch = trusted.send(get(wrong_name.base_url() + "/_fake/health", fake.token()));
  REQUIRE_FALSE(mismatch.has_value());
  CHECK(mismatch.error() == http::client_errc::tls_failed);
}

TEST_CASE("http client: a slow server hits the request timeout", "[graph][http]") {
  temp_dir dir;
  fake_graph_process fake(dir, {});
  fake.control("POST", "/_fake/inject", R"({"delay_ms": 3000, "times": 1})");
  http::client_options options;
  options.timeout = std::chrono::milliseconds(300);
  http::client client(options);
  // The fake answers after 3 s: a timeout error (not an answer) shows the client gave up first.
  auto res = client.send(get(fake.base_url() + "/v25.0/1/message_templates", fake.token()));
  REQUIRE_FALSE(res.has_value());
  CHECK(res.error() == http::client_errc::timeout);
  // The client stays usable after a timeout.
  auto again = client.send(get(fake.base_url() + "/_fake/health", fake.token()));
  REQUIRE(again.has_value());
  CHECK(again->status == 200);
}

TEST_CASE("http client: response bodies over the limit are refused", "[graph][http]") {
  temp_dir dir;
  fake_graph_process fake(dir, {});
  http::client_options options;
  options.body_limit = 64;
  http::client client(options);
  auto res = client.send(get(fake.base_url() + "/v25.0/1/message_templates", fake.token()));
  REQUIRE_FALSE(res.has_value());
  CHECK(res.error() == http::client_errc::body_too_large);
}
