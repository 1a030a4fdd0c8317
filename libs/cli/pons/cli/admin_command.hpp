#pragma once
// What the `pons-webhook GROUP COMMAND [options]` admin commands (keys, users, targets,
// deliveries) share: reading the command line against a command's declared flags, the usage
// line, the failure line, and opening the database before the command runs.

#include <boost/system/error_code.hpp>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pons/store/db_location.hpp"

namespace pons::store {
class database;
}

namespace pons::cli {

/// True for "--help" and "-h".
bool is_help(std::string_view arg);

/// The flags one command takes.
struct flag_set {
  std::set<std::string, std::less<>> values;    ///< `--flag VALUE` or `--flag=VALUE`
  std::set<std::string, std::less<>> switches;  ///< `--flag` alone
};

/// The arguments after a command's verb, sorted out.
struct parsed_flags {
  std::vector<std::string> positional;
  std::map<std::string, std::string, std::less<>> values;
  std::set<std::string, std::less<>> switches;
  std::string error;  ///< a usage error; empty when the arguments are fine

  /// True when the switch `flag` was given.
  bool has(std::string_view flag) const;
  /// The value of `flag`; nullopt when it was not given.
  std::optional<std::string> value(std::string_view flag) const;
};

/// The usage error for a flag a command does not take: `name` without any "=value", `arg` as
/// written.
using flag_refusal = std::function<std::string(std::string_view name, std::string_view arg)>;

/// Reads `args`: a word not starting with "--" is positional; a value flag takes the next word
/// or its "=value" (the last one given counts); a switch takes no "=value". Anything else is
/// refused with `refuse`'s message, and a value flag without its value with "--flag needs a
/// value". Stops at the first error.
parsed_flags parse_flags(std::span<const std::string_view> args, const flag_set& flags,
                         const flag_refusal& refuse);

/// One command of an admin group.
struct admin_command {
  std::string verb;  ///< "create"
  std::string help;  ///< its whole help page
  flag_set flags;    ///< what it takes
};

/// An admin group (`pons-webhook keys ...`): its commands and their help.
struct admin_group {
  std::string name;  ///< "keys"
  std::string help;  ///< the group's help page
  std::vector<admin_command> commands;
  /// The usage error for a flag `command` does not take (see flag_refusal).
  std::function<std::string(const admin_command& command, std::string_view name,
                            std::string_view arg)>
      refuse;
};

/// What an admin command line asks for: a help page, a usage error, or a command to run.
struct admin_invocation {
  const admin_command* command = nullptr;  ///< into the group; set when there is one to run
  std::string help;                        ///< a page to print (exit 0)
  std::string error;                       ///< a usage error (exit 2)
  std::string topic;  ///< the help page an error points at: "keys" or "keys create"
  parsed_flags flags;
};

/// Reads `args` (args[0] is the group's name): `--help` or `-h` anywhere, or "help" as the
/// command, asks for a help page (the group's, or the command's); no command, an unknown one
/// or a flag its command does not take is a usage error; else the command with its flags.
admin_invocation prepare_admin(std::span<const std::string_view> args, const admin_group& group);

/// Prints the help page `inv` asks for and returns 0, or its usage error and returns 2;
/// nullopt when `inv` names a command to run.
std::optional<int> answer_without_running(const admin_invocation& inv, std::ostream& out,
                                          std::ostream& err);

/// A usage error on `err`: one line naming the help page to read (`topic`). Returns 2.
int usage_error(std::ostream& err, std::string_view message, std::string_view topic);

/// A failed operation on `err`: `what` and the error's own message, which says what to do next.
/// Returns 1.
int operation_failed(std::ostream& err, std::string_view what, const boost::system::error_code& ec);

/// Runs `run` on an admin command's database: resolves it (store::resolve_db_location: `db_flag`
/// (--db), PONS_DB, XDG_DATA_HOME, HOME; relative paths from `cwd`), creates its folder, opens
/// (and migrates) it. Returns `run`'s exit code; 2 (a usage error naming the help page `topic`)
/// when the location is not usable, 1 when the folder or the database cannot be made or opened,
/// with the reason on `err`.
int with_admin_database(std::optional<std::string_view> db_flag, std::string_view topic,
                        const store::env_lookup& env, std::string_view cwd, std::ostream& err,
                        const std::function<int(store::database&)>& run);

}  // namespace pons::cli
