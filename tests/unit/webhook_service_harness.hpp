#pragma once
// pons-webhook's webhook service in-process, behind a loopback server, for tests that need to
// reach inside it (a WAL sync that fails on demand, the writer held by a lock).
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "pons/http/server.hpp"
#include "pons/meta/signature.hpp"
#include "pons/webhook/webhook_service.hpp"
#include "support/process_http_client.hpp"
#include "support/webhook_payloads.hpp"
#include "unit/store_test_util.hpp"

namespace pons::test::in_process {

inline constexpr const char* number = "106540352242922";
inline constexpr const char* secret = "in-process-test-secret";

inline pons::webhook::webhook_service_options service_options(
    const pons::store::test::temp_dir& dir) {
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
  return so;
}

inline std::optional<pons::test::http_response> post_message(std::uint16_t port,
                                                             const std::string& wamid) {
  auto body = pons::test::simple_payload(
      number, {pons::test::text_message_json(wamid, "16505551234", "hello")});
  return pons::test::http_request(port, "POST", "/webhook/meta", body,
                                  {{"Content-Type", "application/json"},
                                   {"X-Hub-Signature-256", pons::meta::sign_body(body, secret)}});
}

// The service behind a loopback server, run by a thread of its own until stop().
struct serving {
  pons::webhook::webhook_service service;
  std::unique_ptr<pons::http::server> srv;
  std::uint16_t port = 0;
  std::thread runner;

  serving(boost::asio::io_context& io, pons::webhook::webhook_service_options so)
      : service(io, std::move(so)) {
    REQUIRE(service.open().has_value());
    pons::http::server_options sopt;
    sopt.port = 0;
    sopt.log_sink = [](std::string_view) {};
    srv = std::make_unique<pons::http::server>(io, sopt, service.routes());
    auto listening = srv->listen();
    REQUIRE(listening.has_value());
    port = *listening;
    runner = std::thread([&io] { io.run(); });
  }
  void stop() {
    srv->stop();
    runner.join();
    service.close();
  }
  ~serving() {
    if (runner.joinable()) stop();
  }
  serving(const serving&) = delete;
  serving& operator=(const serving&) = delete;
};

}  // namespace pons::test::in_process
