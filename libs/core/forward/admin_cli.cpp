#include "core/forward/admin_cli.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "core/forward/deliverer.hpp"
#include "core/forward/delivery_repository.hpp"
#include "core/forward/target_repository.hpp"
#include "core/store/database.hpp"

namespace pons::forward {

namespace {

namespace json = boost::json;
using clock = std::chrono::system_clock;

constexpr std::string_view usage_text =
    R"(Forwarding administration:
  pons-webhook targets add --url URL [--events T1,T2] [--phone-number-id ID]
                           [--description TEXT] [--max-attempts N] [--timeout-ms N] [--disabled]
  pons-webhook targets list
  pons-webhook targets show ID
  pons-webhook targets update ID [--url URL] [--events T1,T2] [--phone-number-id ID|""]
                           [--description TEXT] [--max-attempts N] [--timeout-ms N]
                           [--enable|--disable]
  pons-webhook targets remove ID
  pons-webhook targets rotate-secret ID
  pons-webhook targets test ID          send a signed "pons.test" event now and show the answer
  pons-webhook deliveries list [--target ID] [--state pending|delivering|succeeded|dead]
                               [--limit N]
  pons-webhook deliveries show ID
  pons-webhook deliveries retry ID | --dead [--target ID]
Every command takes --json (machine-readable output) and --db PATH.
Event types: message.inbound.received, message.outbound.sent, message.outbound.failed,
message.status.updated (default: all). URLs must be https (http only to localhost/loopback).
)";

// Flags that take a value; everything else starting with -- is a switch.
const std::set<std::string_view> value_flags{
    "--url",        "--events", "--phone-number-id", "--description", "--max-attempts",
    "--timeout-ms", "--target", "--state",           "--limit",       "--db"};
const std::set<std::string_view> switch_flags{"--json", "--enable", "--disable", "--disabled",
                                              "--dead"};

struct parsed_args {
  std::vector<std::string> positional;
  std::map<std::string, std::string, std::less<>> values;
  std::set<std::string, std::less<>> switches;
  std::string error;

  bool has(std::string_view flag) const { return switches.count(flag) > 0; }
  std::optional<std::string> value(std::string_view flag) const {
    auto it = values.find(flag);
    if (it == values.end()) return std::nullopt;
    return it->second;
  }
};

parsed_args parse(std::span<const std::string_view> args) {
  parsed_args p;
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
    if (value_flags.count(name)) {
      if (inline_value) {
        p.values[std::string(name)] = std::string(*inline_value);
      } else if (i + 1 < args.size()) {
        p.values[std::string(name)] = std::string(args[++i]);
      } else {
        p.error = fmt::format("{} needs a value", name);
        return p;
      }
    } else if (switch_flags.count(name) && !inline_value) {
      p.switches.emplace(name);
    } else {
      p.error = fmt::format("unknown option {}", a);
      return p;
    }
  }
  return p;
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

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

// A plain text table: a header row and left-aligned columns.
void print_table(std::ostream& out, const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) width[c] = header[c].size();
  for (const auto& r : rows) {
    for (std::size_t c = 0; c < r.size() && c < width.size(); ++c) {
      width[c] = std::max(width[c], r[c].size());
    }
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string s;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      s += cells[c];
      if (c + 1 < cells.size()) s += std::string(width[c] - cells[c].size() + 2, ' ');
    }
    out << s << '\n';
  };
  line(header);
  for (const auto& r : rows) line(r);
}

json::object target_json(const target& t) {
  json::object o;
  o["id"] = t.id;
  o["url"] = t.url;
  o["description"] = t.description;
  o["phoneNumberId"] = t.phone_number_id;
  json::array types;
  for (const auto& e : t.event_types) types.emplace_back(e);
  o["eventTypes"] = std::move(types);
  o["enabled"] = t.enabled;
  o["maxAttempts"] = t.max_attempts;
  o["timeoutMs"] = t.timeout.count();
  o["lastSuccessAt"] = t.last_success_at;
  o["lastFailureAt"] = t.last_failure_at;
  o["consecutiveFailures"] = t.consecutive_failures;
  o["createdAt"] = t.created_at;
  o["updatedAt"] = t.updated_at;
  return o;
}

json::object delivery_json(const delivery_row& d) {
  json::object o;
  o["id"] = d.id;
  o["eventId"] = d.event_id;
  o["eventType"] = d.event_type;
  o["targetId"] = d.target_id;
  o["state"] = d.state;
  o["attempts"] = d.attempts;
  o["nextAttemptAt"] = d.next_attempt_at;
  if (d.last_status_code) {
    o["lastStatusCode"] = *d.last_status_code;
  } else {
    o["lastStatusCode"] = nullptr;
  }
  o["lastError"] = d.last_error;
  o["createdAt"] = d.created_at;
  o["updatedAt"] = d.updated_at;
  return o;
}

std::string or_dash(const std::string& s) {
  return s.empty() ? "-" : s;
}

