#include <catch2/catch.hpp>
#include <map>

#include "pons/cli/webhook_options.hpp"
#include "unit/env_of.hpp"

using pons::test::env_of;

using namespace pons::cli;

TEST_CASE("defaults and the database path search order", "[webhook_options]") {
  auto p = parse_webhook_options({}, env_of({{"HOME", "/home/u"}}), "/");
  REQUIRE(p.error.empty());
  CHECK(p.options.command == webhook_command::serve);
  CHECK(p.options.bind_address == "127.0.0.1");
  CHECK(p.options.port == 8080);
  CHECK(p.options.db_path == "/home/u/.local/share/pons/pons.db");
  CHECK(parse_webhook_options({}, env_of({{"HOME", "/h"}, {"XDG_DATA_HOME", "/x"}}), "/")
            .options.db_path == "/x/pons/pons.db");
  CHECK(parse_webhook_options({}, env_of({{"HOME", "/h"}, {"PONS_DB", "d/p.db"}}), "/w")
            .options.db_path == "/w/d/p.db");
  CHECK_FALSE(parse_webhook_options({}, env_of({}), "/").error.empty());
  CHECK(
      parse_webhook_options({"--db", "postgres://x/y"}, env_of({}), "/").error.find("PostgreSQL") !=
      std::string::npos);
}

TEST_CASE("flags in both spellings", "[webhook_options]") {
  auto p = parse_webhook_options(
      {"serve", "--bind", "0.0.0.0", "--port=0", "--db", "/tmp/a.db", "--port-file", "/tmp/port",
       "--config=/etc/p.json", "--header-timeout-ms", "250", "--queue-limit", "8", "--no-media"},
      env_of({}), "/");
  REQUIRE(p.error.empty());
  CHECK(p.options.bind_address == "0.0.0.0");
  CHECK(p.options.port == 0);
  CHECK(p.options.db_path == "/tmp/a.db");
  CHECK(p.options.port_file == "/tmp/port");
  CHECK(p.options.config_path == "/etc/p.json");
  CHECK(p.options.header_timeout == std::chrono::milliseconds(250));
  CHECK(p.options.queue_limit == 8);
  CHECK_FALSE(p.options.media);
}

TEST_CASE("help, version and errors", "[webhook_options]") {
  auto env = env_of({{"HOME", "/h"}});
  CHECK(parse_webhook_options({"--help"}, env, "/").options.command == webhook_command::help);
  CHECK(parse_webhook_options({"--version"}, env, "/").options.command == webhook_command::version);
  CHECK(parse_webhook_options({"--port", "65536"}, env, "/").error.find("--port") !=
        std::string::npos);
  CHECK(parse_webhook_options({"--port"}, env, "/").error.find("--port") != std::string::npos);
  CHECK(parse_webhook_options({"--port", "12a"}, env, "/").error.find("12a") != std::string::npos);
  CHECK(parse_webhook_options({"--nope"}, env, "/").error.find("--nope") != std::string::npos);
  CHECK(parse_webhook_options({"stray"}, env, "/").error.find("stray") != std::string::npos);
  CHECK_FALSE(parse_webhook_options({"--header-timeout-ms", "0"}, env, "/").error.empty());
  CHECK(webhook_usage().find("WA_APP_SECRET") != std::string_view::npos);
}

TEST_CASE("retention flags keep idempotency keys at least 7 days", "[webhook_options]") {
  auto env = env_of({{"HOME", "/h"}});
  auto defaults = parse_webhook_options({}, env, "/");
  REQUIRE(defaults.error.empty());
  CHECK(defaults.options.log_retention_days == 30);
  CHECK(defaults.options.dedup_retention_days == 30);
  CHECK(defaults.options.prune_interval == std::chrono::seconds(3600));

  auto p = parse_webhook_options(
      {"--log-retention-days", "0", "--dedup-retention-days=7", "--prune-interval-s", "5"}, env,
      "/");
  REQUIRE(p.error.empty());
  CHECK(p.options.log_retention_days == 0);
  CHECK(p.options.dedup_retention_days == 7);
  CHECK(p.options.prune_interval == std::chrono::seconds(5));
  CHECK(parse_webhook_options({"--dedup-retention-days", "0"}, env, "/").error.empty());

  auto short_keys = parse_webhook_options({"--dedup-retention-days", "6"}, env, "/");
  CHECK(short_keys.error.find("7 days") != std::string::npos);
  CHECK_FALSE(parse_webhook_options({"--log-retention-days", "-1"}, env, "/").error.empty());
  CHECK_FALSE(parse_webhook_options({"--prune-interval-s", "0"}, env, "/").error.empty());
}

