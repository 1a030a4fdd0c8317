#pragma once
// `pons-webhook keys create|list|revoke`: the API keys of the MCP endpoint. A new key's secret is
// printed once, by `create`, and never again; only its hash is stored.

#include <ostream>
#include <span>
#include <string_view>

#include "pons/store/db_location.hpp"
#include "pons/store/timestamp.hpp"

namespace pons::store {
class database;
}

namespace pons::cli {

/// True when `word` starts the keys command.
bool is_keys_command(std::string_view word);

/// Runs `keys ...` (`args` starts with "keys") on `db` at time `now`. `--help` anywhere prints
/// that command's own page (or the group's). Returns the exit code: 0 done (or help), 1 the
/// operation failed (unknown account or key id; the reason on `err`), 2 usage error (one line on
/// `err` naming the help page to read). The secret goes to `out` only, from `create`.
int run_keys_command(std::span<const std::string_view> args, store::database& db,
                     store::time_point now, std::ostream& out, std::ostream& err);

/// What main() calls: answers --help and usage errors without touching the database, else
/// resolves it (store::resolve_db_location: --db, PONS_DB, XDG_DATA_HOME, HOME; relative paths
/// from `cwd`), creates its folder, opens (and migrates) it and runs the command now.
int run_key_admin(std::span<const std::string_view> args, const store::env_lookup& env,
                  std::string_view cwd, std::ostream& out, std::ostream& err);

}  // namespace pons::cli
