#include "pons/cli/key_admin.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "pons/auth/key_view.hpp"
#include "pons/cli/admin_command.hpp"
#include "pons/cli/text_table.hpp"
#include "pons/store/account_repository.hpp"
#include "pons/store/api_key_repository.hpp"
#include "pons/store/database.hpp"

namespace pons::cli {

namespace {

namespace json = boost::json;

constexpr std::string_view group_help =
    R"(usage: pons-webhook keys COMMAND [options]

API keys let an assistant reach Pons's MCP endpoint over HTTP (Authorization: Bearer KEY). A key
reads (read), or reads and sends (read,send), for every account or only one. Pons stores only a
hash of each key: the key itself is shown once, when it is created.

commands:
  create --name NAME --scopes read[,send]   make a key; prints it, once
  list                                      list the keys (never the keys themselves)
  revoke ID                                 stop a key from working, at once

Every command takes --json (machine-readable output) and --db PATH.
A command's own options: pons-webhook keys COMMAND --help
)";

constexpr std::string_view create_help =
    R"(usage: pons-webhook keys create --name NAME --scopes read[,send] [options]

Makes an API key and prints it, once: Pons keeps only its hash, so store it now (a password
manager, the MCP client's configuration). Give it to the client as the header
"Authorization: Bearer KEY".

options:
  --name NAME          who or what uses the key, e.g. laptop (1 to 100 characters)
  --scopes LIST        read: the read tools and resources; read,send: also the send tools and
                       mark_read
  --account WABA_ID    the key sees only this WhatsApp Business Account's numbers, contacts,
                       conversations, templates and media (default: every account); one that
                       pons-webhook recorded from its configuration (an unknown id is refused
                       with the list of recorded ones)
  --expires-days N     the key stops working after N days, 1-3650 (default: never)
  --json               machine-readable output (one JSON document, with the key in "secret")
  --db PATH            database file (default: $PONS_DB, else $XDG_DATA_HOME/pons/pons.db, else
                       ~/.local/share/pons/pons.db)
  --help               show this help
)";

constexpr std::string_view list_help =
    R"(usage: pons-webhook keys list [options]

Lists the API keys: id, name, prefix (the start of the key, which is not secret), scopes,
account, when it was created and last used (to the minute), when it expires, and whether it is
active, expired or revoked. The keys themselves are never shown: Pons does not have them.

options:
  --json               machine-readable output (one JSON document)
  --db PATH            database file (default: $PONS_DB, else $XDG_DATA_HOME/pons/pons.db, else
                       ~/.local/share/pons/pons.db)
  --help               show this help
)";

constexpr std::string_view revoke_help =
    R"(usage: pons-webhook keys revoke ID [options]

Revokes an API key (ID from `pons-webhook keys list`): from the next request on it is refused.
The key stays listed as revoked.

options:
  --json               machine-readable output (one JSON document)
  --db PATH            database file (default: $PONS_DB, else $XDG_DATA_HOME/pons/pons.db, else
                       ~/.local/share/pons/pons.db)
  --help               show this help
)";

const admin_group& keys_group() {
  static const admin_group group{
      "keys",
      std::string(group_help),
      {
          {"create",
           std::string(create_help),
           {{"--db", "--name", "--scopes", "--account", "--expires-days"}, {"--json"}}},
          {"list", std::string(list_help), {{"--db"}, {"--json"}}},
          {"revoke", std::string(revoke_help), {{"--db"}, {"--json"}}},
      },
      [](const admin_command& c, std::string_view name, std::string_view) {
        return fmt::format("keys {} does not take {}", c.verb, name);
      }};
  return group;
}

void print_json(std::ostream& out, const json::value& v) {
  out << json::serialize(v) << '\n';
}

