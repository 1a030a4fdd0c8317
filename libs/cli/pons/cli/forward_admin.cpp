#include "pons/cli/forward_admin.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <chrono>
#include <optional>
#include <set>
#include <vector>

#include "pons/cli/admin_command.hpp"
#include "pons/cli/text_table.hpp"
#include "pons/forward/deliverer.hpp"
#include "pons/forward/delivery_repository.hpp"
#include "pons/forward/outbox.hpp"
#include "pons/forward/records_json.hpp"
#include "pons/forward/target_repository.hpp"
#include "pons/forward/test_event.hpp"
#include "pons/store/database.hpp"
#include "pons/store/db_location.hpp"

namespace pons::cli {

// The forwarding admin commands speak forward's vocabulary throughout.
using namespace forward;

namespace {

namespace json = boost::json;
using clock = std::chrono::system_clock;

// One flag of a command, for its help page.
struct flag_spec {
  std::string_view name;   // "--url"
  std::string_view value;  // "URL", empty for a switch
  std::string_view text;
};

// What a command takes and says about itself: the one source of its help page and of the
// flags it accepts.
struct command_spec {
  std::string_view group;     // "targets" | "deliveries"
  std::string_view verb;      // "add"
  std::string_view synopsis;  // what follows the verb on the usage line
  std::string_view summary;   // one line on the group's page
  std::string_view description;
  std::vector<flag_spec> flags;  // besides --json, --db and --help
};

constexpr std::string_view events_text =
    "event types to forward, comma-separated (default: all): message.inbound.received, "
    "message.outbound.sent, message.outbound.failed, message.status.updated, "
    "contact.preferences.updated, template.status.updated, number.quality.updated";
constexpr std::string_view url_text =
    "where events are POSTed: https, or http to localhost/loopback only";

const std::vector<command_spec>& commands() {
  static const std::vector<command_spec> specs{
      {"targets",
       "add",
       "--url URL [options]",
       "add a target; prints its signing secret, once",
       "Adds a forwarding target: Pons POSTs each event to it, signed with the target's own "
       "secret (X-Pons-Signature). The secret is printed now and never again.",
       {{"--url", "URL", url_text},
        {"--events", "T1,T2", events_text},
        {"--phone-number-id", "ID", "only events of this phone number id (default: every number)"},
        {"--description", "TEXT", "a note for people"},
        {"--max-attempts", "N", "attempts before a delivery is dead, 1-50 (default 8)"},
        {"--timeout-ms", "N", "time allowed per attempt, 100-300000 (default 10000)"},
        {"--disabled", "", "add it switched off"}}},
      {"targets",
       "list",
       "",
       "list the targets with their last success and failure",
       "Lists the forwarding targets: URL, phone number, events, last success and failure, "
       "consecutive failures. Secrets are never shown.",
       {}},
      {"targets",
       "show",
       "ID",
       "show one target",
       "Shows one forwarding target (not its secret).",
       {}},
      {"targets",
       "update",
       "ID [options]",
       "change a target's URL, events, number, limits, or switch it on or off",
       "Changes a forwarding target; options not given keep their value.",
       {{"--url", "URL", url_text},
        {"--events", "T1,T2", events_text},
        {"--phone-number-id", "ID", "only events of this phone number id; \"\" for every number"},
        {"--description", "TEXT", "a note for people"},
        {"--max-attempts", "N", "attempts before a delivery is dead, 1-50"},
        {"--timeout-ms", "N", "time allowed per attempt, 100-300000"},
        {"--enable", "", "switch the target on"},
        {"--disable", "", "switch the target off (deliveries wait)"}}},
      {"targets",
       "remove",
       "ID",
       "remove a target and its deliveries",
       "Removes a forwarding target together with its queued and past deliveries.",
       {}},
      {"targets",
       "rotate-secret",
       "ID",
       "give a target a new signing secret, printed once",
       "Gives a forwarding target a new signing secret and prints it, once. Update the receiving "
       "side: deliveries from now on are signed with the new secret.",
       {}},
      {"targets",
       "test",
       "ID",
       "send a signed \"pons.test\" event now and show the answer",
       "Sends one signed \"pons.test\" event to the target now, outside the delivery queue, and "
       "shows the HTTP answer. Exit status 0 when the target answered 2xx.",
       {}},
      {"deliveries",
       "list",
       "[options]",
       "list deliveries, newest first",
       "Lists deliveries (one per event and target), newest first: state, attempts, last "
       "answer, next attempt.",
       {{"--target", "ID", "only this target's deliveries"},
        {"--state", "STATE", "only pending, delivering, succeeded or dead ones"},
        {"--limit", "N", "at most N rows, 1-10000"}}},
      {"deliveries",
       "show",
       "ID",
       "show one delivery with its body and every attempt",
       "Shows one delivery: the event body it sends and every attempt with its answer.",
       {}},
      {"deliveries",
       "retry",
       "ID | --dead [--target ID]",
       "send a delivery, or every dead one, again",
       "Queues a delivery again now with a fresh attempt budget; with --dead, every dead "
       "delivery (of one target with --target).",
       {{"--dead", "", "retry every dead delivery instead of one ID"},
        {"--target", "ID", "with --dead: only this target's deliveries"}}},
  };
  return specs;
}

const command_spec* find_command(std::string_view group, std::string_view verb) {
  for (const auto& c : commands()) {
    if (c.group == group && c.verb == verb) return &c;
  }
  return nullptr;
}

// Aligned "  name  text" lines, wrapped at 100 columns.
void help_rows(std::string& out, const std::vector<std::pair<std::string, std::string>>& rows) {
  std::size_t width = 0;
  for (const auto& [name, text] : rows) width = std::max(width, name.size());
  width = std::min<std::size_t>(width, 28);
  for (const auto& [name, text] : rows) {
    std::string line = "  " + name;
    std::string pad(width + 4, ' ');
    line += name.size() <= width ? std::string(width - name.size() + 2, ' ') : "\n" + pad;
    std::size_t column = name.size() <= width ? width + 4 : pad.size();
    std::string_view rest = text;
    while (!rest.empty()) {
      auto room = 100 - column;
      auto cut = rest.size() <= room ? rest.size() : rest.rfind(' ', room);
      if (cut == std::string_view::npos || cut == 0) cut = std::min(rest.size(), room);
      line += rest.substr(0, cut);
      rest.remove_prefix(cut);
      while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
      if (!rest.empty()) {
        line += "\n" + pad;
        column = pad.size();
      }
    }
    out += line + "\n";
  }
}

// Wraps a paragraph at 100 columns.
std::string paragraph(std::string_view text) {
  std::string out;
  while (!text.empty()) {
    auto cut = text.size() <= 100 ? text.size() : text.rfind(' ', 100);
    if (cut == std::string_view::npos || cut == 0) cut = std::min<std::size_t>(text.size(), 100);
    out += std::string(text.substr(0, cut)) + "\n";
    text.remove_prefix(cut);
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  }
  return out;
}

constexpr std::string_view db_text =
    "database file (default: $PONS_DB, else $XDG_DATA_HOME/pons/pons.db, else "
    "~/.local/share/pons/pons.db)";

std::string command_help(const command_spec& c) {
  std::string out = fmt::format("usage: pons-webhook {} {}{}{}\n\n", c.group, c.verb,
                                c.synopsis.empty() ? "" : " ", c.synopsis);
  out += paragraph(c.description);
  out += "\noptions:\n";
  std::vector<std::pair<std::string, std::string>> rows;
  for (const auto& f : c.flags) {
    rows.emplace_back(f.value.empty() ? std::string(f.name) : fmt::format("{} {}", f.name, f.value),
                      std::string(f.text));
  }
  rows.emplace_back("--json", "machine-readable output (one JSON document)");
  rows.emplace_back("--db PATH", std::string(db_text));
  rows.emplace_back("--help", "show this help");
  help_rows(out, rows);
  return out;
}

std::string group_help(std::string_view group) {
  std::string out = fmt::format("usage: pons-webhook {} COMMAND [options]\n\n", group);
  out += paragraph(
      group == "targets"
          ? "Forwarding targets are your own HTTPS endpoints: Pons POSTs every event it stores "
            "(inbound messages, sends, status updates) to each target, signed with the target's "
            "secret, and retries with backoff until the target answers 2xx."
          : "A delivery is one event on its way to one target. Deliveries that fail every "
            "attempt become dead; retry sends them again.");
  out += "\ncommands:\n";
  std::vector<std::pair<std::string, std::string>> rows;
  for (const auto& c : commands()) {
    if (c.group != group) continue;
    rows.emplace_back(
        c.synopsis.empty() ? std::string(c.verb) : fmt::format("{} {}", c.verb, c.synopsis),
        std::string(c.summary));
  }
  help_rows(out, rows);
  out += fmt::format(
      "\nEvery command takes --json (machine-readable output) and --db PATH.\n"
      "A command's own options: pons-webhook {} COMMAND --help\n",
      group);
  return out;
}

// Flags that take a value; everything else starting with -- is a switch.
const std::set<std::string_view> value_flags{
    "--url",        "--events", "--phone-number-id", "--description", "--max-attempts",
    "--timeout-ms", "--target", "--state",           "--limit",       "--db"};
const std::set<std::string_view> switch_flags{"--json", "--enable", "--disable", "--disabled",
                                              "--dead"};

// The admin group `name` ("targets" or "deliveries"): each command takes its own flags, --json
// and --db; another known flag is one it does not take, anything else an unknown option.
admin_group make_group(std::string_view name) {
  admin_group g{std::string(name), group_help(name), {}, {}};
  for (const auto& c : commands()) {
    if (c.group != name) continue;
    flag_set takes{{"--db"}, {"--json"}};
    for (const auto& f : c.flags) {
      (f.value.empty() ? takes.switches : takes.values).emplace(f.name);
    }
    g.commands.push_back({std::string(c.verb), command_help(c), std::move(takes)});
  }
  g.refuse = [group = g.name](const admin_command& c, std::string_view flag, std::string_view arg) {
    const bool taken = c.flags.values.count(flag) || c.flags.switches.count(flag);
    if (!taken && (value_flags.count(flag) || switch_flags.count(flag))) {
      return fmt::format("{} {} does not take {}", group, c.verb, flag);
    }
    return fmt::format("unknown option {}", arg);
  };
  return g;
}

std::optional<std::int64_t> to_int(std::string_view s) {
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::vector<std::string> split_events(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    auto comma = s.find(',');
    auto part = s.substr(0, comma);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (!part.empty()) out.emplace_back(part);
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

void print_target(std::ostream& out, const target& t) {
  out << "id:                   " << t.id << '\n'
      << "url:                  " << t.url << '\n'
      << "description:          " << or_dash(t.description) << '\n'
      << "phone number:         " << (t.phone_number_id.empty() ? "all" : t.phone_number_id) << '\n'
      << "events:               " << fmt::format("{}", fmt::join(t.event_types, ", ")) << '\n'
      << "enabled:              " << (t.enabled ? "yes" : "no") << '\n'
      << "max attempts:         " << t.max_attempts << '\n'
      << "timeout:              " << t.timeout.count() << " ms\n"
      << "last success:         " << or_dash(t.last_success_at) << '\n'
      << "last failure:         " << or_dash(t.last_failure_at) << '\n'
      << "consecutive failures: " << t.consecutive_failures << '\n';
}

void print_json(std::ostream& out, const json::value& v) {
  out << json::serialize(v) << '\n';
}

// What an admin command line asks for: a help page, a usage error, or a command to run.
struct invocation {
  const command_spec* spec = nullptr;
  parsed_flags args;
  std::string help;        // a page to print (exit 0)
  std::string error;       // a usage error (exit 2)
  std::string help_topic;  // the command whose help the error points at ("targets add")
};

invocation prepare(std::span<const std::string_view> args) {
  invocation inv;
  if (args.empty() || (args[0] != "targets" && args[0] != "deliveries")) {
    inv.help_topic = "targets";
    inv.error = "expected targets or deliveries";
    return inv;
  }
  static const admin_group targets = make_group("targets");
  static const admin_group deliveries = make_group("deliveries");
  auto admin = prepare_admin(args, args[0] == "targets" ? targets : deliveries);
  if (admin.command) inv.spec = find_command(args[0], admin.command->verb);
  inv.args = std::move(admin.flags);
  inv.help = std::move(admin.help);
  inv.error = std::move(admin.error);
  inv.help_topic = std::move(admin.topic);
  return inv;
}

class runner {
 public:
  runner(store::database& db, std::ostream& out, std::ostream& err, parsed_flags args,
         std::string help_topic)
      : db_(db),
        out_(out),
        err_(err),
        a_(std::move(args)),
        json_(a_.has("--json")),
        topic_(std::move(help_topic)) {}

  int run(const command_spec& c) {
    if (c.group == "targets") {
      if (c.verb == "add") return targets_add();
      if (c.verb == "list") return no_arguments([&] { return targets_list(); });
      if (c.verb == "show") return with_id([&](std::int64_t id) { return targets_show(id); });
      if (c.verb == "update") return with_id([&](std::int64_t id) { return targets_update(id); });
      if (c.verb == "remove") return with_id([&](std::int64_t id) { return targets_remove(id); });
      if (c.verb == "rotate-secret")
        return with_id([&](std::int64_t id) { return targets_rotate(id); });
      if (c.verb == "test") return with_id([&](std::int64_t id) { return targets_test(id); });
    } else {
      if (c.verb == "list") return no_arguments([&] { return deliveries_list(); });
      if (c.verb == "show") return with_id([&](std::int64_t id) { return deliveries_show(id); });
      if (c.verb == "retry") return deliveries_retry();
    }
    return usage(fmt::format("unknown command '{} {}'", c.group, c.verb));
  }

 private:
  int usage(std::string_view message) { return usage_error(err_, message, topic_); }

  template <class F>
  int no_arguments(F&& f) {
    if (!a_.positional.empty()) {
      return usage(fmt::format("{} takes no arguments, got '{}'", topic_, a_.positional[0]));
    }
    return f();
  }

  template <class F>
  int with_id(F&& f) {
    if (a_.positional.size() != 1) return usage(fmt::format("{} needs exactly one ID", topic_));
    auto id = to_int(a_.positional[0]);
    if (!id || *id <= 0) return usage(fmt::format("'{}' is not an ID", a_.positional[0]));
    return f(*id);
  }

  // Reads the shared target flags into `spec`-like optionals; false on a usage error.
  bool read_changes(target_changes& c, int& code) {
    if (auto v = a_.value("--url")) c.url = *v;
    if (auto v = a_.value("--description")) c.description = *v;
    if (auto v = a_.value("--phone-number-id")) c.phone_number_id = *v;
    if (auto v = a_.value("--events")) c.event_types = split_events(*v);
    if (auto v = a_.value("--max-attempts")) {
      auto n = to_int(*v);
      if (!n) return code = usage("--max-attempts needs a number"), false;
      c.max_attempts = static_cast<int>(*n);
    }
    if (auto v = a_.value("--timeout-ms")) {
      auto n = to_int(*v);
      if (!n) return code = usage("--timeout-ms needs a number of milliseconds"), false;
      c.timeout = std::chrono::milliseconds(*n);
    }
    if (a_.has("--enable") && (a_.has("--disable") || a_.has("--disabled"))) {
      return code = usage("--enable and --disable exclude each other"), false;
    }
    if (a_.has("--enable")) c.enabled = true;
    if (a_.has("--disable") || a_.has("--disabled")) c.enabled = false;
    return true;
  }

  void print_secret(const target_with_secret& t, std::string_view verb) {
    if (json_) {
      json::object o;
      o["target"] = target_json(t.value);
      o["secret"] = t.secret;
      print_json(out_, o);
      return;
    }
    out_ << fmt::format("Target {} {}.\n", t.value.id, verb);
    print_target(out_, t.value);
    out_ << "\nSigning secret (shown once; store it now, Pons will not show it again):\n  "
         << t.secret << '\n';
  }

  int targets_add() {
    if (!a_.positional.empty()) return usage("targets add takes no positional arguments");
    auto url = a_.value("--url");
    if (!url) return usage("targets add needs --url");
    target_changes c;
    int code = 0;
    if (!read_changes(c, code)) return code;
    c.url = *url;
    const target_spec spec = apply(target_spec{}, c);
    auto added = add_target(db_, spec, clock::now());
    if (!added)
      return operation_failed(err_, fmt::format("cannot add target {}", spec.url), added.error());
    print_secret(*added, "added");
    return 0;
  }

  int targets_list() {
    auto list = list_targets(db_);
    if (!list) return operation_failed(err_, "cannot list targets", list.error());
    if (json_) {
      json::array a;
      for (const auto& t : *list) a.push_back(target_json(t));
      print_json(out_, a);
      return 0;
    }
    if (list->empty()) {
      out_ << "No forwarding targets. Add one with: pons-webhook targets add --url URL\n";
      return 0;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& t : *list) {
      const bool all = t.event_types.size() == all_event_types.size();
      rows.push_back({std::to_string(t.id), t.enabled ? "yes" : "no", t.url,
                      t.phone_number_id.empty() ? "all" : t.phone_number_id,
                      all ? "all" : fmt::format("{}", fmt::join(t.event_types, ",")),
                      or_dash(t.last_success_at), or_dash(t.last_failure_at),
                      std::to_string(t.consecutive_failures)});
    }
    print_table(
        out_, {"ID", "ENABLED", "URL", "NUMBER", "EVENTS", "LAST SUCCESS", "LAST FAILURE", "FAILS"},
        rows);
    return 0;
  }

  int targets_show(std::int64_t id) {
    auto t = get_target(db_, id);
    if (!t) return operation_failed(err_, fmt::format("target {}", id), t.error());
    if (json_) {
      print_json(out_, target_json(*t));
    } else {
      print_target(out_, *t);
    }
    return 0;
  }

  int targets_update(std::int64_t id) {
    target_changes c;
    int code = 0;
    if (!read_changes(c, code)) return code;
    auto t = update_target(db_, id, c, clock::now());
    if (!t) return operation_failed(err_, fmt::format("cannot update target {}", id), t.error());
    if (json_) {
      print_json(out_, target_json(*t));
    } else {
      out_ << fmt::format("Target {} updated.\n", id);
      print_target(out_, *t);
    }
    return 0;
  }

  int targets_remove(std::int64_t id) {
    if (auto r = remove_target(db_, id); !r) {
      return operation_failed(err_, fmt::format("cannot remove target {}", id), r.error());
    }
    if (json_) {
      json::object o;
      o["removed"] = id;
      print_json(out_, o);
    } else {
      out_ << fmt::format("Target {} removed with its deliveries.\n", id);
    }
    return 0;
  }

  int targets_rotate(std::int64_t id) {
    auto t = rotate_secret(db_, id, clock::now());
    if (!t)
      return operation_failed(err_, fmt::format("cannot rotate the secret of target {}", id),
                              t.error());
    print_secret(*t, "has a new signing secret");
    return 0;
  }

  int targets_test(std::int64_t id) {
    auto job = make_test_job(db_, id, "pons-webhook targets test", clock::now());
    if (!job) return operation_failed(err_, fmt::format("target {}", id), job.error());
    const char* allow = std::getenv("PONS_FORWARD_ALLOW_LINK_LOCAL");
    const char* ca = std::getenv("PONS_FORWARD_CA_FILE");
    auto outcome = send_once(*job, allow && std::string_view(allow) == "1", ca ? ca : "");
    const bool ok = is_success(outcome);
    if (json_) {
      json::object o;
      o["targetId"] = id;
      o["ok"] = ok;
      if (outcome.status_code) {
        o["statusCode"] = *outcome.status_code;
      } else {
        o["statusCode"] = nullptr;
      }
      o["error"] = outcome.error;
      o["durationMs"] = outcome.duration.count();
      print_json(out_, o);
    } else if (ok) {
      out_ << fmt::format("Target {}: HTTP 200 in {} ms. Delivery works.\n", id,
                          outcome.duration.count());
    } else {
      out_ << fmt::format("Target {}: failed after {} ms: {}\n", id, outcome.duration.count(),
                          outcome.error);
    }
    return ok ? 0 : 1;
  }

  int deliveries_list() {
    delivery_filter f;
    if (auto v = a_.value("--target")) {
      auto n = to_int(*v);
      if (!n) return usage("--target needs a target ID");
      f.target_id = *n;
    }
    if (auto v = a_.value("--state")) {
      static const std::set<std::string_view> states{"pending", "delivering", "succeeded", "dead"};
      if (!states.count(*v)) {
        return usage("--state is one of pending, delivering, succeeded, dead");
      }
      f.state = *v;
    }
    if (auto v = a_.value("--limit")) {
      auto n = to_int(*v);
      if (!n || *n < 1 || *n > 10000) return usage("--limit needs a number 1..10000");
      f.limit = static_cast<int>(*n);
    }
    auto list = list_deliveries(db_, f);
    if (!list) return operation_failed(err_, "cannot list deliveries", list.error());
    if (json_) {
      json::array a;
      for (const auto& d : *list) a.push_back(delivery_json(d));
      print_json(out_, a);
      return 0;
    }
    if (list->empty()) {
      out_ << "No deliveries.\n";
      return 0;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& d : *list) {
      rows.push_back({std::to_string(d.id), std::to_string(d.target_id), d.event_type, d.state,
                      std::to_string(d.attempts),
                      d.last_status_code ? std::to_string(*d.last_status_code) : "-",
                      d.state == "pending" ? d.next_attempt_at : "-", or_dash(d.last_error)});
    }
    print_table(
        out_, {"ID", "TARGET", "EVENT", "STATE", "ATTEMPTS", "LAST", "NEXT ATTEMPT", "LAST ERROR"},
        rows);
    return 0;
  }

  int deliveries_show(std::int64_t id) {
    auto d = get_delivery(db_, id);
    if (!d) return operation_failed(err_, fmt::format("delivery {}", id), d.error());
    if (json_) {
      print_json(out_, delivery_detail_json(*d));
      return 0;
    }
    const auto& r = d->delivery;
    out_ << "delivery:     " << r.id << '\n'
         << "target:       " << r.target_id << '\n'
         << "event:        " << r.event_id << " (" << r.event_type << ")\n"
         << "state:        " << r.state << '\n'
         << "attempts:     " << r.attempts << '\n'
         << "next attempt: " << (r.state == "pending" ? r.next_attempt_at : "-") << '\n'
         << "created:      " << r.created_at << '\n'
         << "body:         " << d->body << "\n\n";
    if (d->attempts.empty()) {
      out_ << "No attempts yet.\n";
      return 0;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& a : d->attempts) {
      rows.push_back({std::to_string(a.attempt), a.started_at, std::to_string(a.duration_ms),
                      a.status_code ? std::to_string(*a.status_code) : "-", or_dash(a.error)});
    }
    print_table(out_, {"ATTEMPT", "STARTED", "MS", "STATUS", "ERROR"}, rows);
    return 0;
  }

  int deliveries_retry() {
    if (a_.has("--dead")) {
      if (!a_.positional.empty()) return usage("give either an ID or --dead, not both");
      std::optional<std::int64_t> target;
      if (auto v = a_.value("--target")) {
        auto n = to_int(*v);
        if (!n) return usage("--target needs a target ID");
        target = *n;
      }
      auto n = retry_dead(db_, target, clock::now());
      if (!n) return operation_failed(err_, "cannot retry dead deliveries", n.error());
      if (json_) {
        json::object o;
        o["retried"] = *n;
        print_json(out_, o);
      } else {
        if (*n == 0) {
          out_ << "No dead deliveries to retry.\n";
        } else {
          out_ << fmt::format("{} dead {} will be sent again now.\n", *n,
                              *n == 1 ? "delivery" : "deliveries");
        }
      }
      return 0;
    }
    if (a_.positional.empty()) return usage("deliveries retry needs a delivery ID or --dead");
    return with_id([&](std::int64_t id) {
      if (auto r = retry_delivery(db_, id, clock::now()); !r) {
        return operation_failed(err_, fmt::format("cannot retry delivery {}", id), r.error());
      }
      if (json_) {
        json::object o;
        o["retried"] = 1;
        o["id"] = id;
        print_json(out_, o);
      } else {
        out_ << fmt::format("Delivery {} will be sent again now, with a fresh attempt budget.\n",
                            id);
      }
      return 0;
    });
  }

  store::database& db_;
  std::ostream& out_;
  std::ostream& err_;
  parsed_flags a_;
  bool json_;
  std::string topic_;
};

}  // namespace

bool is_forward_command(std::string_view word) {
  return word == "targets" || word == "deliveries";
}

int run_forward_command(std::span<const std::string_view> args, store::database& db,
                        std::ostream& out, std::ostream& err) {
  auto inv = prepare(args);
  if (!inv.help.empty()) {
    out << inv.help;
    return 0;
  }
  if (!inv.error.empty()) return usage_error(err, inv.error, inv.help_topic);
  runner r(db, out, err, std::move(inv.args), inv.help_topic);
  return r.run(*inv.spec);
}

int run_forward_admin(std::span<const std::string_view> args, const store::env_lookup& env,
                      std::string_view cwd, std::ostream& out, std::ostream& err) {
  // Help and usage errors first: neither needs the database.
  auto inv = prepare(args);
  if (!inv.help.empty()) {
    out << inv.help;
    return 0;
  }
  if (!inv.error.empty()) return usage_error(err, inv.error, inv.help_topic);
  const auto db_flag = inv.args.value("--db");
  return with_admin_database(db_flag, inv.help_topic, env, cwd, err, [&](store::database& db) {
    runner r(db, out, err, std::move(inv.args), inv.help_topic);
    return r.run(*inv.spec);
  });
}

}  // namespace pons::cli
