#include "pons/cli/user_admin.hpp"

#include <fmt/format.h>
#include <termios.h>
#include <unistd.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "pons/cli/admin_command.hpp"
#include "pons/cli/text_table.hpp"
#include "pons/store/database.hpp"
#include "pons/store/password_hash.hpp"
#include "pons/store/user_repository.hpp"

namespace pons::cli {

namespace {

namespace json = boost::json;

constexpr std::string_view db_option_help =
    "  --db PATH            database file (default: $PONS_DB, else $XDG_DATA_HOME/pons/pons.db, "
    "else\n                       ~/.local/share/pons/pons.db)\n";

constexpr std::string_view group_help =
    R"(usage: pons-webhook users COMMAND [options]

The people who sign in to the dashboard (pons-webhook serve --dashboard). A role says what they
may do: member reads and sends; admin also syncs templates and manages forwarding targets and
API keys; owner also manages users. Passwords are read from stdin, never from the command line;
Pons stores only an Argon2id hash.

commands:
  add EMAIL --role owner|admin|member [--account WABA_ID]   add a user
  list                                                      list the users (never a password)
  remove EMAIL                                              remove a user, ending their sessions
  passwd EMAIL                                              set a new password, ending sessions
  disable EMAIL                                             stop a user signing in, ending sessions
  enable EMAIL                                              let a disabled user sign in again

Every command takes --db PATH. A command's own options: pons-webhook users COMMAND --help
)";

constexpr std::string_view add_help =
    R"(usage: pons-webhook users add EMAIL --role owner|admin|member [options]

Adds a user. The password is read from stdin (one line, 12 to 1024 characters): at a terminal
it is asked for without echo, and an empty answer gives a generated password, printed once;
from a pipe, e.g. `printf '%s\n' "$PASSWORD" | pons-webhook users add ...`.

options:
  --role ROLE          member: reads and sends; admin: also templates, forwarding targets and
                       API keys; owner: also manages users
  --account WABA_ID    the user sees only this WhatsApp Business Account (default: every
                       account); one pons-webhook recorded from its configuration
)";

constexpr std::string_view list_help =
    R"(usage: pons-webhook users list [options]

Lists the users: id, email, role, account, when they were added and last signed in, and whether
they are active or disabled. Passwords and their hashes are never shown.

options:
  --json               machine-readable output (one JSON document)
)";

constexpr std::string_view remove_help =
    R"(usage: pons-webhook users remove EMAIL [options]

Removes a user; their sessions end at once.

options:
)";

constexpr std::string_view passwd_help =
    R"(usage: pons-webhook users passwd EMAIL [options]

Sets a user's password, read from stdin as for `users add` (at a terminal, an empty answer gives
a generated one, printed once). Every session of the user ends.

options:
)";

constexpr std::string_view disable_help =
    R"(usage: pons-webhook users disable EMAIL [options]

Stops a user from signing in, and ends their sessions at once. They stay listed as disabled;
`pons-webhook users enable EMAIL` lets them sign in again with the same password.

options:
)";

constexpr std::string_view enable_help =
    R"(usage: pons-webhook users enable EMAIL [options]

Lets a disabled user sign in again, with the password they had.

options:
)";

// A command's whole help page: its own text, then the options every command takes.
std::string command_help(std::string_view own) {
  return std::string(own) + std::string(db_option_help) + "  --help               show this help\n";
}

const admin_group& users_group() {
  static const admin_group group{
      "users",
      std::string(group_help),
      {
          {"add", command_help(add_help), {{"--db", "--role", "--account"}, {}}},
          {"list", command_help(list_help), {{"--db"}, {"--json"}}},
          {"remove", command_help(remove_help), {{"--db"}, {}}},
          {"passwd", command_help(passwd_help), {{"--db"}, {}}},
          {"disable", command_help(disable_help), {{"--db"}, {}}},
          {"enable", command_help(enable_help), {{"--db"}, {}}},
      },
      [](const admin_command& c, std::string_view name, std::string_view) {
        // Never echo a value: someone may have tried --password SECRET.
        return fmt::format("users {} does not take {}{}", c.verb, name,
                           name == "--password" ? " (passwords are read from stdin)" : "");
      }};
  return group;
}

json::value text_or_null(const std::string& s) {
  if (s.empty()) return nullptr;
  return json::value(s);
}

// A password as read: the text, or why there is none (never the text in the reason).
struct read_password {
  std::string text;
  bool generated = false;
  std::string error;
};