TEST_CASE("connection limits, and the keep-alive wait is the header deadline",
          "[webhook_options]") {
  auto env = env_of({{"HOME", "/h"}});
  auto defaults = parse_webhook_options({}, env, "/");
  REQUIRE(defaults.error.empty());
  CHECK(defaults.options.max_connections == 4096);
  CHECK(defaults.options.max_connections_per_address == 1024);
  CHECK(defaults.options.header_timeout == std::chrono::milliseconds(10'000));

  auto p = parse_webhook_options(
      {"--max-connections", "20000", "--max-connections-per-address=256"}, env, "/");
  REQUIRE(p.error.empty());
  CHECK(p.options.max_connections == 20000);
  CHECK(p.options.max_connections_per_address == 256);
  CHECK_FALSE(parse_webhook_options({"--max-connections", "0"}, env, "/").error.empty());
  CHECK_FALSE(
      parse_webhook_options({"--max-connections-per-address", "x"}, env, "/").error.empty());
  // The old separate keep-alive idle time is refused with what to use instead.
  auto idle = parse_webhook_options({"--idle-timeout-ms", "60000"}, env, "/");
  CHECK(idle.error.find("--header-timeout-ms") != std::string::npos);
}

TEST_CASE("template sync runs every 6 hours by default, and can be tuned or turned off",
          "[webhook_options]") {
  auto d = parse_webhook_options({"--db", "/tmp/a.db"}, env_of({}), "/");
  REQUIRE(d.error.empty());
  CHECK(d.options.template_sync);
  CHECK(d.options.template_sync_interval == std::chrono::hours(6));
  auto p = parse_webhook_options({"--db", "/tmp/a.db", "--template-sync-interval-s", "0"},
                                 env_of({}), "/");
  REQUIRE(p.error.empty());
  CHECK(p.options.template_sync_interval.count() == 0);
  auto off = parse_webhook_options({"--db", "/tmp/a.db", "--no-template-sync"}, env_of({}), "/");
  REQUIRE(off.error.empty());
  CHECK_FALSE(off.options.template_sync);
  auto bad = parse_webhook_options({"--db", "/tmp/a.db", "--template-sync-interval-s=-1"},
                                   env_of({}), "/");
  CHECK(bad.error.find("--template-sync-interval-s") != std::string::npos);
}

TEST_CASE("/mcp is off by default, conformance mode only on loopback", "[webhook_options]") {
  auto env = env_of({{"HOME", "/h"}});
  auto d = parse_webhook_options({}, env, "/");
  REQUIRE(d.error.empty());
  CHECK_FALSE(d.options.mcp);
  CHECK_FALSE(d.options.mcp_conformance);

  auto p = parse_webhook_options({"--mcp",
                                  "--mcp-allowed-origin",
                                  "https://a.example",
                                  "--mcp-max-sessions=3",
                                  "--mcp-max-sessions-per-key",
                                  "2",
                                  "--mcp-session-idle-s",
                                  "60",
                                  "--mcp-body-limit",
                                  "2048",
                                  "--mcp-max-open",
                                  "2",
                                  "--mcp-read-only",
                                  "--mcp-worker-nice",
                                  "0",
                                  "--mcp-yield-ms",
                                  "0",
                                  "--mcp-workers",
                                  "3",
                                  "--mcp-call-out-workers",
                                  "6"},
                                 env, "/");
  REQUIRE(p.error.empty());
  CHECK(p.options.mcp);
  CHECK_FALSE(p.options.mcp_conformance);
  CHECK(p.options.mcp_allowed_origins == std::vector<std::string>{"https://a.example"});
  CHECK(p.options.mcp_max_sessions == 3);
  CHECK(p.options.mcp_max_sessions_per_key == 2);
  CHECK(d.options.mcp_max_sessions_per_key == 16);
  CHECK(p.options.mcp_session_idle == std::chrono::seconds(60));
  CHECK(p.options.mcp_body_limit == 2048);
  CHECK(p.options.mcp_max_open == 2);
  CHECK(p.options.mcp_read_only);
  CHECK(p.options.mcp_worker_nice == 0);
  CHECK(d.options.mcp_worker_nice == 5);
  CHECK(p.options.mcp_workers == 3);
  CHECK(d.options.mcp_workers == 0);  // decided at start from the cores
  CHECK(p.options.mcp_call_out_workers == 6);
  CHECK(d.options.mcp_call_out_workers == 4);
  CHECK(parse_webhook_options({"--mcp-call-out-workers", "0"}, env, "/").error ==
        "--mcp-call-out-workers needs a number between 1 and 64");
  CHECK(parse_webhook_options({"--mcp-worker-nice", "20"}, env, "/").error ==
        "--mcp-worker-nice needs a number between 0 and 19");
  CHECK(p.options.mcp_yield_ms == 0);
  CHECK(d.options.mcp_yield_ms == 10);
  CHECK(parse_webhook_options({"--mcp-yield-ms", "101"}, env, "/").error ==
        "--mcp-yield-ms needs a number between 0 and 100");

  auto c = parse_webhook_options({"--mcp-conformance", "--bind", "::1"}, env, "/");
  REQUIRE(c.error.empty());
  CHECK(c.options.mcp);
  CHECK(c.options.mcp_conformance);
  auto wide = parse_webhook_options({"--mcp-conformance", "--bind", "0.0.0.0"}, env, "/");
  CHECK(wide.error.find("loopback") != std::string::npos);
  CHECK_FALSE(parse_webhook_options({"--mcp-max-sessions", "0"}, env, "/").error.empty());
  CHECK(parse_webhook_options({"--mcp-max-sessions-per-key", "0"}, env, "/").error ==
        "--mcp-max-sessions-per-key needs a number between 1 and 10000");
  CHECK_FALSE(parse_webhook_options({"--mcp-max-sessions-per-key"}, env, "/").error.empty());
  CHECK_FALSE(parse_webhook_options({"--mcp-allowed-origin", "a, b"}, env, "/").error.empty());
  CHECK(is_loopback_address("127.0.0.1"));
  CHECK(is_loopback_address("::1"));
  CHECK_FALSE(is_loopback_address("10.0.0.1"));
}

TEST_CASE("/mcp's public URL and the rate per API key", "[webhook_options]") {
  auto env = env_of({{"HOME", "/h"}});
  auto d = parse_webhook_options({"--mcp"}, env, "/");
  REQUIRE(d.error.empty());
  CHECK(d.options.mcp_public_url.empty());
  CHECK(d.options.mcp_key_burst == 120);
  CHECK(d.options.mcp_key_per_second == 2);

  auto p = parse_webhook_options({"--mcp", "--mcp-public-url", "https://pons.example.com/mcp",
                                  "--mcp-key-burst", "10", "--mcp-key-rate", "0.5"},
                                 env, "/");
  REQUIRE(p.error.empty());
  CHECK(p.options.mcp_public_url == "https://pons.example.com/mcp");
  CHECK(p.options.mcp_key_burst == 10);
  CHECK(p.options.mcp_key_per_second == 0.5);

  for (std::vector<std::string_view> bad :
       {std::vector<std::string_view>{"--mcp-public-url", "pons.example.com/mcp"},
        {"--mcp-key-burst", "0"},
        {"--mcp-key-rate", "0"},
        {"--mcp-key-rate", "2x"},
        {"--mcp-key-rate", "5000"}}) {
    auto r = parse_webhook_options(bad, env, "/");
    CHECK(r.error.find(std::string(bad.front())) != std::string::npos);
  }
}

TEST_CASE("webhook options: the dashboard is off unless --dashboard", "[cli][dashboard]") {
  auto off = parse_webhook_options({}, env_of({{"HOME", "/h"}}), "/");
  REQUIRE(off.error.empty());
  CHECK_FALSE(off.options.dashboard);
  auto on = parse_webhook_options({"--dashboard"}, env_of({{"HOME", "/h"}}), "/");
  REQUIRE(on.error.empty());
  CHECK(on.options.dashboard);
  CHECK(webhook_usage().find("--dashboard") != std::string_view::npos);
  CHECK(webhook_usage().find("users") != std::string_view::npos);
}
