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

namespace pons::mcp {

/// Looks up an environment variable; nullopt when unset.
using env_lookup = std::function<std::optional<std::string>(std::string_view name)>;

/// What pons-mcp was asked to do.
struct server_options {
  enum class action { serve, help, version, print_config };
  action what = action::serve;
  std::string db_path;
  bool read_only = false;
  bool dry_run = false;
  std::size_t max_line_bytes = 4 * 1024 * 1024;
  std::size_t page_size = 50;
  std::size_t workers = 4;
  std::string config_client;             // "claude" | "cursor" for --print-config
  std::vector<std::string> upload_dirs;  // --upload-dir (repeatable); empty: see upload_policy
  std::string config_path;               // --config FILE, else $PONS_CONFIG: accounts, tokens
};

/// Parses argv (without argv[0]); on failure returns an error text for stderr.
std::variant<server_options, std::string> parse_server_options(const std::vector<std::string>& args,
                                                               const env_lookup& env);

/// $PONS_DB, else $XDG_DATA_HOME/pons/pons.db, else $HOME/.local/share/pons/pons.db.
std::string default_db_path(const env_lookup& env);

/// The --help text.
std::string usage_text();

/// A ready JSON snippet for the client's MCP configuration (`client`: claude | cursor).
std::string config_snippet(std::string_view client, std::string_view binary_path);

}  // namespace pons::mcp
