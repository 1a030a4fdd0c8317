// Account-scoped calls (an API key made with --account): with two accounts in the database, a
// call limited to one sees only that account's numbers, contacts, conversations, messages,
// templates and media, through the tools, the resources and the completions alike.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <set>

#include "pons/mcp/tools/account_filter.hpp"
#include "pons/mcp/tools/read_tools.hpp"
#include "pons/mcp/tools/send_tools.hpp"
#include "unit/mcp_tools_fixture.hpp"
#include "unit/store_test_util.hpp"

namespace json = boost::json;
using namespace pons::mcp;
using pons::store::test::temp_dir;

namespace {

constexpr const char* first_waba = "100000000000001";
constexpr const char* second_waba = "100000000000002";

using pons::mcp::test::fixture_sql;

// The seeded inbox of the first account plus a second account, with the read tools, the
// resources and the send tools (dry run: nothing reaches Meta).
struct two_accounts {
  temp_dir dir;
  pons::mcp::test::seeded_tools db{
      dir, {fixture_sql("seed.sql"), fixture_sql("seed_second_account.sql")}};
  std::string path = db.path;
  registry reg;

  two_accounts() {
    send_tools_deps deps = db.deps(dir);
    register_read_tools(reg, deps.read);
    register_resources_and_prompts(reg, deps.read);
    register_send_tools(reg, deps);
  }

  static call_context context(const account_scope& scope) {
    return call_context(cancellation_token{}, latest_version, "unit", {}, {}, {}, scope);
  }

  tool_result call(const account_scope& scope, std::string_view name, std::string_view args) {
    const tool_def* t = reg.find_tool(name);
    REQUIRE(t);
    auto ctx = context(scope);
    return test::as_read(t->handler(json::parse(args).as_object(), ctx));
  }

  json::object data(const account_scope& scope, std::string_view name, std::string_view args) {
    auto r = call(scope, name, args);
    INFO(name << " " << args << ": " << (r.content.empty() ? "" : json::serialize(r.content)));
    REQUIRE_FALSE(r.is_error);
    REQUIRE(r.structured);
    return *r.structured;
  }

  std::string problem(const account_scope& scope, std::string_view name, std::string_view args) {
    auto r = call(scope, name, args);
    REQUIRE(r.is_error);
    REQUIRE_FALSE(r.content.empty());
    return std::string(r.content[0].at("text").as_string());
  }
};

const account_scope first = account_scope::only(first_waba);
const account_scope second = account_scope::only(second_waba);
const account_scope everyone = account_scope::every_account();

std::set<std::int64_t> ids(const json::array& items, std::string_view key = "id") {
  std::set<std::int64_t> out;
  for (const auto& i : items) out.insert(i.at(key).as_int64());
  return out;
}

std::set<std::int64_t> message_ids(const json::object& result) {
  return ids(result.at("messages").as_array());
}

}  // namespace

TEST_CASE("scoped calls: accounts and numbers of the other account are not listed",
          "[mcp][keys][store][backends]") {
  two_accounts f;
  auto mine = f.data(first, "list_accounts", "{}");
  REQUIRE(mine.at("accounts").as_array().size() == 1);
  CHECK(mine.at("accounts").at(0).at("waba_id") == first_waba);
  CHECK(mine.at("default_sender") == "200000000000001");

  auto theirs = f.data(second, "list_accounts", "{}");
  REQUIRE(theirs.at("accounts").as_array().size() == 1);
  CHECK(theirs.at("accounts").at(0).at("waba_id") == second_waba);
  // The second account's only number is its default sender.
  CHECK(theirs.at("default_sender") == "200000000000003");

  // Without a scope (stdio, the local user) nothing changes: both accounts.
  CHECK(f.data(everyone, "list_accounts", "{}").at("accounts").as_array().size() == 2);

  // A number of the other account is "not one of our numbers", and is not named.
  auto text = f.problem(first, "list_conversations", R"({"from":"200000000000003"})");
  CHECK_THAT(text, Catch::Contains("not one of our WhatsApp numbers"));
  CHECK_THAT(text, !Catch::Contains("phone_number_id 200000000000003"));
  CHECK_THAT(text, !Catch::Contains("+1 555-010-0003"));
  CHECK_THAT(text, Catch::Contains("+1 555-010-0001"));
}

