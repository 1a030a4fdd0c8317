// get_messages writes its page as JSON text straight from the rows (message_writer.hpp); what a
// client reads back must be what message_json() builds, member for member, for every kind of
// message and whatever the texts hold.
#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>
#include <string>

#include "pons/mcp/tools/inbox_model.hpp"
#include "pons/mcp/tools/message_writer.hpp"
#include "unit/mcp_tools_fixture.hpp"
#include "unit/store_test_util.hpp"

namespace json = boost::json;
using namespace pons::mcp;
using pons::mcp::test::fixture_sql;
using pons::store::test::temp_dir;

namespace {

// Contacts named each way display_name() knows, and messages of the kinds and members the seed
// lacks: a reaction to a stored message and to an unknown one, a location, a failed send, a
// reply, a forward, a sent time, and text rows carrying every optional member.
constexpr const char* odd_rows = R"(
INSERT INTO contacts (id, account_id, wa_id, user_id, username, profile_name, created_at, updated_at)
VALUES (4, 1, '', 'US.4', 'dora', '', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'),
       (5, 1, '447700900005', '', '', '', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'),
       (6, 1, '', 'US.6', '', '', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');
INSERT INTO messages (id, direction, wamid, phone_number_id, contact_id, conversation_id, type,
  text, media_id, media_mime, media_caption, media_filename, latitude, longitude, location_name,
  location_address, reaction_to, reaction_emoji, reply_to, forwarded, status, error_code,
  error_title, error_details, ts, created_at, updated_at)
VALUES
  (20, 'inbound', 'wamid.X20', '200000000000001', 4, 1, 'text', 'placeholder', '', '', '', '',
   NULL, NULL, '', '', '', '', '', 0, 'received', NULL, '', '', 1767225600,
   '2026-11-01T00:00:00.020Z', '2026-11-01T00:00:00.020Z'),
  (21, 'inbound', 'wamid.X21', '200000000000001', 5, 1, 'text', '', '', '', '', '',
   NULL, NULL, '', '', '', '', 'wamid.A1', 1, 'received', NULL, '', '', 0,
   '2026-11-01T00:00:00.021Z', '2026-11-01T00:00:00.021Z'),
  (22, 'outbound', 'wamid.X22', '200000000000001', 6, 1, 'text', 'Your order ships', '', '', '', '',
   NULL, NULL, '', '', '', '', '', 0, 'failed', 131047, 'Re-engagement message',
   'More than 24 hours have passed', 0, '2026-11-01T00:00:00.022Z', '2026-11-01T00:00:00.022Z'),
  (23, 'inbound', 'wamid.X23', '200000000000001', 1, 1, 'text', 'Every member at once',
   'media-odd', 'image/png', 'cap', 'f.png', 51.5, -0.125, 'Shop', '1 High St', 'wamid.A2', 'x',
   'wamid.A2', 1, 'received', 7, 't', 'd', 1767225601,
   '2026-11-01T00:00:00.023Z', '2026-11-01T00:00:00.023Z'),
  (24, 'inbound', 'wamid.X24', '200000000000001', 1, 1, 'reaction', '', '', '', '', '',
   NULL, NULL, '', '', 'wamid.A2', 'X', '', 0, 'received', NULL, '', '', 0,
   '2026-11-01T00:00:00.024Z', '2026-11-01T00:00:00.024Z'),
  (25, 'inbound', 'wamid.X25', '200000000000001', 1, 1, 'reaction', '', '', '', '', '',
   NULL, NULL, '', '', 'wamid.elsewhere', '', '', 0, 'received', NULL, '', '', 0,
   '2026-11-01T00:00:00.025Z', '2026-11-01T00:00:00.025Z'),
  (26, 'inbound', 'wamid.X26', '200000000000001', 1, 1, 'location', '[location] Shop', '', '', '',
   '', 48.8566, 2.3522, 'Shop', 'Rue 1', '', '', '', 0, 'received', NULL, '', '', 0,
   '2026-11-01T00:00:00.026Z', '2026-11-01T00:00:00.026Z');
)";

// Every byte a JSON string must escape, quotes and backslashes, and text beyond ASCII.
std::string hostile_text() {
  std::string text = "He said \"hi\" \\ then\nleft\ttab, and ";
  for (char c = 1; c < 0x20; ++c) text += c;
  text += " \x7f caf\xC3\xA9 \xF0\x9F\x91\x8D </script>";
  return text;
}

}  // namespace

TEST_CASE("a written message reads back as the built one, for every kind and any text",
          "[mcp][store][backends]") {
  temp_dir dir;
  test::seeded_tools tools(dir, {fixture_sql("seed.sql"), odd_rows});
  auto db = pons::store::database::open(tools.path);
  REQUIRE(db.has_value());
  {
    auto set = db->prepare("UPDATE messages SET text = ?1, reaction_emoji = ?1 WHERE id = 20");
    REQUIRE(set.has_value());
    set->bind_all(hostile_text());
    REQUIRE(set->run().has_value());
  }
  auto s = db->prepare(
      fmt::format("SELECT {} FROM messages m JOIN contacts c ON c.id = m.contact_id ORDER BY m.id",
                  message_columns));
  REQUIRE(s.has_value());
  int texts = 0;
  int others = 0;
  for (;;) {
    auto more = s->step();
    REQUIRE(more.has_value());
    if (!*more) break;
    std::string written;
    std::string line;
    const written_message facts = write_message(*s, written, line);
    const json::object built = message_json(*s);
    INFO(written);
    boost::system::error_code ec;
    const json::value read_back = json::parse(written, ec);
    REQUIRE_FALSE(ec);
    CHECK(read_back == json::value(built));
    CHECK(line == message_line(built));
    CHECK(facts.id == built.at("id").as_int64());
    CHECK(facts.created_at == built.at("created_at").as_string());
    CHECK(facts.phone_number_id == built.at("phone_number_id").as_string());
    (built.at("type") == "text" ? texts : others)++;
  }
  // Both ways of writing were taken: text rows directly, the other kinds from the built object.
  CHECK(texts >= 9);
  CHECK(others >= 4);
}

TEST_CASE("a JSON string is written so that any text reads back unchanged", "[mcp]") {
  std::string every_byte;
  for (int c = 1; c < 0x80; ++c) every_byte += static_cast<char>(c);
  for (const std::string& text : {std::string(), hostile_text(), every_byte}) {
    std::string out = "x";
    append_json_string(out, text);
    REQUIRE(out.front() == 'x');
    const json::value v = json::parse(std::string_view(out).substr(1));
    CHECK(v == json::value(text));
  }
  // Control characters take their short escapes where JSON has one.
  std::string out;
  append_json_string(out, "\n\t\x01");
  CHECK(out == R"("\n\t\u0001")");
  // Byte for byte what Boost.JSON writes (the built page's way): each byte at every place of a
  // text long enough for the eight-byte scan, twice (the scan resumes after an escape), amid
  // ASCII and amid bytes of 0x80 and above.
  int differences = 0;
  for (int c = 0; c < 0x100; ++c) {
    for (std::size_t at = 0; at < 17; ++at) {
      for (char filler : {'x', '\xc3'}) {
        std::string text(34, filler);
        text[at] = static_cast<char>(c);
        text[at + 17] = static_cast<char>(c);
        std::string written;
        append_json_string(written, text);
        if (written != json::serialize(json::value(text))) ++differences;
      }
    }
  }
  CHECK(differences == 0);
}
