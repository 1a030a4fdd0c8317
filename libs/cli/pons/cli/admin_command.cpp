#include "pons/cli/admin_command.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "pons/store/database.hpp"

namespace pons::cli {

namespace {

std::string verbs_of(const admin_group& group) {
  std::vector<std::string_view> verbs;
  for (const auto& c : group.commands) verbs.push_back(c.verb);
  return fmt::format("{}", fmt::join(verbs, ", "));
}

}  // namespace

bool is_help(std::string_view arg) {
  return arg == "--help" || arg == "-h";
}

bool parsed_flags::has(std::string_view flag) const {
  return switches.count(flag) > 0;
}

std::optional<std::string> parsed_flags::value(std::string_view flag) const {
  auto it = values.find(flag);
  if (it == values.end()) return std::nullopt;
  return it->second;
}

parsed_flags parse_flags(std::span<const std::string_view> args, const flag_set& flags,
                         const flag_refusal& refuse) {
  parsed_flags p;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    if (a.rfind("--", 0) != 0) {
      p.positional.emplace_back(a);
      continue;
    }
    std::string_view name = a;
    std::optional<std::string_view> inline_value;
    if (auto eq = a.find('='); eq != std::string_view::npos) {
      name = a.substr(0, eq);
      inline_value = a.substr(eq + 1);
    }
    if (flags.values.count(name)) {
      if (inline_value) {
        p.values[std::string(name)] = std::string(*inline_value);
      } else if (i + 1 < args.size()) {
        p.values[std::string(name)] = std::string(args[++i]);
      } else {
        p.error = fmt::format("{} needs a value", name);
        return p;
      }
    } else if (flags.switches.count(name) && !inline_value) {
      p.switches.emplace(name);
    } else {
      p.error = refuse(name, a);
      return p;
    }
  }
  return p;
}

admin_invocation prepare_admin(std::span<const std::string_view> args, const admin_group& group) {
  admin_invocation inv;
  inv.topic = group.name;
  const bool wants_help = std::any_of(args.begin(), args.end(), is_help);
  if (args.size() < 2 || is_help(args[1]) || args[1] == "help") {
    if (wants_help || (args.size() >= 2 && args[1] == "help")) {
      inv.help = group.help;
    } else {
      inv.error = fmt::format("{} needs a command: {}", group.name, verbs_of(group));
    }
    return inv;
  }
  for (const auto& c : group.commands) {
    if (c.verb == args[1]) inv.command = &c;
  }
  if (!inv.command) {
    inv.error = fmt::format("unknown command '{} {}'; the commands are {}", group.name, args[1],
                            verbs_of(group));
    return inv;
  }
  inv.topic = fmt::format("{} {}", group.name, inv.command->verb);
  if (wants_help) {
    inv.help = inv.command->help;
    return inv;
  }
  const admin_command& command = *inv.command;
  inv.flags =
      parse_flags(args.subspan(2), command.flags, [&](std::string_view name, std::string_view arg) {
        return group.refuse(command, name, arg);
      });
  inv.error = inv.flags.error;
  return inv;
}

std::optional<int> answer_without_running(const admin_invocation& inv, std::ostream& out,
                                          std::ostream& err) {
  if (!inv.help.empty()) {
    out << inv.help;
    return 0;
  }
  if (!inv.error.empty()) return usage_error(err, inv.error, inv.topic);
  return std::nullopt;
}

int usage_error(std::ostream& err, std::string_view message, std::string_view topic) {
  err << "pons-webhook: " << message << " (see 'pons-webhook " << topic << " --help')\n";
  return 2;
}

int operation_failed(std::ostream& err, std::string_view what,
                     const boost::system::error_code& ec) {
  err << "pons-webhook: " << what << ": " << ec.message() << '\n';
  return 1;
}

int with_admin_database(std::optional<std::string_view> db_flag, std::string_view topic,
                        const store::env_lookup& env, std::string_view cwd, std::ostream& err,
                        const std::function<int(store::database&)>& run) {
  auto location = store::resolve_db_location(db_flag, env, cwd);
  if (!location) return usage_error(err, location.message, topic);
  if (auto failed = store::create_db_directory(location.path); !failed.empty()) {
    err << "pons-webhook: " << failed << '\n';
    return 1;
  }
  auto db = store::database::open(location.path);
  if (!db) {
    const std::string why = store::database::last_open_failure();
    err << "pons-webhook: cannot open database " << store::shown_location(location.path) << ": "
        << db.error().message() << (why.empty() ? "" : " (" + why + ")") << '\n';
    return 1;
  }
  return run(*db);
}

}  // namespace pons::cli