read_password obtain_password(password_source& src, std::ostream& err) {
  read_password r;
  if (src.terminal) err << "Password (empty: generate one): " << std::flush;
  // One bounded line: one character more than allowed tells a long password from a fitting one.
  std::string line;
  char c = 0;
  bool too_long = false;
  while (src.in.get(c) && c != '\n') {
    if (line.size() > store::max_password_size) {
      too_long = true;
      continue;
    }
    line += c;
  }
  if (src.terminal) err << '\n';
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (too_long || line.size() > store::max_password_size) {
    r.error = "the password is longer than 1024 characters";
    return r;
  }
  if (line.empty()) {
    if (!src.terminal) {
      r.error =
          "no password on stdin: pipe one line (12 to 1024 characters), or run this at a "
          "terminal to be asked or given one";
      return r;
    }
    r.text = store::generate_password();
    r.generated = true;
    return r;
  }
  if (!store::acceptable_password(line)) {
    r.error = "a password must be 12 to 1024 characters without control characters";
    return r;
  }
  r.text = std::move(line);
  return r;
}

class runner {
 public:
  runner(store::database& db, store::time_point now, password_source pw, std::ostream& out,
         std::ostream& err, const admin_invocation& inv)
      : db_(db), now_(now), pw_(pw), out_(out), err_(err), inv_(inv) {}

  int run() {
    if (inv_.command->verb == "add") return add();
    if (inv_.command->verb == "list") return list();
    if (inv_.command->verb == "remove") return remove();
    if (inv_.command->verb == "passwd") return passwd();
    return set_disabled(inv_.command->verb == "disable");
  }

 private:
  int usage(std::string_view message) { return usage_error(err_, message, inv_.topic); }

  std::optional<std::string> value(std::string_view flag) const { return inv_.flags.value(flag); }

  // The one EMAIL argument, or a usage error.
  std::optional<std::string> email_argument(int& code) {
    if (inv_.flags.positional.size() != 1) {
      code = usage(fmt::format("users {} needs exactly one EMAIL", inv_.command->verb));
      return std::nullopt;
    }
    if (!store::acceptable_email(inv_.flags.positional[0])) {
      code = usage(fmt::format("'{}' is not an email address", inv_.flags.positional[0]));
      return std::nullopt;
    }
    return inv_.flags.positional[0];
  }

  void announce_generated(const read_password& pw) {
    if (!pw.generated) return;
    out_ << "\nPassword (shown once; store it now, Pons keeps only its hash):\n  " << pw.text
         << "\n";
  }

  int add() {
    int code = 0;
    auto email = email_argument(code);
    if (!email) return code;
    auto role_text = value("--role");
    if (!role_text) return usage("users add needs --role owner, admin or member");
    auto role = store::parse_user_role(*role_text);
    if (!role) {
      return usage(
          fmt::format("unknown role '{}': the roles are owner, admin and member", *role_text));
    }
    store::user_spec spec{*email, *role, {}};
    if (auto account = value("--account")) {
      if (account->empty() || account->size() > 32 ||
          account->find_first_not_of("0123456789") != std::string::npos) {
        return usage("--account needs a WABA id (digits)");
      }
      spec.waba_id = *account;
    }
    // Checked before a password is asked for: a typo should not cost a password.
    if (auto existing = store::find_user(db_, spec.email); existing) {
      return operation_failed(err_, fmt::format("cannot add {}", spec.email),
                              store::user_errc::exists);
    }
    auto pw = obtain_password(pw_, err_);
    if (!pw.error.empty()) return usage(pw.error);
    auto made = store::create_user(db_, spec, pw.text, now_);
    if (!made)
      return operation_failed(err_, fmt::format("cannot add {}", spec.email), made.error());
    out_ << fmt::format("User {} added: {} ({}, {})\n", made->id, made->email,
                        store::to_string(made->role),
                        made->waba_id.empty() ? "every account" : "account " + made->waba_id);
    announce_generated(pw);
    return 0;
  }

