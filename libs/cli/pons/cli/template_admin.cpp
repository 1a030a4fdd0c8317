#include "pons/cli/template_admin.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <optional>
#include <string_view>
#include <vector>

#include "pons/meta/template_sync.hpp"
#include "pons/store/database.hpp"
#include "pons/store/db_location.hpp"

namespace pons::cli {

// The templates command speaks meta's vocabulary throughout.
using namespace meta;

namespace {

constexpr std::string_view usage_text =
    R"(usage: pons-webhook templates sync [--account WABA_ID] [--db PATH] [--config FILE]

Fetches the message templates of every configured account (or only WABA_ID) from Meta into the
database, and prints per account how many were added, updated and removed. pons-webhook also
does this at start, every --template-sync-interval-s, and when Meta reports a template change.

Accounts: WA_WABA_ID with WA_ACCESS_TOKEN (and WA_PHONE_NUMBER_ID), and those of the config file
(--config FILE, else $PONS_CONFIG; mode 0600). The database: --db PATH, else $PONS_DB, else
$XDG_DATA_HOME/pons/pons.db, else ~/.local/share/pons/pons.db.
Exit codes: 0 every account synced, 1 some account was not (the reason is printed), 2 usage.
)";

}  // namespace

bool is_templates_command(std::string_view word) {
  return word == "templates";
}

std::string_view templates_usage() {
  return usage_text;
}

int run_templates_command(std::span<const std::string_view> args, const env_lookup& env,
                          const graph_config& graph, std::string_view cwd, std::ostream& out,
                          std::ostream& err) {
  auto usage_error = [&](const std::string& message) {
    err << "pons-webhook templates: " << message << "\nTry 'pons-webhook templates --help'.\n";
    return 2;
  };
  std::optional<std::string> db_flag;
  std::string config_path = env("PONS_CONFIG").value_or("");
  std::optional<std::string> only;
  bool sync = false;
  for (std::size_t i = 1; i < args.size(); ++i) {
    std::string_view a = args[i];
    if (a == "--help" || a == "-h") {
      out << usage_text;
      return 0;
    }
    std::string_view name = a;
    std::optional<std::string_view> value;
    if (auto eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string_view::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
    }
    auto take = [&]() -> std::optional<std::string> {
      if (value) return std::string(*value);
      if (i + 1 >= args.size()) return std::nullopt;
      return std::string(args[++i]);
    };
    if (name == "--account" || name == "--db" || name == "--config") {
      auto v = take();
      if (!v || v->empty()) return usage_error(fmt::format("{} needs a value", name));
      if (name == "--account") only = *v;
      if (name == "--db") db_flag = *v;
      if (name == "--config") config_path = *v;
    } else if (a == "sync" && !sync) {
      sync = true;
    } else {
      return usage_error(fmt::format("unknown argument '{}'", a));
    }
  }
  if (!sync) return usage_error("say what to do: templates sync");
  auto location = store::resolve_db_location(db_flag, env, cwd);
  if (!location) return usage_error(location.message);
  const std::string& db_path = location.path;

  auto accounts = load_graph_accounts(env, config_path);
  if (!accounts) {
    err << "pons-webhook templates: " << (config_path.empty() ? std::string() : config_path + ": ")
        << accounts.error().message() << "\n";
    return 2;
  }
  std::vector<const account*> chosen;
  std::vector<std::string_view> configured;
  for (const auto& a : accounts->accounts) {
    if (a.waba_id.empty()) continue;
    configured.push_back(a.waba_id);
    if (!only || *only == a.waba_id) chosen.push_back(&a);
  }
  if (configured.empty()) {
    return usage_error(
        "no account with a WABA id is configured: set WA_WABA_ID and WA_ACCESS_TOKEN, or pass "
        "--config FILE");
  }
  if (chosen.empty()) {
    return usage_error(fmt::format("account {} is not configured; configured: {}", *only,
                                   fmt::join(configured, ", ")));
  }

  auto db = store::database::open(db_path);
  if (!db) {
    err << fmt::format("pons-webhook templates: cannot open database {}: {}\n",
                       store::shown_location(db_path), db.error().message());
    return 1;
  }
  int code = 0;
  for (const auto* a : chosen) {
    if (a->access_token.empty()) {
      err << fmt::format(
          "Account {}: not synced: no access token is configured for it; set WA_ACCESS_TOKEN "
          "(or access_token for this account in the config file).\n",
          a->waba_id);
      code = 1;
      continue;
    }
    auto cfg = graph;
    cfg.access_token = a->access_token;
    graph_client client(cfg);
    auto r = sync_account_templates(*db, client, a->waba_id, std::chrono::system_clock::now());
    if (!r) {
      err << fmt::format("Account {}: not synced: {}\n", a->waba_id, r.error().explain());
      code = 1;
      continue;
    }
    out << describe_template_sync(a->waba_id, *r) << "\n";
  }
  return code;
}

}  // namespace pons::cli
