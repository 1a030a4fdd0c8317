#pragma once
// `pons-webhook templates sync [--account WABA_ID]`: fetches the configured accounts' message
// templates from Meta now, and says per account how many were added, updated and removed.

#include <ostream>
#include <span>
#include <string>
#include <string_view>

#include "pons/meta/account_config.hpp"
#include "pons/meta/graph_client.hpp"

namespace pons::cli {

/// True when `word` starts the templates command.
bool is_templates_command(std::string_view word);

/// The help text of the templates command.
std::string_view templates_usage();

/// Runs `templates ...` (`args` starts with "templates"). Accounts come from the environment
/// (WA_WABA_ID, WA_ACCESS_TOKEN, WA_PHONE_NUMBER_ID) and `--config FILE` (else $PONS_CONFIG);
/// the database is `--db PATH` or the default location (store::resolve_db_location, relative
/// paths from `cwd`). Returns the exit code: 0 every account synced, 1 some account could not be
/// synced (the reason on `err`), 2 usage error.
int run_templates_command(std::span<const std::string_view> args, const meta::env_lookup& env,
                          const meta::graph_config& graph, std::string_view cwd, std::ostream& out,
                          std::ostream& err);

}  // namespace pons::cli
