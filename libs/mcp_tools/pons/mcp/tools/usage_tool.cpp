// get_usage: the messages we sent in a range of days, by Meta's pricing category, per number and
// day, from the pricing object of their status webhooks (message_pricing).
#include "pons/mcp/tools/usage_tool.hpp"

#include <fmt/core.h>
#include <fmt/format.h>

#include <chrono>
#include <map>

#include "pons/mcp/tools/account_filter.hpp"
#include "pons/mcp/tools/read_tools.hpp"
#include "pons/mcp/tools/tool_args.hpp"

namespace pons::mcp {

namespace {

using std::chrono::days;
using std::chrono::sys_days;
using std::chrono::year_month_day;

constexpr int max_range_days = 366;

// "2026-11-30" as a calendar day, or nullopt.
std::optional<sys_days> parse_day(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  int y = 0;
  unsigned m = 0;
  unsigned d = 0;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
  }
  y = std::stoi(std::string(text.substr(0, 4)));
  m = static_cast<unsigned>(std::stoi(std::string(text.substr(5, 2))));
  d = static_cast<unsigned>(std::stoi(std::string(text.substr(8, 2))));
  year_month_day ymd{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
  if (!ymd.ok()) return std::nullopt;
  return sys_days(ymd);
}

std::string format_day(sys_days day) {
  year_month_day ymd(day);
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
}

// Counts of one number on one day, or of the whole range.
struct tally {
  std::int64_t sent = 0;
  std::int64_t priced = 0;
  std::int64_t billable = 0;
  std::map<std::string, std::int64_t> by_category;
  std::map<std::string, std::int64_t> billable_by_category;

  void add(const std::string& category, bool is_billable, std::int64_t n) {
    sent += n;
    if (category.empty()) return;
    priced += n;
    by_category[category] += n;
    if (is_billable) {
      billable += n;
      billable_by_category[category] += n;
    }
  }

  json::object to_json() const {
    json::object by;
    for (const auto& [k, v] : by_category) by[k] = v;
    json::object billable_by;
    for (const auto& [k, v] : billable_by_category) billable_by[k] = v;
    return json::object{{"sent", sent},
                        {"priced", priced},
                        {"billable", billable},
                        {"by_category", std::move(by)},
                        {"billable_by_category", std::move(billable_by)}};
  }

