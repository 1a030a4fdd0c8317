// list_unanswered and update_conversation on the seeded inbox (tests/fixtures/mcp/seed.sql) plus
// a second account: who is waiting and since when, the state update_conversation keeps, how
// list_conversations filters by it, and that a scoped caller cannot touch another account.
#include <fmt/format.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>

#include "pons/mcp/schema_check.hpp"
#include "pons/mcp/tools/inbox_tools.hpp"
#include "pons/store/conversation_state.hpp"
#include "unit/mcp_tools_fixture.hpp"

namespace json = boost::json;
using namespace pons::mcp;
using pons::store::test::temp_dir;

namespace {

using pons::mcp::test::fixture_sql;

const account_scope first = account_scope::only("100000000000001");
const account_scope second = account_scope::only("100000000000002");

struct inbox {
  temp_dir dir;
  pons::mcp::test::seeded_tools db{
      dir, {fixture_sql("seed.sql"), fixture_sql("seed_second_account.sql")}};
  registry reg;

  inbox() {
    send_tools_deps deps = db.deps(dir);
    register_read_tools(reg, deps.read);
    register_list_unanswered(reg, deps.read);
    register_update_conversation(reg, deps.read);
  }

  tool_result call(std::string_view name, std::string_view args, const account_scope& scope = {}) {
    const tool_def* t = reg.find_tool(name);
    REQUIRE(t);
    call_context ctx(cancellation_token{}, latest_version, "unit", {}, {}, {}, scope);
    auto parsed = json::parse(args).as_object();
    auto bad_input = check_schema(t->input_schema, parsed, "arguments");
    INFO(name << " " << args << ": "
              << (bad_input ? bad_input->field + " " + bad_input->reason : ""));
    REQUIRE_FALSE(bad_input);
    return t->handler(parsed, ctx);
  }

  // A successful call's structured result, checked against the tool's output schema.
  json::object data(std::string_view name, std::string_view args, const account_scope& scope = {}) {
    auto r = call(name, args, scope);
    INFO(name << " " << args << ": " << json::serialize(r.content));
    REQUIRE_FALSE(r.is_error);
    REQUIRE_FALSE(r.protocol_error);
    REQUIRE(r.structured);
    auto wrong = check_schema(*reg.find_tool(name)->output_schema, *r.structured, "result");
    INFO((wrong ? wrong->field + " " + wrong->reason : ""));
    CHECK_FALSE(wrong);
    return *r.structured;
  }

  std::string text(std::string_view name, std::string_view args, const account_scope& scope = {}) {
    auto r = call(name, args, scope);
    REQUIRE_FALSE(r.content.empty());
    return std::string(r.content[0].at("text").as_string());
  }

  std::vector<std::int64_t> ids(std::string_view name, std::string_view args,
                                const account_scope& scope = {}) {
    std::vector<std::int64_t> out;
    const auto out_data = data(name, args, scope);
    for (const auto& c : out_data.at("conversations").as_array()) {
      out.push_back(c.at("id").as_int64());
    }
    return out;
  }

  // Every conversation the tool lists, one per page, following its cursor (at most 50 pages).
  std::vector<std::int64_t> ids_one_page_at_a_time(std::string_view name) {
    std::vector<std::int64_t> paged;
    std::string cursor;
    for (int page = 0; page < 50; ++page) {
      auto args = json::object{{"limit", 1}};
      if (!cursor.empty()) args["cursor"] = cursor;
      auto out = data(name, json::serialize(args));
      for (const auto& c : out.at("conversations").as_array())
        paged.push_back(c.at("id").as_int64());
      if (!out.contains("next_cursor")) break;
      cursor = std::string(out.at("next_cursor").as_string());
    }
    return paged;
  }
};

}  // namespace

TEST_CASE("list_unanswered: the customers waiting for an answer, the longest waiting first",
          "[mcp][store][backends]") {
  inbox f;
  auto out = f.data("list_unanswered", "{}");
  const auto& list = out.at("conversations").as_array();
  // Alice wrote twice (2 h and 1 h ago) after our last answer; Carol once, 30 minutes ago, and
  // was never answered; Bob has his answer; the second account's waiting customer comes last.
  REQUIRE(list.size() >= 2);
  const auto& alice = list[0].as_object();
  CHECK(alice.at("id") == 1);
  CHECK(alice.at("waiting_messages") == 2);
  CHECK(alice.at("waiting_seconds").as_int64() >= 2 * 3600 - 60);
  CHECK(alice.at("waiting_seconds").as_int64() <= 2 * 3600 + 600);
  CHECK(alice.at("window").at("open") == true);
  CHECK(alice.at("labels").as_array().empty());
  const auto& carol = list[1].as_object();
  CHECK(carol.at("id") == 3);
  CHECK(carol.at("waiting_messages") == 1);
  CHECK(carol.at("contact").at("username") == "carol");
  for (const auto& c : list) CHECK(c.at("id") != 2);

  auto text = f.text("list_unanswered", "{}");
  CHECK(text.find("#1 Alice Smith (+447700900001): waiting 2 h") != std::string::npos);
  CHECK(text.find("(2 messages)") != std::string::npos);

  // Scoped: only the first account's numbers; from: only that number.
  CHECK(f.ids("list_unanswered", "{}", first) == std::vector<std::int64_t>{1, 3});
  CHECK(f.ids("list_unanswered", R"({"from":"+1 555-010-0002"})") == std::vector<std::int64_t>{3});
}

