#pragma once
// `pons-webhook targets ...` and `pons-webhook deliveries ...`: forwarding administration from
// the command line. Human-readable tables by default, --json for scripts.

#include <ostream>
#include <span>
#include <string>
#include <string_view>

namespace pons::store {
class database;
}

namespace pons::forward {

/// True when `word` starts an admin command ("targets" or "deliveries").
bool is_admin_command(std::string_view word);

/// The help text of the admin commands.
std::string_view admin_usage();

/// Runs one admin command; `args` starts with "targets" or "deliveries". Returns the exit code:
/// 0 done, 1 the operation failed (not found, refused URL, delivery test failed), 2 usage error.
/// A signing secret is printed only by `targets add` and `targets rotate-secret`, once.
int run_admin_command(std::span<const std::string_view> args, store::database& db,
                      std::ostream& out, std::ostream& err);

/// What main() calls: takes an optional `--db PATH` out of `args` (else `default_db_path`),
/// opens (and migrates) the database and runs run_admin_command.
int run_admin(std::span<const std::string_view> args, const std::string& default_db_path,
              std::ostream& out, std::ostream& err);

}  // namespace pons::forward
