#include "pons/cli/webhook_options.hpp"

#include <fmt/format.h>

#include <charconv>

#include "pons/store/db_location.hpp"

namespace pons::cli {

namespace {

template <class T>
bool parse_number(std::string_view s, T& out, T min, T max) {
  T v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || v < min || v > max) return false;
  out = v;
  return true;
}

// A rate in calls a second: a decimal number from 0.01 to 1000.
bool parse_rate(std::string_view s, double& out) {
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !(v >= 0.01 && v <= 1000)) return false;
  out = v;
  return true;
}

}  // namespace

bool is_loopback_address(std::string_view address) {
  return address == "::1" || address.substr(0, 4) == "127.";
}

std::string_view webhook_usage() {
  return R"(usage: pons-webhook [serve] [options]
       pons-webhook targets COMMAND [options]
       pons-webhook deliveries COMMAND [options]
       pons-webhook templates sync [options]
       pons-webhook keys COMMAND [options]
       pons-webhook users COMMAND [options]

Receives Meta's WhatsApp webhooks, verifies them and stores them durably in the Pons database,
and forwards the events to your own endpoints.

commands:
  serve                    run the webhook service (the default; its options are below)
  targets                  forwarding targets: add, list, show, update, remove, rotate-secret,
                           test (see pons-webhook targets --help)
  deliveries               forwarded events: list, show, retry
                           (see pons-webhook deliveries --help)
  templates                message templates: sync fetches them from Meta now
                           (see pons-webhook templates --help)
  keys                     API keys of the MCP endpoint: create, list, revoke
                           (see pons-webhook keys --help)
  users                    people who sign in to the dashboard: add, list, remove, passwd,
                           disable, enable
                           (see pons-webhook users --help)

options:
  --bind ADDR              address to listen on (default 127.0.0.1)
  --port N                 port to listen on, 0 picks a free one (default 8080)
  --port-file PATH         write the bound port to PATH once listening
  --db PATH                database file (default $PONS_DB, else $XDG_DATA_HOME/pons/pons.db,
                           else ~/.local/share/pons/pons.db)
  --config FILE            JSON file with several accounts and numbers (mode 0600)
  --header-timeout-ms N    time from waiting for a request (new connection or keep-alive) to
                           the end of its headers (default 10000)
  --request-timeout-ms N   time allowed for a whole request (default 30000)
  --max-connections N      open connections in all (default 4096, lowered to fit the
                           open-file limit)
  --max-connections-per-address N
                           open connections from one address (default 1024); over a limit the
                           connection that has waited longest for a request makes room, and
                           when every one is busy the newcomer gets 503
  --queue-limit N          pending writes before answering 503 (default 1024)
  --no-media               do not download media (jobs stay queued)
  --log-retention-days N   keep webhook_log rows N days, 0 = forever (default 30)
  --dedup-retention-days N keep idempotency keys N days, at least 7 (Meta redelivers for up to
                           7 days), 0 = forever (default 30)
  --prune-interval-s N     run pruning every N seconds, and once at start (default 3600)
  --template-sync-interval-s N
                           fetch every account's message templates from Meta every N seconds,
                           0 = only at start and on template webhooks (default 21600)
  --no-template-sync       never fetch templates in the background (see `templates sync`)
  --mcp                    serve MCP (Streamable HTTP) at /mcp with Pons's tools; requests need
                           an API key (docs/mcp-http.md); off by default
  --mcp-conformance        serve /mcp without authentication, with the MCP conformance suite's
                           fixture tools, resources and prompts next to Pons's; only with a
                           loopback --bind
  --mcp-allowed-origin ORIGIN
                           an Origin /mcp accepts (repeatable); on loopback the loopback origins
                           of the port are accepted too; requests without Origin always are
  --mcp-max-sessions N     MCP sessions at once (default 64); when full, the one idle longest
                           is closed
  --mcp-max-sessions-per-key N
                           MCP sessions of one API key at once (default 16); at the limit, the
                           key's own session idle longest is closed, else 429
  --mcp-session-idle-s N   close an MCP session unused for N seconds (default 1800)
  --mcp-body-limit N       largest POST body on /mcp in bytes (default 1048576)
  --mcp-max-open N         requests and streams open at once per MCP session (default 8)
  --mcp-workers N          threads running MCP's quick tool calls, the reads (default: one
                           fewer than the cores, at least 1)
  --mcp-call-out-workers N threads running the tool calls that wait on Meta or on the
                           client: sends, template changes, number health (default 4)
  --mcp-worker-nice N      how much lower those threads' CPU priority is than the webhook
                           path's, 0-19 (default 5; 0: the same)
  --mcp-yield-ms N         how long a tool call waits at most, before it starts, while
                           webhooks are arriving, 0-100 (default 10; 0: never)
  --mcp-read-only          no send tools on /mcp
  --mcp-dry-run            /mcp's send tools validate and record, never send
  --mcp-public-url URL     the URL clients dial for /mcp (https://host/mcp behind a proxy or
                           tunnel), named in 401 answers and the key metadata; default
                           http://<Host header>/mcp
  --mcp-key-burst N        calls one API key may make at once (default 120)
  --mcp-key-rate N         then calls a second per API key (default 2; 0.01 to 1000)
  --dashboard              serve the dashboard's sign-in: /login, /logout, /api/v1/session
                           (users: `pons-webhook users --help`; docs/dashboard.md); off by
                           default
  --help                   show this text
  --version                show the version

