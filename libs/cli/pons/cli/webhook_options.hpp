#pragma once
// Command line of pons-webhook: parsed here (pure, no globals) so main() stays wiring only.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pons/meta/account_config.hpp"

namespace pons::cli {

/// What pons-webhook was asked to do.
enum class webhook_command { serve, help, version };

/// Everything `pons-webhook serve` can be told on the command line or by the environment.
struct webhook_options {
  webhook_command command = webhook_command::serve;
  std::string bind_address = "127.0.0.1";
  std::uint16_t port = 8080;
  std::string db_path;      // absolute: --db, $PONS_DB, or the user's data directory; or a URL
  std::string data_dir;     // media and other files beside the database (db_location)
  std::string config_path;  // optional --config
  std::string port_file;    // optional --port-file: the bound port is written there
  // From waiting for a request (accepted, or the last one answered) to the end of its headers;
  // also the keep-alive idle time.
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds request_timeout{30'000};
  std::size_t max_connections = 4096;              // in all (lowered to fit the open-file limit)
  std::size_t max_connections_per_address = 1024;  // from one IPv4 address or IPv6 /64
  std::size_t queue_limit = 1024;                  // writer queue; a full queue answers 503
  std::size_t max_group = 512;                     // requests per group commit, at most
  bool media = true;                               // run the media download worker
  int log_retention_days = 30;    // webhook_log rows older than this are pruned; 0 keeps all
  int dedup_retention_days = 30;  // idempotency keys (>= 7: Meta redelivers for 7 days); 0 keeps
  std::chrono::seconds prune_interval{3600};  // how often pruning runs (also once at start)
  bool template_sync = true;                  // sync templates at start, periodically, on webhooks
  // Templates change rarely and each change at Meta also arrives as a status webhook that
  // triggers a sync of its own: the periodic pass only catches what no webhook reported.
  std::chrono::seconds template_sync_interval{6 * 3600};  // 0 = at start and on webhooks only
  // /mcp, MCP's Streamable HTTP transport (docs/mcp-http.md): off unless --mcp or
  // --mcp-conformance (which also needs a loopback --bind).
  bool mcp = false;
  bool mcp_conformance = false;                  // the suite's fixtures, no authentication
  std::vector<std::string> mcp_allowed_origins;  // besides the loopback origins on loopback
  std::size_t mcp_max_sessions = 64;
  std::size_t mcp_max_sessions_per_key = 16;  // so that one key cannot take every session
  std::chrono::seconds mcp_session_idle{1800};
  std::size_t mcp_body_limit = 1024 * 1024;
  std::size_t mcp_max_open = 8;  // requests and streams open per session
  // Threads running the quick tool calls (reads), for every session; 0: quick_worker_count().
  std::size_t mcp_workers = 0;
  // Threads running the tool calls that wait on Meta or on the client (sends, template changes).
  std::size_t mcp_call_out_workers = 4;
  // How much lower the tool threads' CPU priority is (their nice value above the process's):
  // webhooks, acknowledged only once durably stored, get the CPU first when both loads want it.
  int mcp_worker_nice = 5;
  // How long a tool call waits at most, before it starts, while webhooks are arriving: on a busy
  // machine the webhooks keep the CPU, which the nice value alone does not give them (the io
  // thread's and the MCP clients' share of each call is not the workers' to give).
  int mcp_yield_ms = 10;
  bool mcp_read_only = false;  // no send tools on /mcp
  bool mcp_dry_run = false;    // send tools validate and record, never send
  // The URL clients dial for /mcp (behind a proxy or tunnel): named in 401 challenges and the
  // protected-resource metadata; empty: http://<Host of the request>/mcp.
  std::string mcp_public_url;
  double mcp_key_burst = 120;     // calls an API key may make at once
  double mcp_key_per_second = 2;  // then this many a second on average
  // The dashboard's sign-in (docs/dashboard.md): /login, /logout, /api/v1/session. Off until
  // its pages exist.
  bool dashboard = false;
};

/// True for an IPv4 loopback address (127.0.0.0/8) or ::1.
bool is_loopback_address(std::string_view address);

/// The result of parsing: options, or an error message for stderr (exit code 2).
struct parsed_webhook_options {
  webhook_options options;
  std::string error;  // empty when parsing succeeded
};

/// Parse arguments (without argv[0]); `env` supplies PONS_DB, XDG_DATA_HOME and HOME. The
/// database is resolved by store::resolve_db_location (relative paths from `cwd`).
parsed_webhook_options parse_webhook_options(const std::vector<std::string_view>& args,
                                             const meta::env_lookup& env, std::string_view cwd);

/// The --help text.
std::string_view webhook_usage();

}  // namespace pons::cli