TEST_CASE("scoped calls: conversations and messages of the other account stay hidden",
          "[mcp][keys][store][backends]") {
  two_accounts f;
  CHECK(ids(f.data(first, "list_conversations", "{}").at("conversations").as_array()) ==
        std::set<std::int64_t>{1, 2, 3});
  CHECK(ids(f.data(second, "list_conversations", "{}").at("conversations").as_array()) ==
        std::set<std::int64_t>{4, 5});
  CHECK(ids(f.data(everyone, "list_conversations", "{}").at("conversations").as_array()).size() ==
        5);

  auto latest = message_ids(f.data(first, "get_messages", R"({"limit":100})"));
  CHECK(latest == std::set<std::int64_t>{1, 2, 3, 4, 5, 6, 7, 8});
  CHECK(message_ids(f.data(second, "get_messages", R"({"limit":100})")) ==
        std::set<std::int64_t>{9, 10});
  // Naming the other account's conversation finds nothing in it.
  CHECK(message_ids(f.data(first, "get_messages", R"({"conversation_id":4})")).empty());
  // A cursor from the start still pages only through the caller's account.
  auto from_start =
      f.data(first, "get_messages",
             json::serialize(json::object{{"since", "2000-01-01T00:00:00.000Z"}, {"limit", 100}}));
  CHECK(message_ids(from_start) == latest);

  // Full-text search: both accounts have an "invoice"; each finds only its own.
  auto hits = f.data(first, "search_messages", R"({"query":"invoice"})").at("hits").as_array();
  REQUIRE_FALSE(hits.empty());
  for (const auto& h : hits) CHECK(h.at("message").at("id").as_int64() <= 8);
  auto other = f.data(second, "search_messages", R"({"query":"invoice"})").at("hits").as_array();
  REQUIRE(other.size() == 1);
  CHECK(other[0].at("message").at("id") == 9);
}

TEST_CASE("scoped calls: contacts of the other account are neither found nor suggested",
          "[mcp][keys][store][backends]") {
  two_accounts f;
  // Not found, and not offered as a close match either (447700900009 is Dave's number).
  auto text = f.problem(first, "get_contact", R"({"contact":"Dave Other"})");
  CHECK_THAT(text, Catch::Contains("No contact matches"));
  CHECK_THAT(text, !Catch::Contains("447700900009"));
  CHECK(f.data(second, "get_contact", R"({"contact":"Dave Other"})").at("contact").at("name") ==
        "Dave Other");
  // The same WhatsApp number is a different contact in each account.
  CHECK(f.data(first, "get_contact", R"({"contact":"+44 7700 900001"})").at("contact").at("name") ==
        "Alice Smith");
  auto elsewhere = f.data(second, "get_contact", R"({"contact":"+44 7700 900001"})");
  CHECK(elsewhere.at("contact").at("name") == "Alice Elsewhere");
  CHECK(ids(elsewhere.at("conversations").as_array()) == std::set<std::int64_t>{5});
  CHECK(elsewhere.at("message_count") == 1);

  auto found = f.data(second, "search_contacts", R"({"query":"Alice"})").at("contacts");
  REQUIRE(found.as_array().size() == 1);
  CHECK(found.at(0).at("name") == "Alice Elsewhere");
  // Nothing contains the text: the close matches offered are the caller's own.
  auto close = f.data(first, "search_contacts", R"({"query":"Dave Othr"})");
  CHECK(close.at("contacts").as_array().empty());
  CHECK_THAT(f.problem(first, "get_window_status", R"({"contact":"Dave Other"})"),
             !Catch::Contains("447700900009"));
  auto window = f.data(second, "get_window_status", R"({"contact":"Dave Other"})");
  CHECK(window.at("open") == true);
}