TEST_CASE("list_unanswered pages with its cursor and refuses a forged one",
          "[mcp][store][backends]") {
  inbox f;
  auto all = f.ids("list_unanswered", "{}");
  REQUIRE(all.size() >= 3);
  CHECK(f.ids_one_page_at_a_time("list_unanswered") == all);

  auto forged = f.call("list_unanswered", R"({"cursor":"bm90LWEtY3Vyc29y"})");
  REQUIRE(forged.protocol_error);
  CHECK(forged.protocol_error->message.find("cursor") != std::string::npos);
}

TEST_CASE(
    "update_conversation archives, marks unread, notes and labels, and the lists filter on them",
    "[mcp][store]") {
  inbox f;
  auto state =
      f.data("update_conversation",
             R"({"conversation_id":1,"labels":["VIP","refund"],"note":"Wants a new invoice PDF"})");
  CHECK(state.at("labels") == json::parse(R"(["VIP","refund"])"));
  CHECK(state.at("note") == "Wants a new invoice PDF");
  CHECK(state.at("archived") == false);

  // Labels compare without case: "vip" is VIP, added once; removal ignores case too.
  state =
      f.data("update_conversation",
             R"({"conversation_id":1,"add_labels":["vip","invoice"],"remove_labels":["REFUND"]})");
  CHECK(state.at("labels") == json::parse(R"(["VIP","invoice"])"));

  CHECK(f.ids("list_conversations", R"({"label":"vip"})") == std::vector<std::int64_t>{1});
  CHECK(f.ids("list_unanswered", R"({"label":"Invoice"})") == std::vector<std::int64_t>{1});
  CHECK(f.ids("list_conversations", R"({"label":"refund"})").empty());
  auto listed = f.data("list_conversations", R"({"label":"VIP"})");
  CHECK(listed.at("conversations").at(0).at("note") == "Wants a new invoice PDF");
  CHECK(f.text("list_conversations", R"({"label":"VIP"})").find(R"(labels ["VIP","invoice"])") !=
        std::string::npos);
  // Each conversation of a page gets its own labels, in the order they were added.
  f.data("update_conversation", R"({"conversation_id":3,"labels":["late","Zebra","after"]})");
  auto page = f.data("list_conversations", "{}").at("conversations").as_array();
  REQUIRE(page.size() >= 3);
  for (const auto& conv : page) {
    const auto id = conv.at("id").as_int64();
    const auto& labels = conv.at("labels");
    if (id == 1) {
      CHECK(labels == json::parse(R"(["VIP","invoice"])"));
    } else if (id == 3) {
      CHECK(labels == json::parse(R"(["late","Zebra","after"])"));
    } else {
      CHECK(labels.as_array().empty());
    }
  }

  // Read here: unread_count 0, WhatsApp not told; then marked unread again.
  state = f.data("update_conversation", R"({"conversation_id":1,"unread":false})");
  CHECK(state.at("unread_count") == 0);
  CHECK(state.at("unread") == false);
  auto unread = f.ids("list_conversations", R"({"unread":true})");
  CHECK(std::find(unread.begin(), unread.end(), 1) == unread.end());
  state = f.data("update_conversation", R"({"conversation_id":1,"unread":true})");
  CHECK(state.at("marked_unread") == true);
  CHECK(state.at("unread") == true);
  unread = f.ids("list_conversations", R"({"unread":true})");
  CHECK(std::find(unread.begin(), unread.end(), 1) != unread.end());

  // Archived: out of both lists unless asked for, and still there with include_archived.
  state = f.data("update_conversation", R"({"conversation_id":1,"archived":true})");
  CHECK(state.at("archived") == true);
  auto waiting = f.ids("list_unanswered", "{}");
  CHECK(std::find(waiting.begin(), waiting.end(), 1) == waiting.end());
  auto inbox_ids = f.ids("list_conversations", "{}");
  CHECK(std::find(inbox_ids.begin(), inbox_ids.end(), 1) == inbox_ids.end());
  auto with_archived = f.ids("list_unanswered", R"({"include_archived":true})");
  CHECK(with_archived.front() == 1);

  // The state is what the database keeps.
  auto db = f.db.pool->acquire();
  REQUIRE(db.has_value());
  auto kept = pons::store::read_conversation_state(**db, 1);
  REQUIRE(kept.has_value());
  REQUIRE(kept->has_value());
  CHECK((*kept)->archived);
  CHECK((*kept)->marked_unread);
  CHECK((*kept)->labels == std::vector<std::string>{"VIP", "invoice"});

  // A note of "" clears it; labels [] clears them.
  state = f.data("update_conversation", R"({"conversation_id":1,"note":"","labels":[]})");
  CHECK(state.at("note") == "");
  CHECK(state.at("labels").as_array().empty());
}

