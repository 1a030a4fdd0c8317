// Forwarding through the real pons-webhook: targets managed with the CLI, a signed Meta webhook
// ingested, the event delivered to a loopback receiver by the service's deliverer.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "integration/forward_receiver.hpp"
#include "support/webhook_process.hpp"

using namespace std::chrono_literals;
using pons::forward_test::received;
using pons::forward_test::receiver;
using pons::forward_test::reply;
using pons::test::process;

namespace {

std::string hmac_hex(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  std::string hex;
  char buf[3];
  for (unsigned i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", out[i]);
    hex += buf;
  }
  return hex;
}

struct cli_run {
  int code = -1;
  std::string out;
  std::string err;
};

// Runs `pons-webhook <args>` to completion.
cli_run run_cli(const pons::test::temp_dir& dir, std::vector<std::string> args) {
  static int n = 0;
  const auto out = dir.file("cli-" + std::to_string(++n) + ".out");
  const auto err = dir.file("cli-" + std::to_string(n) + ".err");
  auto p = process::start(PONS_WEBHOOK_BIN, args, {"HOME=" + dir.path()}, out, err);
  cli_run r;
  r.code = p.wait_exit(20s).value_or(-1);
  r.out = pons::test::read_text_file(out);
  r.err = pons::test::read_text_file(err);
  return r;
}

}  // namespace

TEST_CASE("forward: pons-webhook delivers an ingested message to a target added by the CLI",
          "[forward][webhook]") {
  receiver rx([](const received&, std::size_t) { return reply{200}; });
  auto env = pons::test::default_webhook_env();
  env.push_back("PONS_FORWARD_POLL_MS=20");
  pons::test::webhook_process svc(env);
  REQUIRE(svc.started());
  const auto& dir = svc.dir();

  auto refused =
      run_cli(dir, {"targets", "add", "--db", svc.db_path(), "--url", "http://example.com/hook"});
  CHECK(refused.code == 1);
  CHECK(refused.err.find("https://") != std::string::npos);

  auto added = run_cli(dir, {"targets", "add", "--db", svc.db_path(), "--url", rx.url(), "--events",
                             "message.inbound.received", "--json"});
  INFO(added.err);
  REQUIRE(added.code == 0);
  auto created = boost::json::parse(added.out).as_object();
  const std::string secret(created.at("secret").as_string());
  REQUIRE(secret.size() == 64);

  auto listed = run_cli(dir, {"targets", "list", "--db", svc.db_path(), "--json"});
  REQUIRE(listed.code == 0);
  CHECK(boost::json::parse(listed.out).as_array().size() == 1);
  CHECK(listed.out.find(secret) == std::string::npos);

  auto res = svc.post(pons::test::webhook_fixture("messages/text.json"));
  REQUIRE(res.has_value());
  REQUIRE(res->status == 200);
  INFO(svc.log());
  INFO("deliveries: " << svc.count("SELECT COUNT(*) FROM webhook_deliveries"));
  INFO("messages: " << svc.count("SELECT COUNT(*) FROM messages"));
  REQUIRE(rx.wait_for(1, 10s) == 1);
  const auto req = rx.requests().front();
  CHECK(req.headers.at("x-pons-event-type") == "message.inbound.received");
  CHECK(req.headers.at("x-pons-signature") ==
        hmac_hex(secret, req.headers.at("x-pons-timestamp") + "." + req.body));
  auto body = boost::json::parse(req.body).as_object();
  CHECK(body.at("type") == "message.inbound.received");
  CHECK(body.at("id").as_string() == req.headers.at("x-pons-event-id"));

  // The delivery is recorded as succeeded and shows in the CLI and in /metrics.
  std::string shown;
  for (int i = 0; i < 100; ++i) {
    auto list = run_cli(dir, {"deliveries", "list", "--db", svc.db_path(), "--json"});
    shown = list.out;
    if (shown.find("\"succeeded\"") != std::string::npos) break;
    std::this_thread::sleep_for(50ms);
  }
  CHECK(shown.find("\"succeeded\"") != std::string::npos);
  auto metrics = svc.get("/metrics");
  REQUIRE(metrics.has_value());
  CHECK(metrics->body.find("pons_forward_target_consecutive_failures{target=\"1\"} 0") !=
        std::string::npos);
  CHECK(
      metrics->body.find("pons_forward_target_last_success_timestamp_seconds{target=\"1\"} 0\n") ==
      std::string::npos);
  CHECK(svc.log().find(secret) == std::string::npos);
}