TEST_CASE("scoped calls: templates and media of the other account stay hidden",
          "[mcp][keys][store][backends]") {
  two_accounts f;
  auto mine = f.data(first, "list_templates", R"({"status":"all"})");
  std::set<std::string> names;
  for (const auto& t : mine.at("templates").as_array())
    names.insert(std::string(t.at("name").as_string()));
  CHECK(names == std::set<std::string>{"order_update", "welcome", "promo_blast"});
  REQUIRE(mine.at("synced").as_array().size() == 1);
  CHECK(mine.at("synced").at(0).at("waba_id") == first_waba);
  auto theirs = f.data(second, "list_templates", "{}");
  REQUIRE(theirs.at("templates").as_array().size() == 1);
  CHECK(theirs.at("templates").at(0).at("name") == "other_update");
  CHECK(
      f.data(everyone, "list_templates", R"({"status":"all"})").at("templates").as_array().size() ==
      4);

  // The other account's image is "not stored" for this caller, by message id and by media id.
  CHECK_THAT(f.problem(first, "get_media", R"({"message_id":10})"),
             Catch::Contains("No media is stored"));
  CHECK_THAT(f.problem(first, "get_media", R"({"media_id":"media-img-2"})"),
             Catch::Contains("No media is stored"));
  // Its owner finds the row (the file itself is not on this test machine).
  CHECK_THAT(f.problem(second, "get_media", R"({"message_id":10})"),
             Catch::Contains("missing on this machine"));
}

TEST_CASE("scoped calls: resources, listings and completions stay within the account",
          "[mcp][keys][store][backends]") {
  two_accounts f;
  std::set<std::string> uris;
  for (const auto& r : f.reg.list_resources(first)) uris.insert(r.uri);
  CHECK(uris.count("pons://conversations/1"));
  CHECK_FALSE(uris.count("pons://conversations/4"));
  CHECK_FALSE(uris.count("pons://conversations/5"));
  uris.clear();
  for (const auto& r : f.reg.list_resources(everyone)) uris.insert(r.uri);
  CHECK(uris.count("pons://conversations/4"));

  const auto& conv = f.reg.resource_templates().at(0);
  REQUIRE(conv.uri_template == "pons://conversations/{id}");
  auto ctx = two_accounts::context(first);
  auto read = conv.read("pons://conversations/4", {{"id", "4"}}, ctx);
  REQUIRE(read.error);
  CHECK(read.error->code == rpc_code::resource_not_found);
  auto own = conv.read("pons://conversations/1", {{"id", "1"}}, ctx);
  CHECK_FALSE(own.error);
  auto completed = conv.complete("id", "", {}, ctx);
  CHECK(std::find(completed.begin(), completed.end(), "4") == completed.end());
  CHECK(std::find(completed.begin(), completed.end(), "1") != completed.end());

  const prompt_def* draft = f.reg.find_prompt("draft_reply");
  REQUIRE(draft);
  auto names = draft->complete("contact", "", {}, ctx);
  CHECK(std::find(names.begin(), names.end(), "Alice Smith") != names.end());
  CHECK(std::find(names.begin(), names.end(), "Dave Other") == names.end());

  // The inbox resource is list_conversations within the scope.
  const resource_def* inbox = f.reg.find_resource("pons://inbox");
  REQUIRE(inbox);
  auto inbox_read = inbox->read("pons://inbox", ctx);
  REQUIRE_FALSE(inbox_read.contents.empty());
  CHECK_THAT(std::string(inbox_read.contents[0].at("text").as_string()),
             !Catch::Contains("Dave Other"));
}

TEST_CASE("scoped calls: a wait is not woken by the other account's messages",
          "[mcp][keys][store][backends]") {
  two_accounts f;
  auto theirs = f.data(second, "wait_for_messages", R"({"after_id":8,"timeout_seconds":1})");
  CHECK(message_ids(theirs) == std::set<std::int64_t>{9, 10});
  auto mine = f.data(first, "wait_for_messages", R"({"after_id":8,"timeout_seconds":1})");
  CHECK(mine.at("timed_out") == true);
  CHECK(mine.at("messages").as_array().empty());
}

