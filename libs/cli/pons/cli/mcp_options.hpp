#pragma once
// Command-line options of pons-mcp and the snippets --print-config prints. Pure: the
// environment is passed in as a lookup function.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace pons::cli {

/// Looks up an environment variable; nullopt when unset.
using env_lookup = std::function<std::optional<std::string>(std::string_view name)>;

/// What pons-mcp was asked to do.
struct mcp_options {
  enum class action { serve, help, version, print_config };
  action what = action::serve;
  std::string db_path;
  std::string data_dir;  // media and other files beside the database (db_location)
  bool read_only = false;
  bool dry_run = false;
  std::size_t max_line_bytes = 4 * 1024 * 1024;
  std::size_t page_size = 50;
  std::size_t workers = 0;           // quick tool calls (reads); 0: quick_worker_count()
  std::size_t call_out_workers = 4;  // tool calls that wait on Meta or on the client
  // --print-config: "claude" | "cursor" | "claude-code" (this binary over stdio), or
  // "claude-code-http" | "cursor-http" (pons-webhook's /mcp at config_url, with an API key)
  std::string config_client;
  std::string config_url = "http://127.0.0.1:8080/mcp";  // --url, for the -http forms
  std::vector<std::string> upload_dirs;  // --upload-dir (repeatable); empty: see upload_policy
  std::string config_path;               // --config FILE, else $PONS_CONFIG: accounts, tokens
  std::vector<std::string> server_args;  // the flags given, without --db and --print-config
};

/// Parses argv (without argv[0]); on failure returns an error text for stderr. The database is
/// resolved by store::resolve_db_location (relative paths from `cwd`) unless only help or the
/// version was asked for.
std::variant<mcp_options, std::string> parse_mcp_options(const std::vector<std::string>& args,
                                                         const env_lookup& env,
                                                         std::string_view cwd);

/// The --help text.
std::string mcp_usage();

/// What --print-config prints: for claude and cursor the whole `mcpServers` JSON document, for
/// claude-code the `claude mcp add` command. The -http forms name pons-webhook's /mcp at
/// options.config_url with an `Authorization` header whose key is a placeholder (keys are made
/// by `pons-webhook keys create` and printed only then). The server runs `binary_path --db
/// <db_path>` plus the flags given; WA_* values set in `env` are filled in, the others are
/// placeholders. The access token is filled in only for a Graph API on this machine (the sandbox's
/// fake): a real token is never printed.
std::string config_snippet(const mcp_options& options, std::string_view binary_path,
                           const env_lookup& env);

}  // namespace pons::cli