environment:
  WA_APP_SECRET            app secret that signs webhooks (required unless --config)
  WA_WEBHOOK_VERIFY_TOKEN  token for the subscription handshake
  WA_PHONE_NUMBER_ID       our phone number id (comma-separated for several)
  WA_ACCESS_TOKEN          Graph API token (media downloads, template sync)
  WA_WABA_ID               WhatsApp Business Account id
  PONS_DB                  database file
)";
}

parsed_webhook_options parse_webhook_options(const std::vector<std::string_view>& args,
                                             const meta::env_lookup& env, std::string_view cwd) {
  parsed_webhook_options out;
  std::optional<std::string_view> db_flag;
  auto& o = out.options;
  auto fail = [&](std::string msg) {
    out.error = std::move(msg);
    return out;
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (i == 0 && arg == "serve") continue;
    if (arg == "--help" || arg == "-h") {
      o.command = webhook_command::help;
      return out;
    }
    if (arg == "--version") {
      o.command = webhook_command::version;
      return out;
    }
    if (arg == "--no-media") {
      o.media = false;
      continue;
    }
    if (arg == "--no-template-sync") {
      o.template_sync = false;
      continue;
    }
    if (arg == "--mcp") {
      o.mcp = true;
      continue;
    }
    if (arg == "--mcp-conformance") {
      o.mcp = o.mcp_conformance = true;
      continue;
    }
    if (arg == "--dashboard") {
      o.dashboard = true;
      continue;
    }
    if (arg == "--mcp-read-only") {
      o.mcp_read_only = true;
      continue;
    }
    if (arg == "--mcp-dry-run") {
      o.mcp_dry_run = true;
      continue;
    }
    if (arg.substr(0, 2) != "--") return fail(fmt::format("unknown argument '{}'", arg));
    // Accept both `--flag value` and `--flag=value`.
    std::string_view name = arg;
    std::string_view value;
    bool has_value = false;
    if (auto eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    auto take = [&]() -> bool {
      if (has_value) return true;
      if (i + 1 >= args.size()) return false;
      value = args[++i];
      return true;
    };
    auto ms_flag = [&](std::chrono::milliseconds& target) -> std::string {
      long long v = 0;
      if (!take()) return fmt::format("{} needs a value", name);
      if (!parse_number<long long>(value, v, 1, 3'600'000))
        return fmt::format("{} needs milliseconds between 1 and 3600000, got '{}'", name, value);
      target = std::chrono::milliseconds(v);
      return {};
    };
    if (name == "--bind") {
      if (!take() || value.empty()) return fail("--bind needs an address");
      o.bind_address = value;
    } else if (name == "--port") {
      if (!take()) return fail("--port needs a value");
      if (!parse_number<std::uint16_t>(value, o.port, 0, 65535))
        return fail(fmt::format("--port needs a number between 0 and 65535, got '{}'", value));
    } else if (name == "--port-file") {
      if (!take() || value.empty()) return fail("--port-file needs a path");
      o.port_file = value;
    } else if (name == "--db") {
      if (!take() || value.empty()) return fail("--db needs a path");
      db_flag = value;
    } else if (name == "--config") {
      if (!take() || value.empty()) return fail("--config needs a path");
      o.config_path = value;
    } else if (name == "--header-timeout-ms") {
      if (auto e = ms_flag(o.header_timeout); !e.empty()) return fail(e);
    } else if (name == "--request-timeout-ms") {
      if (auto e = ms_flag(o.request_timeout); !e.empty()) return fail(e);
    } else if (name == "--idle-timeout-ms") {
      return fail(
          "--idle-timeout-ms is gone: a keep-alive connection gets --header-timeout-ms for its "
          "next request, like a new one");
    } else if (name == "--max-connections") {
      if (!take() || !parse_number<std::size_t>(value, o.max_connections, 1, 1'000'000))
        return fail("--max-connections needs a number between 1 and 1000000");
    } else if (name == "--max-connections-per-address") {
      if (!take() || !parse_number<std::size_t>(value, o.max_connections_per_address, 1, 1'000'000))
        return fail("--max-connections-per-address needs a number between 1 and 1000000");
    } else if (name == "--queue-limit") {
      if (!take() || !parse_number<std::size_t>(value, o.queue_limit, 1, 1'000'000))
        return fail("--queue-limit needs a number between 1 and 1000000");
    } else if (name == "--log-retention-days") {
      if (!take() || !parse_number<int>(value, o.log_retention_days, 0, 36'500))
        return fail("--log-retention-days needs a number of days between 0 and 36500");
    } else if (name == "--dedup-retention-days") {
      // Meta redelivers for up to 7 days: a shorter window would store a late retry twice.
      if (!take() || !parse_number<int>(value, o.dedup_retention_days, 0, 36'500) ||
          (o.dedup_retention_days != 0 && o.dedup_retention_days < 7))
        return fail(
            "--dedup-retention-days needs 0 (keep forever) or a number of days between 7 and "
            "36500: Meta redelivers webhooks for up to 7 days");
    } else if (name == "--prune-interval-s") {
      long long v = 0;
      if (!take() || !parse_number<long long>(value, v, 1, 86'400))
        return fail("--prune-interval-s needs a number of seconds between 1 and 86400");
      o.prune_interval = std::chrono::seconds(v);
    } else if (name == "--template-sync-interval-s") {
      long long v = 0;
      if (!take() || !parse_number<long long>(value, v, 0, 30 * 86'400))
        return fail(
            "--template-sync-interval-s needs a number of seconds between 0 (only at start and "
            "on template webhooks) and 2592000 (30 days)");
      o.template_sync_interval = std::chrono::seconds(v);
    } else if (name == "--mcp-allowed-origin") {
      if (!take() || value.empty() || value.find_first_of(" ,") != std::string_view::npos)
        return fail("--mcp-allowed-origin needs one origin, such as https://app.example.com");
      o.mcp_allowed_origins.emplace_back(value);
    } else if (name == "--mcp-max-sessions") {
      if (!take() || !parse_number<std::size_t>(value, o.mcp_max_sessions, 1, 10'000))
        return fail("--mcp-max-sessions needs a number between 1 and 10000");
    } else if (name == "--mcp-session-idle-s") {
      long long v = 0;
      if (!take() || !parse_number<long long>(value, v, 1, 7 * 86'400))
        return fail("--mcp-session-idle-s needs a number of seconds between 1 and 604800");
      o.mcp_session_idle = std::chrono::seconds(v);
    } else if (name == "--mcp-body-limit") {
      if (!take() || !parse_number<std::size_t>(value, o.mcp_body_limit, 1024, 4 * 1024 * 1024))
        return fail("--mcp-body-limit needs a number of bytes between 1024 and 4194304");
    } else if (name == "--mcp-max-sessions-per-key") {
      if (!take() || !parse_number<std::size_t>(value, o.mcp_max_sessions_per_key, 1, 10'000))
        return fail("--mcp-max-sessions-per-key needs a number between 1 and 10000");
    } else if (name == "--mcp-max-open") {
      if (!take() || !parse_number<std::size_t>(value, o.mcp_max_open, 1, 1024))
        return fail("--mcp-max-open needs a number between 1 and 1024");
    } else if (name == "--mcp-workers") {
      if (!take() || !parse_number<std::size_t>(value, o.mcp_workers, 1, 64))
        return fail("--mcp-workers needs a number between 1 and 64");
    } else if (name == "--mcp-call-out-workers") {
      if (!take() || !parse_number<std::size_t>(value, o.mcp_call_out_workers, 1, 64))
        return fail("--mcp-call-out-workers needs a number between 1 and 64");
    } else if (name == "--mcp-worker-nice") {
      if (!take() || !parse_number<int>(value, o.mcp_worker_nice, 0, 19))
        return fail("--mcp-worker-nice needs a number between 0 and 19");
    } else if (name == "--mcp-yield-ms") {
      if (!take() || !parse_number<int>(value, o.mcp_yield_ms, 0, 100))
        return fail("--mcp-yield-ms needs a number between 0 and 100");
    } else if (name == "--mcp-public-url") {
      if (!take() || !(value.starts_with("https://") || value.starts_with("http://")))
        return fail("--mcp-public-url needs the URL clients dial, such as https://example.com/mcp");
      o.mcp_public_url = std::string(value);
    } else if (name == "--mcp-key-burst") {
      std::size_t v = 0;
      if (!take() || !parse_number<std::size_t>(value, v, 1, 100'000))
        return fail("--mcp-key-burst needs a number of calls between 1 and 100000");
      o.mcp_key_burst = static_cast<double>(v);
    } else if (name == "--mcp-key-rate") {
      if (!take() || !parse_rate(value, o.mcp_key_per_second))
        return fail("--mcp-key-rate needs calls a second between 0.01 and 1000, such as 2 or 0.5");
    } else {
      return fail(fmt::format("unknown option '{}'", name));
    }
  }
  if (o.mcp_conformance && !is_loopback_address(o.bind_address))
    return fail(fmt::format(
        "--mcp-conformance serves /mcp without authentication: it needs a loopback --bind "
        "(127.0.0.1 or ::1), not '{}'",
        o.bind_address));
  auto db = store::resolve_db_location(db_flag, env, cwd);
  if (!db) return fail(std::move(db.message));
  o.db_path = std::move(db.path);
  o.data_dir = std::move(db.data_dir);
  return out;
}

}  // namespace pons::cli
