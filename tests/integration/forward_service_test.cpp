// Forwarding through the real pons-webhook: targets managed with the CLI, a signed Meta webhook
// ingested, the event delivered to a loopback receiver by the service's deliverer.
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "support/forward_receiver.hpp"
#include "support/webhook_payloads.hpp"
#include "support/webhook_process.hpp"

using namespace std::chrono_literals;
using pons::forward_test::received;
using pons::forward_test::receiver;
using pons::forward_test::reply;
using pons::test::process;

namespace {

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
  CHECK(req.headers.at("x-pons-signature") == pons::forward_test::expected_signature(secret, req));
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

TEST_CASE("forward: pons-webhook hands new outbox rows to its deliverer at once",
          "[forward][webhook]") {
  receiver rx([](const received&, std::size_t) { return reply{200}; });
  auto env = pons::test::default_webhook_env();
  // Neither polling nor the data_version check would find the delivery within the test: only
  // the ingest writer's notify can.
  env.push_back("PONS_FORWARD_POLL_MS=60000");
  env.push_back("PONS_FORWARD_CHANGE_MS=60000");
  pons::test::webhook_process svc(env);
  REQUIRE(svc.started());
  auto added = run_cli(svc.dir(), {"targets", "add", "--db", svc.db_path(), "--url", rx.url(),
                                   "--events", "message.inbound.received"});
  REQUIRE(added.code == 0);
  std::this_thread::sleep_for(200ms);  // the deliverer has looked for work and sleeps
  for (int i = 0; i < 3; ++i) {
    const auto body = pons::test::simple_payload(
        pons::test::default_phone_number_id,
        {pons::test::text_message_json("wamid.wake." + std::to_string(i), "16505551234", "hi")});
    auto res = svc.post(body);
    REQUIRE(res.has_value());
    REQUIRE(res->status == 200);
    INFO(svc.log());
    REQUIRE(rx.wait_for(static_cast<std::size_t>(i) + 1, 10s) == static_cast<std::size_t>(i) + 1);
  }
}

TEST_CASE("forward: pons-webhook --help leads to every admin command", "[forward][webhook]") {
  pons::test::temp_dir dir;
  auto help = run_cli(dir, {"--help"});
  REQUIRE(help.code == 0);
  for (const char* expected :
       {"--port", "pons-webhook targets --help", "pons-webhook deliveries --help"}) {
    INFO(expected);
    CHECK(help.out.find(expected) != std::string::npos);
  }
  auto targets = run_cli(dir, {"targets", "--help"});
  REQUIRE(targets.code == 0);
  auto deliveries = run_cli(dir, {"deliveries", "--help"});
  REQUIRE(deliveries.code == 0);
  for (const char* verb : {"add --url URL", "list", "show ID", "update ID", "remove ID",
                           "rotate-secret ID", "test ID"}) {
    INFO(verb);
    CHECK(targets.out.find(std::string("\n  ") + verb) != std::string::npos);
  }
  for (const char* verb : {"list", "show ID", "retry ID | --dead"}) {
    INFO(verb);
    CHECK(deliveries.out.find(std::string("\n  ") + verb) != std::string::npos);
  }
}