  int list() {
    if (!inv_.flags.positional.empty()) {
      return usage(
          fmt::format("users list takes no arguments, got '{}'", inv_.flags.positional[0]));
    }
    auto users = store::list_users(db_);
    if (!users) return operation_failed(err_, "cannot list the users", users.error());
    if (inv_.flags.has("--json")) {
      json::array a;
      for (const auto& u : *users) {
        a.push_back(json::object{{"id", u.id},
                                 {"email", u.email},
                                 {"role", store::to_string(u.role)},
                                 {"account", text_or_null(u.waba_id)},
                                 {"createdAt", u.created_at},
                                 {"lastLoginAt", text_or_null(u.last_login_at)},
                                 {"disabledAt", text_or_null(u.disabled_at)}});
      }
      out_ << json::serialize(a) << '\n';
      return 0;
    }
    if (users->empty()) {
      out_ << "No users. Add one with: pons-webhook users add EMAIL --role owner\n";
      return 0;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& u : *users) {
      rows.push_back({std::to_string(u.id), u.email, std::string(store::to_string(u.role)),
                      u.waba_id.empty() ? "all" : u.waba_id, u.created_at, or_dash(u.last_login_at),
                      u.disabled_at.empty() ? "active" : "disabled"});
    }
    print_table(out_, {"ID", "EMAIL", "ROLE", "ACCOUNT", "CREATED", "LAST LOGIN", "STATE"}, rows);
    return 0;
  }

  int remove() {
    int code = 0;
    auto email = email_argument(code);
    if (!email) return code;
    auto gone = store::remove_user(db_, *email);
    if (!gone) return operation_failed(err_, fmt::format("cannot remove {}", *email), gone.error());
    out_ << fmt::format("User {} ({}) removed; their sessions have ended.\n", gone->id,
                        gone->email);
    return 0;
  }

  int passwd() {
    int code = 0;
    auto email = email_argument(code);
    if (!email) return code;
    if (auto existing = store::find_user(db_, *email); !existing) {
      return operation_failed(err_, fmt::format("cannot set the password of {}", *email),
                              existing.error());
    }
    auto pw = obtain_password(pw_, err_);
    if (!pw.error.empty()) return usage(pw.error);
    auto u = store::set_user_password(db_, *email, pw.text);
    if (!u)
      return operation_failed(err_, fmt::format("cannot set the password of {}", *email),
                              u.error());
    out_ << fmt::format("Password of {} changed; their sessions have ended.\n", u->email);
    announce_generated(pw);
    return 0;
  }

  int set_disabled(bool disabled) {
    int code = 0;
    auto email = email_argument(code);
    if (!email) return code;
    auto u = store::set_user_disabled(db_, *email, disabled, now_);
    if (!u) {
      return operation_failed(err_, fmt::format("cannot {} {}", inv_.command->verb, *email),
                              u.error());
    }
    out_ << (disabled ? fmt::format("User {} is disabled; their sessions have ended.\n", u->email)
                      : fmt::format("User {} may sign in again.\n", u->email));
    return 0;
  }

  store::database& db_;
  store::time_point now_;
  password_source pw_;
  std::ostream& out_;
  std::ostream& err_;
  const admin_invocation& inv_;
};

// Turns terminal echo off while a password is typed, and back on however the read ends.
class echo_off {
 public:
  explicit echo_off(int fd) : fd_(fd) {
    if (::tcgetattr(fd_, &saved_) != 0) return;
    termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    active_ = ::tcsetattr(fd_, TCSAFLUSH, &quiet) == 0;
  }
  ~echo_off() {
    if (active_) ::tcsetattr(fd_, TCSAFLUSH, &saved_);
  }
  echo_off(const echo_off&) = delete;
  echo_off& operator=(const echo_off&) = delete;

 private:
  int fd_;
  termios saved_{};
  bool active_ = false;
};

}  // namespace

bool is_users_command(std::string_view word) {
  return word == "users";
}

int run_users_command(std::span<const std::string_view> args, store::database& db,
                      store::time_point now, password_source password, std::ostream& out,
                      std::ostream& err) {
  auto inv = prepare_admin(args, users_group());
  if (auto answered = answer_without_running(inv, out, err)) return *answered;
  return runner(db, now, password, out, err, inv).run();
}

int run_user_admin(std::span<const std::string_view> args, const store::env_lookup& env,
                   std::string_view cwd, std::ostream& out, std::ostream& err) {
  // Help and usage errors first: neither needs the database.
  auto inv = prepare_admin(args, users_group());
  if (auto answered = answer_without_running(inv, out, err)) return *answered;
  const auto db_flag = inv.flags.value("--db");
  return with_admin_database(db_flag, inv.topic, env, cwd, err, [&](store::database& db) {
    const bool terminal = ::isatty(STDIN_FILENO) == 1;
    std::optional<echo_off> quiet;
    if (terminal) quiet.emplace(STDIN_FILENO);
    return runner(db, std::chrono::system_clock::now(), password_source{std::cin, terminal}, out,
                  err, inv)
        .run();
  });
}

}  // namespace pons::cli
