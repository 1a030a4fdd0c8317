#pragma once
// `pons-webhook targets ...` and `pons-webhook deliveries ...`: forwarding administration from
// the command line. Human-readable tables by default, --json for scripts.

#include <ostream>
#include <span>
#include <string>
#include <string_view>

#include "pons/store/db_location.hpp"

namespace pons::store {
class database;
}

namespace pons::cli {

/// True when `word` starts an admin command ("targets" or "deliveries").
bool is_forward_command(std::string_view word);

/// Runs one admin command; `args` starts with "targets" or "deliveries". `--help` anywhere
/// prints that command's own page (or the group's). Returns the exit code: 0 done (or help), 1
/// the operation failed (not found, refused URL, delivery test failed), 2 usage error (one line
/// on `err` naming the help page to read). A signing secret is printed only by `targets add`
/// and `targets rotate-secret`, once.
int run_forward_command(std::span<const std::string_view> args, store::database& db,
                        std::ostream& out, std::ostream& err);

/// What main() calls: answers --help and usage errors without touching the database, else
/// resolves it (store::resolve_db_location: --db, PONS_DB, XDG_DATA_HOME, HOME; relative paths
/// from `cwd`), creates its folder, opens (and migrates) it and runs the command.
int run_forward_admin(std::span<const std::string_view> args, const store::env_lookup& env,
                      std::string_view cwd, std::ostream& out, std::ostream& err);

}  // namespace pons::cli