TEST_CASE("scoped calls: the send tools send only from, to and about the caller's account",
          "[mcp][keys][store][backends]") {
  two_accounts f;
  // The other account's contact is unknown here; its number is not ours to send from.
  CHECK_THAT(f.problem(first, "send_text", R"({"to":"Dave Other","text":"hi"})"),
             Catch::Contains("No contact matches"));
  CHECK_THAT(
      f.problem(first, "send_text", R"({"to":"Alice Smith","text":"hi","from":"200000000000003"})"),
      Catch::Contains("not one of our WhatsApp numbers"));
  // The second account sends from its only number without naming it.
  auto sent = f.data(second, "send_text", R"({"to":"Dave Other","text":"hi"})");
  CHECK(sent.at("state") == "dry_run");
  auto db = pons::store::database::open(f.path);
  REQUIRE(db.has_value());
  auto st = db->prepare("SELECT phone_number_id FROM messages WHERE id = ?1").value();
  st.bind(1, sent.at("message_id").as_int64());
  REQUIRE(st.step().value());
  CHECK(st.column_text(0) == "200000000000003");

  // An idempotency key of the other account's message does not replay that message's result.
  auto first_send =
      f.data(first, "send_text", R"({"to":"Alice Smith","text":"hi","idempotency_key":"k-1"})");
  auto replay =
      f.data(first, "send_text", R"({"to":"Alice Smith","text":"hi","idempotency_key":"k-1"})");
  CHECK(replay.at("replayed") == true);
  CHECK(replay.at("message_id") == first_send.at("message_id"));
  auto reused =
      f.call(second, "send_text", R"({"to":"Dave Other","text":"hi","idempotency_key":"k-1"})");
  REQUIRE(reused.protocol_error);
  CHECK(reused.protocol_error->data.at("field") == "arguments.idempotency_key");

  // Messages of the other account cannot be marked read or reacted to by id.
  CHECK_THAT(f.problem(first, "mark_read", R"({"message_id":9})"),
             Catch::Contains("No message has id 9"));
  CHECK(f.data(second, "mark_read", R"({"message_id":9})").at("message_id") == 9);
  CHECK_THAT(
      f.problem(first, "send_reaction", R"({"to":"Alice Smith","message_id":10,"emoji":"👍"})"),
      Catch::Contains("No message has id 10"));

  // Templates are synced for the caller's account only; the other is not named.
  auto other = f.problem(first, "sync_templates", R"({"account":"100000000000002"})");
  CHECK_THAT(other, Catch::Contains("not known here"));
  CHECK_THAT(other, Catch::Contains(first_waba));
  auto synced = f.call(first, "sync_templates", "{}");
  REQUIRE(synced.structured);
  REQUIRE(synced.structured->at("accounts").as_array().size() == 1);
  CHECK(synced.structured->at("accounts").at(0).at("waba_id") == first_waba);
}

TEST_CASE("scoped calls: the SQL conditions are empty without a scope", "[mcp][keys][backends]") {
  CHECK(scope_numbers(everyone, "m.phone_number_id", 3).empty());
  CHECK(scope_account_id(everyone, "account_id", 2).empty());
  CHECK(scope_waba(everyone, "waba_id", 1).empty());
  CHECK_THAT(scope_numbers(first, "m.phone_number_id", 3),
             Catch::StartsWith(" AND m.phone_number_id IN (") && Catch::Contains("?3"));
  CHECK(scope_waba(first, "a.waba_id", 1) == " AND a.waba_id = ?1");
  std::string where = "1 = 1";
  std::vector<sql_param> params{std::int64_t{7}};
  restrict_account_id(second, "account_id", where, params);
  CHECK_THAT(where, Catch::Contains("?2"));
  REQUIRE(params.size() == 2);
  CHECK(std::get<std::string>(params[1]) == second_waba);
}