std::optional<std::int64_t> to_int(std::string_view s) {
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::vector<std::string> split_scopes(std::string_view s) {
  std::vector<std::string> out;
  while (true) {
    auto comma = s.find(',');
    auto part = s.substr(0, comma);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    out.emplace_back(part);
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

class runner {
 public:
  runner(store::database& db, store::time_point now, std::ostream& out, std::ostream& err,
         const admin_invocation& inv)
      : db_(db), now_(now), out_(out), err_(err), inv_(inv), json_(inv.flags.has("--json")) {}

  int run() {
    if (inv_.command->verb == "create") return create();
    if (inv_.command->verb == "list") return list();
    return revoke();
  }

 private:
  int usage(std::string_view message) { return usage_error(err_, message, inv_.topic); }

  std::optional<std::string> value(std::string_view flag) const { return inv_.flags.value(flag); }

  int create() {
    if (!inv_.flags.positional.empty()) {
      return usage(
          fmt::format("keys create takes no arguments, got '{}'", inv_.flags.positional[0]));
    }
    auto name = value("--name");
    if (!name) return usage("keys create needs --name (who or what uses the key)");
    auto scopes = value("--scopes");
    if (!scopes) return usage("keys create needs --scopes read or --scopes read,send");
    store::api_key_spec spec;
    spec.name = *name;
    spec.scopes = split_scopes(*scopes);
    for (const auto& s : spec.scopes) {
      if (s != store::read_scope && s != store::send_scope) {
        return usage(fmt::format("unknown scope '{}': the scopes are read and send", s));
      }
    }
    if (std::find(spec.scopes.begin(), spec.scopes.end(), store::read_scope) == spec.scopes.end()) {
      return usage("every key needs the read scope: --scopes read or --scopes read,send");
    }
    if (auto account = value("--account")) {
      if (account->empty() || account->size() > 32 ||
          account->find_first_not_of("0123456789") != std::string::npos) {
        return usage("--account needs a WABA id (digits)");
      }
      spec.waba_id = *account;
    }
    if (auto days = value("--expires-days")) {
      auto n = to_int(*days);
      if (!n || *n < 1 || *n > 3650) return usage("--expires-days needs a number of days, 1-3650");
      spec.expires_at = now_ + std::chrono::hours(24) * *n;
    }
    auto made = store::create_api_key(db_, spec, now_);
    if (!made) {
      if (made.error() == store::api_key_errc::unknown_account) return unknown_account(spec);
      return operation_failed(err_, "cannot create the key", made.error());
    }
    const store::api_key& k = made->key;
    if (json_) {
      print_json(out_, json::object{{"key", auth::key_json(k, now_)}, {"secret", made->secret}});
      return 0;
    }
    out_ << fmt::format("Key {} created: {}\n", k.id, k.name);
    print_key(k);
    out_ << "\nAPI key (shown once; store it now, Pons keeps only its hash):\n  " << made->secret
         << "\n\nThe MCP client sends it as the header: Authorization: Bearer <the key>\n";
    return 0;
  }

  // An account that is not recorded: say which ones are.
  int unknown_account(const store::api_key_spec& spec) {
    auto accounts = store::list_accounts(db_);
    std::vector<std::string> wabas;
    if (accounts) {
      for (const auto& a : *accounts) {
        wabas.push_back(a.name.empty() ? a.waba_id : fmt::format("{} ({})", a.waba_id, a.name));
      }
    }
    err_ << fmt::format(
        "pons-webhook: cannot create the key: no account with WABA id {} is "
        "recorded. ",
        spec.waba_id);
    if (wabas.empty()) {
      err_ << "No account is recorded yet: start pons-webhook once with the account configured "
              "(WA_WABA_ID, or the --config file), then create the key.\n";
    } else {
      err_ << fmt::format("The recorded accounts: {}.\n", fmt::join(wabas, ", "));
    }
    return 1;
  }

  void print_key(const store::api_key& k) {
    out_ << "  id:        " << k.id << '\n'
         << "  name:      " << k.name << '\n'
         << "  prefix:    " << k.prefix << '\n'
         << "  scopes:    " << fmt::format("{}", fmt::join(k.scopes, ",")) << '\n'
         << "  account:   " << (k.waba_id.empty() ? "every account" : k.waba_id) << '\n'
         << "  created:   " << k.created_at << '\n'
         << "  expires:   " << (k.expires_at.empty() ? "never" : k.expires_at) << '\n';
  }

  int list() {
    if (!inv_.flags.positional.empty()) {
      return usage(fmt::format("keys list takes no arguments, got '{}'", inv_.flags.positional[0]));
    }
    auto keys = store::list_api_keys(db_);
    if (!keys) return operation_failed(err_, "cannot list the keys", keys.error());
    if (json_) {
      json::array a;
      for (const auto& k : *keys) a.push_back(auth::key_json(k, now_));
      print_json(out_, a);
      return 0;
    }
    if (keys->empty()) {
      out_ << "No API keys. Make one with: pons-webhook keys create --name NAME --scopes read\n";
      return 0;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& k : *keys) {
      rows.push_back(
          {std::to_string(k.id), k.name, k.prefix, fmt::format("{}", fmt::join(k.scopes, ",")),
           k.waba_id.empty() ? "all" : k.waba_id, k.created_at, or_dash(k.last_used_at),
           k.expires_at.empty() ? "never" : k.expires_at, std::string(auth::key_state(k, now_))});
    }
    print_table(
        out_,
        {"ID", "NAME", "PREFIX", "SCOPES", "ACCOUNT", "CREATED", "LAST USED", "EXPIRES", "STATE"},
        rows);
    return 0;
  }

  int revoke() {
    if (inv_.flags.positional.size() != 1) return usage("keys revoke needs exactly one ID");
    auto id = to_int(inv_.flags.positional[0]);
    if (!id || *id <= 0) return usage(fmt::format("'{}' is not an ID", inv_.flags.positional[0]));
    auto before = store::get_api_key(db_, *id);
    if (!before)
      return operation_failed(err_, fmt::format("cannot revoke key {}", *id), before.error());
    auto k = store::revoke_api_key(db_, *id, now_);
    if (!k) return operation_failed(err_, fmt::format("cannot revoke key {}", *id), k.error());
    const bool already = !before->revoked_at.empty();
    if (json_) {
      auto o = auth::key_json(*k, now_);
      o["alreadyRevoked"] = already;
      print_json(out_, o);
    } else if (already) {
      out_ << fmt::format("Key {} ({}) was already revoked at {}.\n", k->id, k->name,
                          k->revoked_at);
    } else {
      out_ << fmt::format("Key {} ({}, {}) is revoked: requests with it are refused from now on.\n",
                          k->id, k->name, k->prefix);
    }
    return 0;
  }

  store::database& db_;
  store::time_point now_;
  std::ostream& out_;
  std::ostream& err_;
  const admin_invocation& inv_;
  bool json_;
};

}  // namespace

bool is_keys_command(std::string_view word) {
  return word == "keys";
}

int run_keys_command(std::span<const std::string_view> args, store::database& db,
                     store::time_point now, std::ostream& out, std::ostream& err) {
  auto inv = prepare_admin(args, keys_group());
  if (auto answered = answer_without_running(inv, out, err)) return *answered;
  return runner(db, now, out, err, inv).run();
}

int run_key_admin(std::span<const std::string_view> args, const store::env_lookup& env,
                  std::string_view cwd, std::ostream& out, std::ostream& err) {
  // Help and usage errors first: neither needs the database.
  auto inv = prepare_admin(args, keys_group());
  if (auto answered = answer_without_running(inv, out, err)) return *answered;
  const auto db_flag = inv.flags.value("--db");
  return with_admin_database(db_flag, inv.topic, env, cwd, err, [&](store::database& db) {
    return runner(db, std::chrono::system_clock::now(), out, err, inv).run();
  });
}

}  // namespace pons::cli
