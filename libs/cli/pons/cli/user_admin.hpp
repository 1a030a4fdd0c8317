#pragma once
// `pons-webhook users add|list|remove|passwd|disable|enable`: the people who sign in to the
// dashboard. A password is read from stdin, never from the command line; on a terminal an empty
// answer gets a generated password, printed once. Only an Argon2id hash is stored.

#include <istream>
#include <ostream>
#include <span>
#include <string_view>

#include "pons/store/db_location.hpp"
#include "pons/store/timestamp.hpp"

namespace pons::store {
class database;
}

namespace pons::cli {

/// True when `word` starts the users command.
bool is_users_command(std::string_view word);

/// Where a password comes from: a stream, and whether it is a terminal (whose empty answer asks
/// for a generated password; a pipe's empty answer is an error).
struct password_source {
  std::istream& in;
  bool terminal = false;
};

/// Runs `users ...` (`args` starts with "users") on `db` at time `now`. Returns the exit code:
/// 0 done (or help), 1 the operation failed (the reason on `err`), 2 usage error. Prompts go to
/// `err`; a generated password goes to `out`, once.
int run_users_command(std::span<const std::string_view> args, store::database& db,
                      store::time_point now, password_source password, std::ostream& out,
                      std::ostream& err);

/// What main() calls: answers --help and usage errors without the database, else opens the
/// database (store::resolve_db_location) and runs the command with stdin as the password source
/// (echo off while a terminal is read).
int run_user_admin(std::span<const std::string_view> args, const store::env_lookup& env,
                   std::string_view cwd, std::ostream& out, std::ostream& err);

}  // namespace pons::cli