TEST_CASE("update_conversation refuses what it cannot keep and what the caller cannot see",
          "[mcp][store][backends]") {
  inbox f;
  auto nothing = f.call("update_conversation", R"({"conversation_id":1})");
  REQUIRE(nothing.protocol_error);
  CHECK(nothing.protocol_error->message.find("change nothing") != std::string::npos);

  auto control =
      f.call("update_conversation", "{\"conversation_id\":1,\"add_labels\":[\"a\\u0007b\"]}");
  REQUIRE(control.protocol_error);
  CHECK(control.protocol_error->message.find("control characters") != std::string::npos);

  auto spaced = f.call("update_conversation", R"({"conversation_id":1,"labels":[" vip"]})");
  REQUIRE(spaced.protocol_error);

  std::string many = R"({"conversation_id":1,"labels":[)";
  for (int i = 0; i < 20; ++i) many += fmt::format("{}\"l{}\"", i ? "," : "", i);
  many += "]}";
  CHECK(f.data("update_conversation", many).at("labels").as_array().size() == 20);
  auto over = f.call("update_conversation", R"({"conversation_id":1,"add_labels":["one more"]})");
  REQUIRE(over.protocol_error);
  CHECK(over.protocol_error->message.find("at most 20") != std::string::npos);

  auto missing = f.call("update_conversation", R"({"conversation_id":999,"archived":true})");
  CHECK(missing.is_error);
  CHECK(json::serialize(missing.content).find("no conversation #999") != std::string::npos);

  // Conversation 4 belongs to the second account: a caller limited to the first account is
  // told it does not exist, and nothing changes.
  auto other = f.call("update_conversation", R"({"conversation_id":4,"archived":true})", first);
  CHECK(other.is_error);
  CHECK(json::serialize(other.content).find("no conversation #4") != std::string::npos);
  auto db = f.db.pool->acquire();
  REQUIRE(db.has_value());
  auto kept = pons::store::read_conversation_state(**db, 4);
  REQUIRE(kept.has_value());
  REQUIRE(kept->has_value());
  CHECK_FALSE((*kept)->archived);
  CHECK(f.data("update_conversation", R"({"conversation_id":4,"archived":true})", second)
            .at("archived") == true);
}

TEST_CASE("conversation labels: replace, add and remove without ASCII case", "[store][backends]") {
  pons::store::conversation_change c;
  c.add_labels = {"Refund", "refund", "VIP"};
  CHECK(pons::store::labels_after({"vip"}, c) == std::vector<std::string>{"vip", "Refund"});
  c = {};
  c.labels = std::vector<std::string>{"a", "A", "b"};
  c.remove_labels = {"B"};
  CHECK(pons::store::labels_after({"x"}, c) == std::vector<std::string>{"a"});
}

TEST_CASE("list_conversations pages conversations that share one time by id, without a sort",
          "[mcp][store][backends]") {
  inbox f;
  {
    auto db = f.db.pool->acquire();
    REQUIRE(db.has_value());
    REQUIRE((*db)->exec("UPDATE conversations SET last_message_at = '2026-01-12T13:46:40.000Z'"));
  }
  auto all = f.ids("list_conversations", R"({"limit":100})");
  REQUIRE(all.size() >= 3);
  CHECK(std::is_sorted(all.rbegin(), all.rend()));  // newest first, the higher id first on a tie
  CHECK(f.ids_one_page_at_a_time("list_conversations") == all);

  // A page reads its own rows from the index: no conversation outside it is read and sorted
  // (with its last message looked up) first.
  auto db = f.db.pool->acquire();
  REQUIRE(db.has_value());
  if ((*db)->kind() != pons::store::backend::sqlite) return;
  auto plan = (*db)
                  ->prepare(
                      "EXPLAIN QUERY PLAN SELECT cv.id FROM conversations cv WHERE "
                      "cv.archived = 0 ORDER BY cv.last_message_at DESC, cv.id DESC LIMIT 2")
                  .value();
  std::string details;
  while (plan.step().value()) details += plan.column_text(3) + "\n";
  INFO(details);
  CHECK(details.find("conversations_recent_by_id") != std::string::npos);
  CHECK(details.find("TEMP B-TREE") == std::string::npos);
}