  std::string categories_text() const {
    std::vector<std::string> parts;
    for (const auto& [k, v] : by_category) {
      auto b = billable_by_category.find(k);
      parts.push_back(fmt::format("{} {} ({} billable)", k, v,
                                  b == billable_by_category.end() ? 0 : b->second));
    }
    return parts.empty() ? std::string("no pricing from Meta yet")
                         : fmt::format("{}", fmt::join(parts, ", "));
  }
};

tool_result get_usage(const read_tools_deps& deps, const json::object& args,
                      const account_scope& scope) {
  const sys_days today = std::chrono::floor<days>(deps.now());
  sys_days first = today - days(29);
  sys_days last = today;
  if (std::string s = str_arg(args, "to_date"); !s.empty()) {
    auto d = parse_day(s);
    if (!d) return tool_result::invalid_argument("to_date", "must be a date such as 2026-11-30");
    last = *d;
    first = last - days(29);
  }
  if (std::string s = str_arg(args, "from_date"); !s.empty()) {
    auto d = parse_day(s);
    if (!d) return tool_result::invalid_argument("from_date", "must be a date such as 2026-11-01");
    first = *d;
  }
  if (first > last) return tool_result::invalid_argument("from_date", "is after to_date");
  if ((last - first).count() + 1 > max_range_days) {
    return tool_result::invalid_argument(
        "from_date",
        fmt::format("gives more than {} days; ask for a shorter range", max_range_days));
  }
  auto db = deps.pool->acquire();
  if (!db) return tool_result::error(database_problem(db.error()));
  std::string problem;
  auto sender = resolve_sender(**db, str_arg(args, "from"), scope, problem);
  if (!sender) return tool_result::error(problem);

  // Messages Meta accepted (they have a wamid) and that did not fail, on the days asked (UTC).
  std::vector<sql_param> params{format_day(first) + "T00:00:00.000Z",
                                format_day(last + days(1)) + "T00:00:00.000Z"};
  std::string where =
      "m.direction = 'outbound' AND m.wamid IS NOT NULL AND m.status <> 'failed' AND "
      "m.created_at >= ?1 AND m.created_at < ?2";
  restrict_numbers(scope, "m.phone_number_id", where, params);
  if (!sender->empty()) {
    params.emplace_back(*sender);
    where += fmt::format(" AND m.phone_number_id = ?{}", params.size());
  }
  auto s = db->operator->()->prepare(
      "SELECT m.phone_number_id, substr(m.created_at, 1, 10), coalesce(p.category, ''), "
      "coalesce(p.billable, 0), count(*) FROM messages m "
      "LEFT JOIN message_pricing p ON p.message_id = m.id WHERE " +
      where + " GROUP BY 1, 2, 3, 4 ORDER BY 2, 1");
  if (!s) return tool_result::error(database_problem(s.error()));
  bind_params(*s, params);
  std::map<std::pair<std::string, std::string>, tally> by_day;  // (day, number)
  tally total;
  for (;;) {
    auto row = s->step();
    if (!row) return tool_result::error(database_problem(row.error()));
    if (!*row) break;
    const std::string category = s->column_text(2);
    const bool billable = s->column_int64(3) != 0;
    const std::int64_t n = s->column_int64(4);
    by_day[{s->column_text(1), s->column_text(0)}].add(category, billable, n);
    total.add(category, billable, n);
  }
  json::array rows;
  std::string lines;
  for (const auto& [key, t] : by_day) {
    json::object row = t.to_json();
    row["date"] = key.first;
    row["phone_number_id"] = key.second;
    rows.push_back(std::move(row));
    lines += fmt::format("{} {}: {} sent, {} billable; {}\n", key.first, key.second, t.sent,
                         t.billable, t.categories_text());
  }
  json::object out{{"from_date", format_day(first)},
                   {"to_date", format_day(last)},
                   {"totals", total.to_json()},
                   {"days", std::move(rows)}};
  std::string text = fmt::format(
      "From {} to {} (UTC): {} messages sent, {} with Meta's pricing, {} billable; {}.\n",
      format_day(first), format_day(last), total.sent, total.priced, total.billable,
      total.categories_text());
  if (total.sent > total.priced) {
    text += fmt::format(
        "{} sent messages have no pricing yet: Meta sends it with their sent or delivered "
        "status.\n",
        total.sent - total.priced);
  }
  text += lines;
  text +=
      "These are counts of messages in Meta's pricing categories, not amounts: the rates per "
      "category and country are on Meta's pricing page and in WhatsApp Manager.";
  return tool_result::structured_result(std::move(out), text);
}

}  // namespace

void register_usage_tool(registry& reg, const read_tools_deps& deps) {
  tool_def t;
  t.name = "get_usage";
  t.title = "Count the messages sent, by pricing category";
  t.description =
      "Counts the messages we sent between from_date and to_date (UTC days, both included; "
      "default: the last 30 days), by Meta's pricing category (marketing, utility, "
      "authentication, service, ...) and how many of them Meta bills, per number and day, from "
      "the pricing Meta reports in each message's status. Use it to say what a campaign cost in "
      "messages; it gives counts, not currency.";
  t.input_schema = obj(R"J({"type":"object","additionalProperties":false,"properties":{
      "from_date":{"type":"string","minLength":10,"maxLength":10,"description":"first day, YYYY-MM-DD (UTC)"},
      "to_date":{"type":"string","minLength":10,"maxLength":10,"description":"last day, YYYY-MM-DD (UTC); default today"},
      "from":{"type":"string","minLength":1,"maxLength":64,"description":"one of our numbers (phone_number_id or display number); default: all"}}})J");
  auto counts = obj(
      R"J({"type":"object","required":["sent","priced","billable","by_category","billable_by_category"],
      "properties":{"sent":{"type":"integer"},
      "priced":{"type":"integer","description":"sent messages whose pricing Meta reported"},
      "billable":{"type":"integer"},
      "by_category":{"type":"object","additionalProperties":{"type":"integer"}},
      "billable_by_category":{"type":"object","additionalProperties":{"type":"integer"}}}})J");
  auto day = counts;
  day["required"].as_array().emplace_back("date");
  day["required"].as_array().emplace_back("phone_number_id");
  day["properties"].as_object()["date"] = json::object{{"type", "string"}};
  day["properties"].as_object()["phone_number_id"] = json::object{{"type", "string"}};
  t.output_schema = json::object{
      {"type", "object"},
      {"required", json::array{"from_date", "to_date", "totals", "days"}},
      {"properties", json::object{{"from_date", json::object{{"type", "string"}}},
                                  {"to_date", json::object{{"type", "string"}}},
                                  {"totals", counts},
                                  {"days", json::object{{"type", "array"}, {"items", day}}}}}};
  t.annotations = read_only_hints();
  t.required_scope = scope::read;
  t.handler = [deps](const json::object& args, call_context& ctx) {
    return get_usage(deps, args, ctx.account());
  };
  reg.add_tool(std::move(t));
}

}  // namespace pons::mcp