void print_target(std::ostream& out, const target& t) {
  out << "id:                   " << t.id << '\n'
      << "url:                  " << t.url << '\n'
      << "description:          " << or_dash(t.description) << '\n'
      << "phone number:         " << (t.phone_number_id.empty() ? "all" : t.phone_number_id) << '\n'
      << "events:               " << join(t.event_types, ", ") << '\n'
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

// What a failed operation prints: the error's own message says what to do next.
int fail(std::ostream& err, std::string_view what, const boost::system::error_code& ec) {
  err << "pons-webhook: " << what << ": " << ec.message() << '\n';
  return 1;
}

int usage(std::ostream& err, std::string_view message) {
  err << "pons-webhook: " << message << "\nTry 'pons-webhook targets --help'.\n";
  return 2;
}

class runner {
 public:
  runner(store::database& db, std::ostream& out, std::ostream& err, parsed_args args)
      : db_(db), out_(out), err_(err), a_(std::move(args)), json_(a_.has("--json")) {}

  int targets(std::string_view verb) {
    if (verb == "add") return targets_add();
    if (verb == "list") return targets_list();
    if (verb == "show") return with_id([&](std::int64_t id) { return targets_show(id); });
    if (verb == "update") return with_id([&](std::int64_t id) { return targets_update(id); });
    if (verb == "remove") return with_id([&](std::int64_t id) { return targets_remove(id); });
    if (verb == "rotate-secret")
      return with_id([&](std::int64_t id) { return targets_rotate(id); });
    if (verb == "test") return with_id([&](std::int64_t id) { return targets_test(id); });
    return usage(err_, fmt::format("unknown command 'targets {}'", verb));
  }

  int deliveries(std::string_view verb) {
    if (verb == "list") return deliveries_list();
    if (verb == "show") return with_id([&](std::int64_t id) { return deliveries_show(id); });
    if (verb == "retry") return deliveries_retry();
    return usage(err_, fmt::format("unknown command 'deliveries {}'", verb));
  }

 private:
  template <class F>
  int with_id(F&& f) {
    if (a_.positional.size() != 1) return usage(err_, "expected exactly one ID");
    auto id = to_int(a_.positional[0]);
    if (!id || *id <= 0) return usage(err_, fmt::format("'{}' is not an ID", a_.positional[0]));
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
      if (!n) return code = usage(err_, "--max-attempts needs a number"), false;
      c.max_attempts = static_cast<int>(*n);
    }
    if (auto v = a_.value("--timeout-ms")) {
      auto n = to_int(*v);
      if (!n) return code = usage(err_, "--timeout-ms needs a number of milliseconds"), false;
      c.timeout = std::chrono::milliseconds(*n);
    }
    if (a_.has("--enable") && (a_.has("--disable") || a_.has("--disabled"))) {
      return code = usage(err_, "--enable and --disable exclude each other"), false;
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
    if (!a_.positional.empty()) return usage(err_, "targets add takes no positional arguments");
    auto url = a_.value("--url");
    if (!url) return usage(err_, "targets add needs --url");
    target_changes c;
    int code = 0;
    if (!read_changes(c, code)) return code;
    c.url = *url;
    const target_spec spec = apply(target_spec{}, c);
    auto added = add_target(db_, spec, clock::now());
    if (!added) return fail(err_, fmt::format("cannot add target {}", spec.url), added.error());
    print_secret(*added, "added");
    return 0;
  }

  int targets_list() {
    auto list = list_targets(db_);
    if (!list) return fail(err_, "cannot list targets", list.error());
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
                      all ? "all" : join(t.event_types, ","), or_dash(t.last_success_at),
                      or_dash(t.last_failure_at), std::to_string(t.consecutive_failures)});
    }
    print_table(
        out_, {"ID", "ENABLED", "URL", "NUMBER", "EVENTS", "LAST SUCCESS", "LAST FAILURE", "FAILS"},
        rows);
    return 0;
  }

  int targets_show(std::int64_t id) {
    auto t = get_target(db_, id);
    if (!t) return fail(err_, fmt::format("target {}", id), t.error());
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
    if (!t) return fail(err_, fmt::format("cannot update target {}", id), t.error());
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
      return fail(err_, fmt::format("cannot remove target {}", id), r.error());
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
    if (!t) return fail(err_, fmt::format("cannot rotate the secret of target {}", id), t.error());
    print_secret(*t, "has a new signing secret");
    return 0;
  }

  int targets_test(std::int64_t id) {
    auto t = get_target(db_, id);
    if (!t) return fail(err_, fmt::format("target {}", id), t.error());
    auto secret_st = db_.prepare("SELECT secret FROM webhook_targets WHERE id = ?1");
    if (!secret_st) return fail(err_, "cannot read the target", secret_st.error());
    secret_st->bind(1, id);
    auto row = secret_st->step();
    if (!row || !*row) return fail(err_, "cannot read the target", forward_errc::not_found);
    delivery_job job;
    job.secret = secret_st->column_text(0);
    job.target_id = id;
    job.url = t->url;
    job.timeout = t->timeout;
    job.attempt = 1;
    job.max_attempts = 1;
    job.event_type = "pons.test";
    const auto now = clock::now();
    job.event_id = fmt::format(
        "evt_test_{}",
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
    json::object envelope;
    envelope["id"] = job.event_id;
    envelope["type"] = "pons.test";
    envelope["source"] = "pons-webhook targets test";
    envelope["occurredAt"] = store::format_timestamp(now);
    envelope["accountId"] = "";
    json::object payload;
    payload["message"] = "A test event from Pons: answer 200 when the signature verifies.";
    envelope["payload"] = std::move(payload);
    job.body = json::serialize(envelope);
    const char* allow = std::getenv("PONS_FORWARD_ALLOW_LINK_LOCAL");
    const char* ca = std::getenv("PONS_FORWARD_CA_FILE");
    auto outcome = send_once(job, allow && std::string_view(allow) == "1", ca ? ca : "");
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
      if (!n) return usage(err_, "--target needs a target ID");
      f.target_id = *n;
    }
    if (auto v = a_.value("--state")) {
      static const std::set<std::string_view> states{"pending", "delivering", "succeeded", "dead"};
      if (!states.count(*v)) {
        return usage(err_, "--state is one of pending, delivering, succeeded, dead");
      }
      f.state = *v;
    }
    if (auto v = a_.value("--limit")) {
      auto n = to_int(*v);
      if (!n || *n < 1 || *n > 10000) return usage(err_, "--limit needs a number 1..10000");
      f.limit = static_cast<int>(*n);
    }
    auto list = list_deliveries(db_, f);
    if (!list) return fail(err_, "cannot list deliveries", list.error());
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
    if (!d) return fail(err_, fmt::format("delivery {}", id), d.error());
    if (json_) {
      auto o = delivery_json(d->delivery);
      boost::system::error_code ec;
      auto body = json::parse(d->body, ec);
      if (ec) {
        o["body"] = d->body;
      } else {
        o["body"] = std::move(body);
      }
      json::array attempts;
      for (const auto& a : d->attempts) {
        json::object x;
        x["attempt"] = a.attempt;
        x["startedAt"] = a.started_at;
        x["durationMs"] = a.duration_ms;
        if (a.status_code) {
          x["statusCode"] = *a.status_code;
        } else {
          x["statusCode"] = nullptr;
        }
        x["error"] = a.error;
        attempts.push_back(std::move(x));
      }
      o["attemptLog"] = std::move(attempts);
      print_json(out_, o);
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
      if (!a_.positional.empty()) return usage(err_, "give either an ID or --dead, not both");
      std::optional<std::int64_t> target;
      if (auto v = a_.value("--target")) {
        auto n = to_int(*v);
        if (!n) return usage(err_, "--target needs a target ID");
        target = *n;
      }
      auto n = retry_dead(db_, target, clock::now());
      if (!n) return fail(err_, "cannot retry dead deliveries", n.error());
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
    return with_id([&](std::int64_t id) {
      if (auto r = retry_delivery(db_, id, clock::now()); !r) {
        return fail(err_, fmt::format("cannot retry delivery {}", id), r.error());
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
  parsed_args a_;
  bool json_;
};

}  // namespace

bool is_admin_command(std::string_view word) {
  return word == "targets" || word == "deliveries";
}

std::string_view admin_usage() {
  return usage_text;
}

int run_admin_command(std::span<const std::string_view> args, store::database& db,
                      std::ostream& out, std::ostream& err) {
  if (args.empty() || !is_admin_command(args[0]))
    return usage(err, "expected targets or deliveries");
  if (args.size() < 2 || args[1] == "--help" || args[1] == "help") {
    out << usage_text;
    return args.size() < 2 ? 2 : 0;
  }
  auto parsed = parse(args.subspan(2));
  if (!parsed.error.empty()) return usage(err, parsed.error);
  runner r(db, out, err, std::move(parsed));
  return args[0] == "targets" ? r.targets(args[1]) : r.deliveries(args[1]);
}

int run_admin(std::span<const std::string_view> args, const std::string& default_db_path,
              std::ostream& out, std::ostream& err) {
  std::string path = default_db_path;
  std::vector<std::string_view> rest;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--db") {
      if (i + 1 >= args.size()) return usage(err, "--db needs a path");
      path = std::string(args[++i]);
    } else if (args[i].rfind("--db=", 0) == 0) {
      path = std::string(args[i].substr(5));
    } else {
      rest.push_back(args[i]);
    }
  }
  if (rest.size() >= 2 && (rest[1] == "--help" || rest[1] == "help")) {
    out << usage_text;
    return 0;
  }
  if (path.empty()) return usage(err, "no database path: pass --db, or set PONS_DB or HOME");
  auto db = store::database::open(path);
  if (!db) {
    err << "pons-webhook: cannot open database " << path << ": " << db.error().message() << '\n';
    return 1;
  }
  return run_admin_command(rest, *db, out, err);
}

}  // namespace pons::forward
