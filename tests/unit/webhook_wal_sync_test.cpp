// pons-webhook's durable acknowledgements in-process, with a WAL sync that fails on demand (a
// real disk error cannot be produced in a test): what a failed sync covered is not acknowledged,
// and nothing is after it.
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <thread>

#include "pons/http/server.hpp"
#include "pons/meta/signature.hpp"
#include "pons/webhook/webhook_service.hpp"
#include "support/process_http_client.hpp"
#include "support/webhook_payloads.hpp"
#include "unit/store_test_util.hpp"

namespace {

constexpr const char* number = "106540352242922";
constexpr const char* secret = "wal-sync-test-secret";

}  // namespace

TEST_CASE("webhook: a failed WAL sync is not acknowledged, and nothing is after it",
          "[webhook][sync]") {
  pons::store::test::temp_dir dir;
  boost::asio::io_context io{1};

  pons::webhook::webhook_service_options so;
  pons::meta::account account;
  account.waba_id = "102290129340398";
  account.app_secret = secret;
  account.verify_token = "verify";
  account.phone_numbers = {{number, ""}};
  account.source = "env";
  so.accounts.accounts.push_back(account);
  so.db_path = dir.file("pons.db");
  so.media_dir = dir.file("media");
  so.media = false;
  std::atomic<int> syncs{0};
  // The second sync fails; every later one "succeeds" again, as a kernel may report after it
  // has dropped the pages it could not write.
  so.wal_sync = [&]() -> boost::system::error_code {
    if (++syncs == 2) return make_error_code(boost::system::errc::io_error);
    return {};
  };
  pons::webhook::webhook_service service(io, std::move(so));
  REQUIRE(service.open().has_value());

  pons::http::server_options sopt;
  sopt.port = 0;
  sopt.log_sink = [](std::string_view) {};
  pons::http::server srv(io, sopt, service.routes());
  auto port = srv.listen();
  REQUIRE(port.has_value());
  std::thread runner([&] { io.run(); });

  auto post = [&](const std::string& wamid) {
    auto body = pons::test::simple_payload(
        number, {pons::test::text_message_json(wamid, "16505551234", "hello")});
    return pons::test::http_request(*port, "POST", "/webhook/meta", body,
                                    {{"Content-Type", "application/json"},
                                     {"X-Hub-Signature-256", pons::meta::sign_body(body, secret)}});
  };

  auto first = post("wamid.sync.1");
  auto second = post("wamid.sync.2");
  auto third = post("wamid.sync.3");
  const int syncs_after_posts = syncs.load();
  auto health = pons::test::http_request(*port, "GET", "/health");
  srv.stop();
  runner.join();
  service.close();

  REQUIRE(first);
  CHECK(first->status == 200);  // its sync succeeded
  REQUIRE(second);
  CHECK(second->status == 500);  // committed, but its sync failed: Meta will deliver it again
  REQUIRE(third);
  CHECK(third->status == 500);    // after a failed sync nothing is acknowledged
  CHECK(syncs_after_posts == 2);  // the third was not even written
  REQUIRE(health);
  CHECK(health->status == 503);
  CHECK(health->body.find("restart pons-webhook") != std::string::npos);
}
