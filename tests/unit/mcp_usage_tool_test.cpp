// get_usage on the seeded inbox: the pricing of status webhooks kept per message (also when the
// status came before the message was stored), counted by category, billable and day.
#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <iterator>

#include "pons/mcp/schema_check.hpp"
#include "pons/mcp/tools/usage_tool.hpp"
#include "pons/store/database.hpp"
#include "pons/store/status_repository.hpp"
#include "unit/mcp_tools_fixture.hpp"

namespace json = boost::json;
using namespace pons::mcp;
using pons::store::test::temp_dir;

namespace {

using pons::mcp::test::fixture_sql;

pons::domain::status_update priced_status(std::string wamid, std::string status,
                                          std::string category, bool billable) {
  pons::domain::status_update s;
  s.phone_number_id = "200000000000001";
  s.wamid = std::move(wamid);
  s.status = std::move(status);
  pons::domain::status_pricing p;
  p.billable = billable;
  p.pricing_model = "PMP";
  p.pricing_category = std::move(category);
  p.pricing_type = billable ? "regular" : "free_customer_service";
  s.pricing = p;
  return s;
}

std::string today() {
  auto ymd = std::chrono::year_month_day(
      std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now()));
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
}

struct usage_inbox {
  temp_dir dir;
  pons::mcp::test::seeded_tools db{dir, {fixture_sql("seed.sql")}};
  registry reg;

  usage_inbox() { register_usage_tool(reg, db.deps(dir).read); }

  tool_result call(std::string_view args, const account_scope& scope = {}) {
    call_context ctx(cancellation_token{}, latest_version, "unit", {}, {}, {}, scope);
    return reg.find_tool("get_usage")->handler(json::parse(args).as_object(), ctx);
  }

  json::object data(std::string_view args) {
    auto r = call(args);
    INFO(args << ": " << json::serialize(r.content));
    REQUIRE_FALSE(r.is_error);
    REQUIRE_FALSE(r.protocol_error);
    REQUIRE(r.structured);
    auto wrong = check_schema(*reg.find_tool("get_usage")->output_schema, *r.structured, "result");
    INFO((wrong ? wrong->field + " " + wrong->reason : ""));
    CHECK_FALSE(wrong);
    return *r.structured;
  }
};

}  // namespace

TEST_CASE("get_usage counts sent messages by Meta's pricing category and billable",
          "[mcp][store][backends]") {
  usage_inbox f;
  {
    auto db = pons::store::database::open(f.db.path);
    REQUIRE(db.has_value());
    const auto now = std::chrono::system_clock::now();
    // A2 (4 hours ago): utility, free inside the window; A3 (3 hours ago): marketing, billed,
    // first as sent, then delivered with the same pricing; B2 (2 days ago): no pricing yet.
    REQUIRE(pons::store::apply_status(*db, priced_status("wamid.A2", "delivered", "utility", false),
                                      now)
                .has_value());
    REQUIRE(
        pons::store::apply_status(*db, priced_status("wamid.A3", "sent", "marketing", true), now)
            .has_value());
    REQUIRE(pons::store::apply_status(
                *db, priced_status("wamid.A3", "delivered", "marketing", true), now)
                .has_value());
  }
  auto out = f.data("{}");
  const auto& totals = out.at("totals").as_object();
  CHECK(totals.at("sent") == 3);
  CHECK(totals.at("priced") == 2);
  CHECK(totals.at("billable") == 1);
  CHECK(totals.at("by_category") == json::parse(R"({"marketing":1,"utility":1})"));
  CHECK(totals.at("billable_by_category") == json::parse(R"({"marketing":1})"));
  CHECK(out.at("to_date").as_string() == today());
  // One row per number and day: B2's day and today (or yesterday, for A2 and A3 just after
  // midnight).
  std::int64_t rows_sent = 0;
  for (const auto& d : out.at("days").as_array()) rows_sent += d.at("sent").as_int64();
  CHECK(rows_sent == 3);

  auto text = f.call("{}").content[0].at("text").as_string();
  CHECK(std::string_view(text).find("3 messages sent, 2 with Meta's pricing, 1 billable; "
                                    "marketing 1 (1 billable), utility 1 (0 billable).") !=
        std::string_view::npos);
  CHECK(std::string_view(text).find("1 sent messages have no pricing yet") !=
        std::string_view::npos);

  // Only today: not B2.
  CHECK(f.data(fmt::format(R"({{"from_date":"{0}","to_date":"{0}"}})", today()))
            .at("totals")
            .at("sent")
            .as_int64() <= 2);
  // Long ago: nothing.
  CHECK(f.data(R"({"from_date":"2020-01-01","to_date":"2020-01-31"})").at("totals").at("sent") ==
        0);
  // The other number sent nothing.
  CHECK(f.data(R"({"from":"+1 555-010-0002"})").at("totals").at("sent") == 0);
}

TEST_CASE("get_usage refuses dates it cannot read and ranges past a year",
          "[mcp][store][backends]") {
  usage_inbox f;
  auto bad = f.call(R"({"from_date":"2026-02-30"})");
  REQUIRE(bad.protocol_error);
  CHECK(bad.protocol_error->message.find("from_date") != std::string::npos);
  auto reversed = f.call(R"({"from_date":"2026-03-02","to_date":"2026-03-01"})");
  REQUIRE(reversed.protocol_error);
  CHECK(reversed.protocol_error->message.find("after to_date") != std::string::npos);
  auto long_range = f.call(R"({"from_date":"2024-01-01","to_date":"2026-01-01"})");
  REQUIRE(long_range.protocol_error);
  CHECK(long_range.protocol_error->message.find("366") != std::string::npos);
}

TEST_CASE(
    "a status with pricing that came before its message is counted once the message is stored",
    "[store]") {
  usage_inbox f;
  auto db = pons::store::database::open(f.db.path);
  REQUIRE(db.has_value());
  const auto now = std::chrono::system_clock::now();
  REQUIRE(pons::store::apply_status(
              *db, priced_status("wamid.LATE", "sent", "authentication", true), now)
              .has_value());
  REQUIRE(pons::store::test::run_seed_sql(
              *db,
              "INSERT INTO messages (id, direction, wamid, phone_number_id, contact_id, "
              "conversation_id, type, text, status, ts, created_at, updated_at) VALUES (50, "
              "'outbound', 'wamid.LATE', '200000000000001', 1, 1, 'template', '', 'pending', "
              "0, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', "
              "'now'))")
              .has_value());
  REQUIRE(pons::store::adopt_early_statuses(*db, 50, "wamid.LATE").has_value());
  auto st =
      db->prepare("SELECT category, billable, model FROM message_pricing WHERE message_id = 50");
  REQUIRE(st.has_value());
  auto row = st->step();
  REQUIRE(row.has_value());
  REQUIRE(*row);
  CHECK(st->column_text(0) == "authentication");
  CHECK(st->column_int64(1) == 1);
  CHECK(st->column_text(2) == "PMP");
}
