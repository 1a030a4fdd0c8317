// The fake Graph API's automatic status updates (the sandbox turns them on): a message it
// accepts moves to sent, delivered and read by itself, through signed webhooks, as Meta's would.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "integration/graph_harness.hpp"
#include "pons/http/client.hpp"
#include "support/forward_receiver.hpp"

using pons::forward_test::hmac_sha256_hex;
using pons::forward_test::received;
using pons::forward_test::receiver;
using pons::forward_test::reply;
using pons::graph_test::fake_graph_process;
using pons::graph_test::temp_dir;

namespace {

// POSTs a text message through the fake's Graph API and returns the wamid it answered with.
std::string send_text(const fake_graph_process& fake, const std::string& to) {
  pons::http::client client;
  pons::http::request req;
  req.method = "POST";
  req.url = fake.base_url() + "/v25.0/106540352242922/messages";
  req.headers = {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + fake.token()}};
  req.body = R"({"messaging_product":"whatsapp","to":")" + to +
             R"(","type":"text","text":{"body":"hello"}})";
  auto res = client.send(req);
  REQUIRE(res.has_value());
  REQUIRE(res->status == 200);
  return std::string(
      boost::json::parse(res->body).at("messages").at(0).at("id").as_string().c_str());
}

// The one status a status webhook carries (a copy: the parsed webhook is a temporary).
boost::json::object status_of(const std::string& body) {
  auto webhook = boost::json::parse(body);
  return webhook.at("entry").at(0).at("changes").at(0).at("value").at("statuses").at(0).as_object();
}

}  // namespace

TEST_CASE("with --auto-status-ms a sent message is delivered and read by itself", "[fake_graph]") {
  temp_dir dir;
  receiver rx([](const received&, std::size_t) { return reply{200}; });
  fake_graph_process fake(dir, {"--app-secret", "app-secret", "--webhook-url", rx.url("/webhook"),
                                "--auto-status-ms", "20"});
  const auto wamid = send_text(fake, "+1 650-555-1234");

  REQUIRE(rx.wait_for(3, std::chrono::seconds(10)) >= 3);
  auto got = rx.requests();
  std::vector<std::string> statuses;
  for (const auto& r : got) {
    CHECK(r.headers.at("x-hub-signature-256") == "sha256=" + hmac_sha256_hex("app-secret", r.body));
    const auto st = status_of(r.body);
    CHECK(st.at("id") == wamid.c_str());
    CHECK(st.at("recipient_id") == "16505551234");
    statuses.emplace_back(st.at("status").as_string().c_str());
  }
  CHECK(statuses == std::vector<std::string>{"sent", "delivered", "read"});
  CHECK(fake.control("GET", "/_fake/config").at("auto_status_ms") == 20);
}

TEST_CASE("auto statuses can be switched on at run time and refused messages get none",
          "[fake_graph]") {
  temp_dir dir;
  receiver rx([](const received&, std::size_t) { return reply{200}; });
  fake_graph_process fake(dir, {"--webhook-url", rx.url("/webhook")});
  CHECK(fake.control("GET", "/_fake/config").at("auto_status_ms") == 0);
  CHECK(fake.control("POST", "/_fake/config", R"({"auto_status_ms":10})").at("auto_status_ms") ==
        10);
  // A message Meta refuses (outside the window) never gets statuses; the next one does.
  fake.control("POST", "/_fake/inject", R"({"code":131047,"times":1})");
  {
    pons::http::client client;
    pons::http::request req;
    req.method = "POST";
    req.url = fake.base_url() + "/v25.0/106540352242922/messages";
    req.headers = {{"Content-Type", "application/json"},
                   {"Authorization", "Bearer " + fake.token()}};
    req.body = R"({"messaging_product":"whatsapp","to":"16505550000","text":{"body":"x"}})";
    auto res = client.send(req);
    REQUIRE(res.has_value());
    CHECK(res->status == 400);
  }
  const auto wamid = send_text(fake, "16505551234");
  REQUIRE(rx.wait_for(3, std::chrono::seconds(10)) >= 3);
  for (const auto& r : rx.requests()) {
    CHECK(status_of(r.body).at("id") == wamid.c_str());
  }
}
