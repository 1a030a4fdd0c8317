#include <fmt/format.h>
#include <stb_image.h>
#include <stb_image_write.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "pons/mcp/base64.hpp"
#include "pons/mcp/cursor.hpp"
#include "pons/mcp/schema_check.hpp"
#include "pons/mcp/tools/db_watcher.hpp"
#include "pons/mcp/tools/image_scaler.hpp"
#include "pons/mcp/tools/read_tools.hpp"
#include "pons/store/message_search.hpp"
#include "unit/mcp_schema_bounds.hpp"
#include "unit/mcp_tools_fixture.hpp"
#include "unit/store_test_util.hpp"

namespace json = boost::json;
using namespace pons::mcp;
using pons::store::test::temp_dir;

namespace {

std::string seed_sql() {
  std::ifstream in(std::string(PONS_FIXTURES_DIR) + "/mcp/seed.sql");
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct seeded {
  temp_dir dir;
  std::string path = pons::store::test::test_database_location(dir);
  std::unique_ptr<db_pool> pool;
  std::unique_ptr<pull_recorder> pulls;
  registry reg;
  read_tools_deps deps;

  seeded() {
    auto db = pons::store::database::open(path);
    REQUIRE(db.has_value());
    REQUIRE(pons::store::test::run_seed_sql(*db, seed_sql()).has_value());
    auto p = db_pool::open(path, 2);
    REQUIRE(p.has_value());
    pool = std::move(*p);
    deps.pool = pool.get();
    pulls = std::make_unique<pull_recorder>(path);
    deps.pulls = pulls.get();
    deps.now = [] { return std::chrono::system_clock::now(); };
    deps.media_dir = dir.file("");
    register_read_tools(reg, deps);
    register_resources_and_prompts(reg, deps);
  }

  tool_result call(std::string_view name, std::string_view args = "{}") {
    const tool_def* t = reg.find_tool(name);
    REQUIRE(t);
    call_context ctx(cancellation_token{}, latest_version, "unit");
    return test::as_read(t->handler(json::parse(args).as_object(), ctx));
  }
};

}  // namespace

TEST_CASE("close-match distance counts swaps as one edit", "[mcp][backends]") {
  CHECK(edit_distance("alice", "alice") == 0);
  CHECK(edit_distance("alcie", "Alice") == 1);
  CHECK(edit_distance("bob", "rob") == 1);
  CHECK(edit_distance("", "abc") == 3);
  CHECK(edit_distance("kitten", "sitting") == 3);
}

TEST_CASE("search queries quote every word so user text never breaks the syntax", "[mcp]") {
  CHECK(pons::store::fts5_query("invoice", false) == "\"invoice\"");
  CHECK(pons::store::fts5_query("  blue   lamp ", false) == "\"blue\" \"lamp\"");
  CHECK(pons::store::fts5_query("say \"hi\" OR NOT", false) ==
        "\"say\" \"\"\"hi\"\"\" \"OR\" \"NOT\"");
  CHECK(pons::store::fts5_query("inv", true) == "\"inv\"*");
  CHECK(pons::store::fts5_query("   ", false).empty());
  // PostgreSQL: only letters and digits survive, quoted; all words required.
  CHECK(pons::store::tsquery_text("say 'hi' | !NOT", false) == "'say' & 'hi' & 'NOT'");
  CHECK(pons::store::tsquery_text("café inv", true) == "'café':* & 'inv':*");
  CHECK(pons::store::tsquery_text("&|!():*'", true).empty());
}

TEST_CASE("get_messages cursors round-trip and reject other tokens", "[mcp][backends]") {
  auto c = encode_message_cursor("2026-11-25T14:00:00.123Z", 42);
  auto d = decode_message_cursor(c);
  REQUIRE(d);
  CHECK(d->first == "2026-11-25T14:00:00.123Z");
  CHECK(d->second == 42);
  CHECK_FALSE(decode_message_cursor("wamid.HBgL"));
  CHECK_FALSE(decode_message_cursor(encode_cursor(3)));
}

TEST_CASE("get_messages validates since, sinceId and cursor", "[mcp][store][backends]") {
  seeded s;
  auto wamid = s.call("get_messages", R"({"since":"wamid.A4"})");
  REQUIRE(wamid.protocol_error);
  CHECK(wamid.protocol_error->code == rpc_code::invalid_params);
  CHECK(wamid.protocol_error->data.at("field") == "arguments.since");
  CHECK(s.call("get_messages", R"({"since":"yesterday"})").protocol_error);
  CHECK(s.call("get_messages", R"({"sinceId":3})").protocol_error);
  CHECK(s.call("get_messages", R"({"cursor":"nope"})").protocol_error);

  auto latest = s.call("get_messages", R"({"limit":3})");
  REQUIRE(latest.structured);
  const auto& msgs = latest.structured->at("messages").as_array();
  REQUIRE(msgs.size() == 3);
  // Oldest first, ending with the newest message.
  CHECK(msgs[2].at("id") == 8);
  CHECK(msgs[0].at("created_at").as_string() < msgs[1].at("created_at").as_string());
  auto from_first =
      s.call("get_messages", json::serialize(json::object{{"since", msgs[0].at("created_at")},
                                                          {"sinceId", msgs[0].at("id")}}));
  REQUIRE(from_first.structured);
  CHECK(from_first.structured->at("messages").as_array().size() == 2);
}

TEST_CASE("get_messages records what each client pulled per number", "[mcp][store][backends]") {
  seeded s;
  s.call("get_messages", R"({"contact":"Alice Smith"})");
  s.pulls->flush();
  auto db = pons::store::database::open(s.path);
  REQUIRE(db.has_value());
  auto last = db->query_int64(
      "SELECT last_message_id FROM mcp_pull_cursors WHERE client_name = 'unit' AND "
      "phone_number_id = '200000000000001'");
  REQUIRE(last.has_value());
  CHECK(*last == 5);
}

TEST_CASE("a busy client's pulls coalesce into one write per interval, flush writes at once",
          "[mcp][store][backends]") {
  temp_dir dir;
  auto path = pons::store::test::test_database_location(dir);
  REQUIRE(pons::store::database::open(path).has_value());
  pull_recorder pulls(path, std::chrono::hours(1));
  pulls.record("busy", "200000000000001", "2026-12-02T10:00:00.000Z", 1);
  pulls.flush();
  CHECK(pulls.writes() == 1);
  // A hundred pulls within the interval: none is written until it ends or someone flushes.
  for (int i = 2; i <= 101; ++i)
    pulls.record("busy", "200000000000001", "2026-12-02T10:00:01.000Z", i);
  CHECK(pulls.writes() == 1);
  pulls.flush();
  CHECK(pulls.writes() == 2);
  auto db = pons::store::database::open(path);
  REQUIRE(db.has_value());
  auto last =
      db->query_int64("SELECT last_message_id FROM mcp_pull_cursors WHERE client_name = 'busy'");
  REQUIRE(last.has_value());
  CHECK(*last == 101);
}

TEST_CASE("an unknown contact is a tool error naming close matches", "[mcp][store][backends]") {
  seeded s;
  auto r = s.call("get_contact", R"({"contact":"Alcie"})");
  CHECK(r.is_error);
  CHECK_THAT(std::string(r.content[0].at("text").as_string()), Catch::Contains("Alice Smith"));
  auto ambiguous = s.call("get_contact", R"({"contact":"o"})");
  CHECK(ambiguous.is_error);
  CHECK_THAT(std::string(ambiguous.content[0].at("text").as_string()), Catch::Contains("several"));
  auto by_number = s.call("get_contact", R"({"contact":"+44 (7700) 900-002"})");
  REQUIRE(by_number.structured);
  CHECK(by_number.structured->at("contact").at("name") == "Bob Jones");
}

TEST_CASE("wait_for_messages times out, and stops at once when cancelled",
          "[mcp][store][backends]") {
  seeded s;
  auto r = s.call("wait_for_messages", R"({"timeout_seconds":1})");
  REQUIRE(r.structured);
  CHECK(r.structured->at("timed_out") == true);

  // Cancelled before it starts: the answer is the cancellation, not the 30 s timeout's.
  cancellation_token token;
  token.cancel();
  call_context ctx(token, latest_version, "unit");
  auto cancelled = s.reg.find_tool("wait_for_messages")
                       ->handler(json::parse(R"({"timeout_seconds":30})").as_object(), ctx);
  CHECK_FALSE(cancelled.structured);
  REQUIRE(cancelled.content.size() == 1);
  CHECK(cancelled.content[0].at("text") == "cancelled");
}

TEST_CASE("the watcher reports conversations another connection changed",
          "[mcp][store][backends]") {
  seeded s;
  db_watcher watcher(s.path, std::chrono::milliseconds(200), [](const db_changes&) {});
  CHECK(watcher.poll_once().conversation_ids.empty());
  CHECK(watcher.poll_once().conversation_ids.empty());
  auto writer = pons::store::database::open(s.path);
  REQUIRE(writer.has_value());
  REQUIRE(writer->exec(
      "UPDATE conversations SET updated_at = '2099-01-01T00:00:00.000Z' WHERE id = 2"));
  auto changes = watcher.poll_once();
  CHECK(changes.conversation_ids == std::vector<std::int64_t>{2});
  CHECK(changes.conversation_accounts == std::vector<std::string>{"100000000000001"});
  CHECK_FALSE(changes.new_conversations);
  CHECK_FALSE(changes.templates_changed);
  CHECK(watcher.poll_once().conversation_ids.empty());

  // A delivery status applied to a message, and a file downloaded for one, change its
  // conversation though they leave the conversation's row alone; a status not applied does not.
  const auto message_of_2 =
      writer->query_int64("SELECT id FROM messages WHERE conversation_id = 2 LIMIT 1");
  REQUIRE(message_of_2.has_value());
  REQUIRE(writer->exec(fmt::format(
      "INSERT INTO message_status_events (wamid, message_id, status, applied, created_at) VALUES "
      "('w', {0}, 'delivered', 0, '2099-01-01T00:00:00.000Z')",
      *message_of_2)));
  CHECK(watcher.poll_once().conversation_ids.empty());
  REQUIRE(writer->exec(fmt::format(
      "INSERT INTO message_status_events (wamid, message_id, status, applied, created_at) VALUES "
      "('w', {0}, 'read', 1, '2099-01-01T00:00:00.000Z')",
      *message_of_2)));
  CHECK(watcher.poll_once().conversation_ids == std::vector<std::int64_t>{2});
  REQUIRE(writer->exec(fmt::format(
      "INSERT INTO media (message_id, media_id, mime, state, next_attempt_at, created_at, "
      "updated_at) VALUES ({0}, 'watched-media', 'image/png', 'done', '2099-01-01T00:00:00.000Z', "
      "'2099-01-01T00:00:00.000Z', '2099-01-02T00:00:00.000Z')",
      *message_of_2)));
  auto downloaded = watcher.poll_once();
  CHECK(downloaded.conversation_ids == std::vector<std::int64_t>{2});
  CHECK(downloaded.conversation_accounts == std::vector<std::string>{"100000000000001"});
  CHECK(watcher.poll_once().conversation_ids.empty());

  // Templates are told apart by account, a deletion too.
  REQUIRE(
      writer->exec("INSERT INTO templates (waba_id, name, language, updated_at) VALUES "
                   "('300000000000003', 'hello', 'en_US', '2099-01-01T00:00:00.000Z')"));
  auto added = watcher.poll_once();
  CHECK(added.templates_changed);
  CHECK(added.template_accounts == std::vector<std::string>{"300000000000003"});
  REQUIRE(writer->exec("DELETE FROM templates WHERE waba_id = '100000000000001'"));
  auto deleted = watcher.poll_once();
  CHECK(deleted.template_accounts == std::vector<std::string>{"100000000000001"});
  CHECK_FALSE(watcher.poll_once().templates_changed);
}

TEST_CASE("get_media shows a large stored photo scaled down, and a corrupt one as an error",
          "[mcp][store][image][backends]") {
  seeded s;
  std::filesystem::create_directories(s.dir.file("media"));
  // Message 8's media row points at media/part.png (declared image/png); put a big JPEG there.
  int w = 3000;
  int h = 2000;
  std::vector<unsigned char> rgb(static_cast<std::size_t>(w) * h * 3);
  for (std::size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<unsigned char>(i * 7 % 251);
  std::string photo;
  auto append = [](void* ctx, void* data, int size) {
    static_cast<std::string*>(ctx)->append(static_cast<const char*>(data), size);
  };
  REQUIRE(stbi_write_jpg_to_func(append, &photo, w, h, 3, rgb.data(), 90));
  {
    std::ofstream out(s.dir.file("media/part.png"), std::ios::binary);
    out << photo;
  }
  auto r = s.call("get_media", R"({"message_id":8})");
  REQUIRE_FALSE(r.is_error);
  REQUIRE(r.content.size() == 2);
  const auto& image = r.content[0].as_object();
  CHECK(image.at("type") == "image");
  CHECK(image.at("mimeType") == "image/jpeg");
  auto bytes = base64_decode(image.at("data").as_string(), base64_alphabet::standard);
  REQUIRE(bytes);
  image_limits limits;
  CHECK(bytes->size() <= limits.max_bytes);
  int dw = 0;
  int dh = 0;
  int n = 0;
  stbi_uc* px = stbi_load_from_memory(reinterpret_cast<const stbi_uc*>(bytes->data()),
                                      static_cast<int>(bytes->size()), &dw, &dh, &n, 3);
  REQUIRE(px);
  stbi_image_free(px);
  CHECK(std::max(dw, dh) <= limits.max_side);
  CHECK(static_cast<std::int64_t>(dw) * dh <= limits.max_pixels);
  CHECK(static_cast<double>(dw) / dh == Approx(1.5).epsilon(0.01));
  REQUIRE(r.structured);
  CHECK(r.structured->at("scaled") == true);
  CHECK(r.structured->at("width") == dw);
  CHECK(r.structured->at("original_width") == w);
  std::string text(r.content[1].at("text").as_string());
  CHECK(text.find("3000x2000") != std::string::npos);
  CHECK(text.find(std::to_string(dw) + "x" + std::to_string(dh)) != std::string::npos);

  // Cut the photo short after its headers: the pixels are gone.
  {
    std::ofstream out(s.dir.file("media/part.png"), std::ios::binary | std::ios::trunc);
    out << photo.substr(0, 700);
  }
  auto corrupt = s.call("get_media", R"({"message_id":8})");
  CHECK(corrupt.is_error);
  REQUIRE_FALSE(corrupt.content.empty());
  CHECK(std::string(corrupt.content[0].at("text").as_string()).find("corrupt") !=
        std::string::npos);

  // A zlib bomb (a 1x1 PNG whose data inflates to 8 MiB, the fuzz corpus's) is not decoded past
  // its budget: linked like a document, saying why.
  {
    std::ifstream in(std::string(PONS_FIXTURES_DIR) + "/../fuzz/corpus/image/png_zlib_bomb",
                     std::ios::binary);
    std::string bomb{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    REQUIRE(bomb.size() > 1000);
    std::ofstream out(s.dir.file("media/part.png"), std::ios::binary | std::ios::trunc);
    out << bomb;
  }
  auto bomb = s.call("get_media", R"({"message_id":8})");
  CHECK_FALSE(bomb.is_error);
  REQUIRE(bomb.content.size() == 2);
  CHECK(bomb.content[0].at("type") == "resource_link");
  CHECK(std::string(bomb.content[1].at("text").as_string()).find("too large to decode") !=
        std::string::npos);
}

TEST_CASE("a conversation id beyond 64 bits is an unknown resource, not an internal error",
          "[mcp][store][backends]") {
  seeded s;
  REQUIRE(s.reg.resource_templates().size() == 1);
  const auto& conversation = s.reg.resource_templates().front();
  call_context ctx(cancellation_token{}, latest_version, "unit");
  for (std::string id : {"99999999999999999999", "9223372036854775808", "0", "00"}) {
    std::string uri = "pons://conversations/" + id;
    resource_result r = conversation.read(uri, {{"id", id}}, ctx);
    INFO(uri);
    REQUIRE(r.error);
    CHECK(r.error->code == rpc_code::resource_not_found);
  }
  // Leading zeros still name the conversation.
  auto found = conversation.read("pons://conversations/001", {{"id", "001"}}, ctx);
  CHECK_FALSE(found.error);
}

TEST_CASE("a forged list_conversations cursor with an id beyond 64 bits is refused",
          "[mcp][store][backends]") {
  seeded s;
  for (std::string forged : {"c1|2026-11-25T14:00:00.000Z|99999999999999999999",
                             "c1|2026-11-25T14:00:00.000Z|12x", "c1|2026-11-25T14:00:00.000Z|"}) {
    INFO(forged);
    auto r = s.call(
        "list_conversations",
        json::serialize(json::object{{"cursor", base64_encode(forged, base64_alphabet::url)}}));
    REQUIRE(r.protocol_error);
    CHECK(r.protocol_error->data.at("field") == "arguments.cursor");
  }
}

TEST_CASE("LIKE wildcards in contact and template lookups match themselves only",
          "[mcp][store][backends]") {
  seeded s;
  {
    auto db = pons::store::database::open(s.path);
    REQUIRE(db.has_value());
    REQUIRE(
        db->exec("INSERT INTO contacts (account_id, wa_id, user_id, username, profile_name, "
                 "created_at, updated_at) VALUES (1, '447700900009', '', '', '100% Cotton', "
                 "'2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')"));
  }
  auto names = [&](std::string_view query) {
    auto r = s.call("search_contacts", json::serialize(json::object{{"query", query}}));
    REQUIRE(r.structured);
    std::vector<std::string> out;
    for (const auto& c : r.structured->at("contacts").as_array()) {
      out.emplace_back(c.at("name").as_string());
    }
    return out;
  };
  // "%" is a character like any other: only the name that holds one matches.
  CHECK(names("%") == std::vector<std::string>{"100% Cotton"});
  CHECK(names("_").empty());
  CHECK(names("\\").empty());
  CHECK(names("A%e").empty());
  CHECK(names("100%") == std::vector<std::string>{"100% Cotton"});
  CHECK(names("0% C") == std::vector<std::string>{"100% Cotton"});
  CHECK(names("ali") == std::vector<std::string>{"Alice Smith"});

  auto percent = s.call("get_contact", R"({"contact":"%"})");
  REQUIRE(percent.structured);
  CHECK(percent.structured->at("contact").at("name") == "100% Cotton");
  auto one = s.call("get_contact", R"({"contact":"_"})");
  CHECK(one.is_error);

  auto templates = s.call("list_templates", R"({"name":"%","status":"all"})");
  REQUIRE(templates.structured);
  CHECK(templates.structured->at("templates").as_array().empty());
  auto underscore = s.call("list_templates", R"({"name":"r_u","status":"all"})");
  REQUIRE(underscore.structured);
  REQUIRE(underscore.structured->at("templates").as_array().size() == 1);
  CHECK(underscore.structured->at("templates").at(0).at("name") == "order_update");
  CHECK(s.call("list_templates", R"({"name":"e_u","status":"all"})")
            .structured->at("templates")
            .as_array()
            .empty());

  const prompt_def* draft = s.reg.find_prompt("draft_reply");
  REQUIRE(draft);
  call_context ctx(cancellation_token{}, latest_version, "unit");
  CHECK(draft->complete("contact", "%", {}, ctx).empty());  // a prefix: no name starts with "%"
  CHECK(draft->complete("contact", "_", {}, ctx).empty());
  CHECK(draft->complete("contact", "Al", {}, ctx) == std::vector<std::string>{"Alice Smith"});
  CHECK(draft->complete("contact", "100%", {}, ctx) == std::vector<std::string>{"100% Cotton"});
}

TEST_CASE("every string argument of every tool is bounded, and NUL is refused",
          "[mcp][store][backends]") {
  seeded s;
  pons::test::check_every_string_bounded(s.reg);

  const tool_def* get_contact = s.reg.find_tool("get_contact");
  REQUIRE(get_contact);
  auto huge = check_schema(get_contact->input_schema,
                           json::object{{"contact", std::string(100'000, 'x')}}, "arguments");
  REQUIRE(huge);
  CHECK(huge->field == "arguments.contact");
  CHECK_THAT(huge->reason, Catch::Contains("at most"));
  auto nul = check_schema(get_contact->input_schema,
                          json::object{{"contact", std::string("Ali\0ce", 6)}}, "arguments");
  REQUIRE(nul);
  CHECK(nul->field == "arguments.contact");
  CHECK_THAT(nul->reason, Catch::Contains("NUL"));

  // Prompts have no input schema: draft_reply checks its contact itself.
  const prompt_def* draft = s.reg.find_prompt("draft_reply");
  REQUIRE(draft);
  call_context ctx(cancellation_token{}, latest_version, "unit");
  auto long_name = draft->get({{"contact", std::string(100'000, 'x')}}, ctx);
  REQUIRE(long_name.error);
  CHECK(long_name.error->code == rpc_code::invalid_params);
  CHECK_THAT(long_name.error->message, Catch::Contains("at most"));
  CHECK_THAT(long_name.error->message, !Catch::Contains("database"));
  auto with_nul = draft->get({{"contact", std::string("Ali\0ce", 6)}}, ctx);
  REQUIRE(with_nul.error);
  CHECK_THAT(with_nul.error->message, Catch::Contains("NUL"));
}

TEST_CASE("a message that is not text shows its kind and how to fetch it wherever it is read",
          "[mcp][store][backends]") {
  seeded s;
  {
    // Alice reacts to our message #2, and we send her a photo by link (no copy kept here).
    auto writer = pons::store::database::open(s.path);
    REQUIRE(writer.has_value());
    REQUIRE(pons::store::test::run_seed_sql(
        *writer,
        "INSERT INTO messages (id, direction, wamid, phone_number_id, contact_id, "
        "conversation_id, type, text, reaction_to, reaction_emoji, status, created_at, "
        "updated_at) VALUES (9, 'inbound', 'wamid.A9', '200000000000001', 1, 1, 'reaction', "
        "'[reaction] \xF0\x9F\x91\x8D', 'wamid.A2', '\xF0\x9F\x91\x8D', 'received', "
        "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-2 seconds'), "
        "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-2 seconds'));"
        "INSERT INTO messages (id, direction, wamid, phone_number_id, contact_id, "
        "conversation_id, type, text, media_caption, status, created_at, updated_at) VALUES "
        "(10, 'outbound', 'wamid.A10', '200000000000001', 1, 1, 'image', 'The blue lamp', "
        "'The blue lamp', 'sent', strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 seconds'), "
        "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 seconds'));"));
  }
  auto text_of = [](const tool_result& r) {
    return std::string(r.content[0].at("text").as_string());
  };
  auto at = [](const tool_result& r, std::int64_t id) {
    for (const auto& m : r.structured->at("messages").as_array())
      if (m.at("id") == id) return std::string(m.at("created_at").as_string());
    FAIL("message " << id << " not returned");
    return std::string();
  };

  auto carol = s.call("get_messages", R"({"contact":"Carol"})");
  REQUIRE(carol.structured);
  CHECK_THAT(text_of(carol),
             Catch::StartsWith("#8 " + at(carol, 8) +
                               " from Carol: [image: call get_media with message_id 8] Photo of "
                               "the broken part\n"));
  const auto& photo = carol.structured->at("messages").at(0).as_object();
  CHECK(photo.at("summary") ==
        "[image: call get_media with message_id 8] Photo of the broken part");
  CHECK(photo.at("media").at("state") == "done");

  auto alice = s.call("get_messages", R"({"contact":"Alice Smith","limit":100})");
  REQUIRE(alice.structured);
  auto lines = text_of(alice);
  CHECK_THAT(lines, Catch::Contains("#3 " + at(alice, 3) +
                                    " to Alice Smith: [document invoice-1042.pdf: call get_media "
                                    "with message_id 3] Invoice 1042 (delivered)\n"));
  CHECK_THAT(lines, Catch::Contains("#9 " + at(alice, 9) +
                                    " from Alice Smith: [reaction \xF0\x9F\x91\x8D to #2]\n"));
  CHECK_THAT(lines, Catch::Contains("#10 " + at(alice, 10) +
                                    " to Alice Smith: [image: no copy is stored here] The blue "
                                    "lamp (sent)\n"));
  CHECK_THAT(lines, Catch::Contains("#5 " + at(alice, 5) +
                                    " from Alice Smith: Can you send the invoice again?\n"));

  // The conversation list's preview, in JSON and text.
  auto inbox = s.call("list_conversations");
  REQUIRE(inbox.structured);
  const std::string preview = "[image: call get_media with message_id 8] Photo of the broken part";
  bool seen = false;
  for (const auto& c : inbox.structured->at("conversations").as_array())
    if (c.at("id") == 3) {
      CHECK(c.at("preview").as_string() == preview);
      seen = true;
    }
  CHECK(seen);
  CHECK_THAT(text_of(inbox), Catch::Contains(": \"" + preview + "\"; window"));

  // Search hits, waits and the conversation resource say the same.
  auto hits = s.call("search_messages", R"({"query":"broken","context":0})");
  CHECK_THAT(text_of(hits), Catch::Contains(" > #8 " + at(carol, 8) + " from Carol: " + preview));
  auto waited = s.call("wait_for_messages", R"({"after_id":7,"timeout_seconds":1})");
  CHECK_THAT(text_of(waited), Catch::Contains("#8 " + at(carol, 8) + " from Carol: " + preview));
  call_context ctx(cancellation_token{}, latest_version, "unit");
  auto resource =
      s.reg.resource_templates().front().read("pons://conversations/3", {{"id", "3"}}, ctx);
  REQUIRE_FALSE(resource.error);
  CHECK_THAT(std::string(resource.contents.at(0).at("text").as_string()),
             Catch::Contains("\"summary\":\"" + preview + "\""));
}

TEST_CASE("get_messages takes since_id and still the older sinceId", "[mcp][store][backends]") {
  seeded s;
  auto latest = s.call("get_messages", R"({"limit":3})");
  REQUIRE(latest.structured);
  const auto& first = latest.structured->at("messages").at(0);
  auto snake =
      s.call("get_messages", json::serialize(json::object{{"since", first.at("created_at")},
                                                          {"since_id", first.at("id")}}));
  REQUIRE(snake.structured);
  CHECK(snake.structured->at("messages").as_array().size() == 2);
  auto camel =
      s.call("get_messages", json::serialize(json::object{{"since", first.at("created_at")},
                                                          {"sinceId", first.at("id")}}));
  REQUIRE(camel.structured);
  CHECK(camel.structured->at("messages") == snake.structured->at("messages"));
  auto both = s.call("get_messages",
                     json::serialize(json::object{
                         {"since", first.at("created_at")}, {"since_id", 1}, {"sinceId", 2}}));
  REQUIRE(both.protocol_error);
  CHECK(both.protocol_error->data.at("field") == "arguments.since_id");
  CHECK(s.call("get_messages", R"({"since_id":3})").protocol_error);
}
