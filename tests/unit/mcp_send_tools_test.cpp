#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "pons/mcp/tools/read_tools.hpp"
#include "pons/mcp/tools/send_tools.hpp"
#include "unit/mcp_schema_bounds.hpp"
#include "unit/mcp_tools_fixture.hpp"
#include "unit/store_test_util.hpp"

namespace json = boost::json;
using namespace pons::mcp;
using pons::mcp::parse_allowed_recipients;
using pons::store::test::temp_dir;

namespace {

std::string seed_sql() {
  std::ifstream in(std::string(PONS_FIXTURES_DIR) + "/mcp/seed.sql");
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write(const std::string& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
}

// The seeded inbox with the send tools in dry-run mode (nothing reaches Meta) and the default
// upload folder, outbox/ beside the database.
struct send_fixture {
  temp_dir dir;
  pons::mcp::test::seeded_tools db{dir, {seed_sql()}};
  std::string path = db.path;
  registry reg;
  std::shared_ptr<const upload_policy> uploads;

  explicit send_fixture(bool with_uploads = true) {
    send_tools_deps deps = db.deps(dir);
    if (with_uploads) {
      upload_settings s;
      s.folders = {dir.file("outbox")};
      s.create_missing = true;
      s.database_path = path;
      uploads = std::make_shared<const upload_policy>(s);
      deps.uploads = uploads;
    }
    register_send_tools(reg, deps);
  }

  tool_result call(std::string_view name, const json::object& args) {
    const tool_def* t = reg.find_tool(name);
    REQUIRE(t);
    call_context ctx(cancellation_token{}, latest_version, "unit");
    return t->handler(args, ctx);
  }

  tool_result send_media(std::string_view kind, const std::string& file) {
    return call("send_media", json::object{{"to", "Alice Smith"}, {"kind", kind}, {"path", file}});
  }
};

std::string text_of(const tool_result& r) {
  REQUIRE_FALSE(r.content.empty());
  return std::string(r.content[0].at("text").as_string());
}

const std::string png = std::string("\x89PNG\r\n\x1A\n", 8) + std::string(24, '\0');

}  // namespace

TEST_CASE("PONS_ALLOWED_RECIPIENTS parses typed numbers into wa_ids", "[mcp][backends]") {
  CHECK(parse_allowed_recipients("+44 7700 900001, 447700900002,,") ==
        std::vector<std::string>{"447700900001", "447700900002"});
  CHECK(parse_allowed_recipients("(+1) 650-555-1234") == std::vector<std::string>{"16505551234"});
  CHECK(parse_allowed_recipients("").empty());
  CHECK(parse_allowed_recipients(" , ").empty());
}

TEST_CASE("send_media sends local files only from the upload folder",
          "[mcp][store][upload][backends]") {
  send_fixture f;
  auto db = pons::store::database::open(f.path);
  REQUIRE(db.has_value());
  const char* count_sql = "SELECT count(*) FROM messages WHERE direction = 'outbound'";
  auto before = db->query_int64(count_sql).value();
  write(f.dir.file("outbox/invoice.pdf"), "%PDF-1.4\n");
  auto sent = f.send_media("document", "invoice.pdf");
  INFO(boost::json::serialize(sent.content));
  REQUIRE_FALSE(sent.is_error);
  CHECK(sent.structured->at("state") == "dry_run");

  for (const std::string& outside : {std::string("/proc/self/environ"), f.path,
                                     f.dir.file("outbox/../pons.db"), std::string("/etc/passwd")}) {
    auto refused = f.send_media("document", outside);
    INFO(outside);
    CHECK(refused.is_error);
    CHECK_FALSE(refused.structured);
  }
  auto environ = f.send_media("document", "/proc/self/environ");
  CHECK_THAT(text_of(environ), Catch::Contains("never sends it"));
  auto passwd = f.send_media("document", "/etc/passwd");
  CHECK_THAT(text_of(passwd), Catch::Contains(f.uploads->folders().front()) &&
                                  Catch::Contains("--upload-dir or PONS_UPLOAD_DIR"));
  // Nothing refused was recorded as a message: only the first send was.
  CHECK(db->query_int64(count_sql).value() == before + 1);
}

TEST_CASE("send_media checks the file's real type against the kind",
          "[mcp][store][media][backends]") {
  send_fixture f;
  write(f.dir.file("outbox/photo.jpg"), png);  // a PNG under a .jpg name
  write(f.dir.file("outbox/contract.pdf"), png);
  write(f.dir.file("outbox/copy.pdf"), std::string("SQLite format 3\0", 16) + "tables");
  write(f.dir.file("outbox/huge.png"), png + std::string(5'000'000, '\0'));
  CHECK_FALSE(f.send_media("image", "photo.jpg").is_error);
  auto as_document = f.send_media("document", "contract.pdf");
  CHECK(as_document.is_error);
  CHECK_THAT(text_of(as_document),
             Catch::Contains("PNG image") && Catch::Contains("kind \"image\""));
  auto database = f.send_media("document", "copy.pdf");
  CHECK(database.is_error);
  CHECK_THAT(text_of(database), Catch::Contains("SQLite database"));
  auto huge = f.send_media("image", "huge.png");
  CHECK(huge.is_error);
  CHECK_THAT(text_of(huge), Catch::Contains("5 MB"));
}

TEST_CASE("send_media without an upload folder sends no local file",
          "[mcp][store][upload][backends]") {
  send_fixture f(false);
  write(f.dir.file("invoice.pdf"), "%PDF-1.4\n");
  auto r = f.send_media("document", f.dir.file("invoice.pdf"));
  CHECK(r.is_error);
  CHECK_THAT(text_of(r), Catch::Contains("url"));
  const tool_def* t = f.reg.find_tool("send_media");
  REQUIRE(t);
  CHECK_THAT(t->description, Catch::Contains("Local files are not sent"));
}

TEST_CASE("every string argument of the send tools is bounded", "[mcp][store][backends]") {
  send_fixture f;
  pons::test::check_every_string_bounded(f.reg);
}

TEST_CASE("message_id is the message's id here in mark_read and send_reaction too",
          "[mcp][store][backends]") {
  send_fixture f;
  // The id from get_messages (5 is Alice's wamid.A5), the wamid itself, or the older string form.
  for (const auto* args :
       {R"({"message_id":5})", R"({"wamid":"wamid.A5"})", R"({"message_id":"wamid.A5"})"}) {
    INFO(args);
    auto read = f.call("mark_read", json::parse(args).as_object());
    REQUIRE(read.structured);
    CHECK(read.structured->at("wamid") == "wamid.A5");
    CHECK(read.structured->at("message_id") == 5);
  }
  auto unknown = f.call("mark_read", json::object{{"message_id", 999}});
  CHECK(unknown.is_error);
  CHECK_THAT(text_of(unknown), Catch::Contains("get_messages"));
  auto neither = f.call("mark_read", json::object{});
  REQUIRE(neither.protocol_error);

  auto reacted = f.call("send_reaction",
                        json::object{{"to", "Alice Smith"}, {"message_id", 2}, {"emoji", "👍"}});
  REQUIRE(reacted.structured);
  CHECK(reacted.structured->at("state") == "dry_run");
  auto by_wamid = f.call(
      "send_reaction", json::object{{"to", "Alice Smith"}, {"wamid", "wamid.A4"}, {"emoji", "👍"}});
  REQUIRE(by_wamid.structured);
  CHECK(by_wamid.structured->at("state") == "dry_run");
  // Both stored as reactions to the right messages.
  auto db = pons::store::database::open(f.path);
  REQUIRE(db.has_value());
  CHECK(db->query_int64("SELECT count(*) FROM messages WHERE type = 'reaction' AND reaction_to IN "
                        "('wamid.A2', 'wamid.A4')")
            .value() == 2);
}
