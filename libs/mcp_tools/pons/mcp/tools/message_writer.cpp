#include "pons/mcp/tools/message_writer.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cstdint>

#include "pons/mcp/tools/inbox_model.hpp"

namespace pons::mcp {

namespace {

// The members of one JSON object, appended in order. Keys are literals that need no escaping.
class object_writer {
 public:
  explicit object_writer(std::string& out) : out_(out) { out_ += '{'; }
  ~object_writer() { out_ += '}'; }
  object_writer(const object_writer&) = delete;
  object_writer& operator=(const object_writer&) = delete;

  // Starts a member and leaves its value to the caller (a nested object).
  std::string& member(std::string_view key) {
    if (!first_) out_ += ',';
    first_ = false;
    out_ += '"';
    out_ += key;
    out_ += "\":";
    return out_;
  }
  void text(std::string_view key, std::string_view value) {
    append_json_string(member(key), value);
  }
  void integer(std::string_view key, std::int64_t value) {
    append_json_integer(member(key), value);
  }
  void number(std::string_view key, double value) {
    // As Boost.JSON writes doubles, so that a written page reads back as the built one.
    member(key) += boost::json::serialize(boost::json::value(value));
  }
  void boolean(std::string_view key, bool value) { member(key) += value ? "true" : "false"; }

 private:
  std::string& out_;
  bool first_ = true;
};

}  // namespace

written_message write_message(const store::statement& s, std::string& json, std::string& line) {
  auto text = [&](int col) { return s.column_view(col); };
  // Each column read once: the views stay valid until the statement steps.
  const std::string_view direction = text(1);
  const std::string_view number = text(3);
  const std::string_view type = text(6);
  const std::string_view words = text(7);
  const std::string_view status = text(20);
  const std::string_view created_at = text(25);
  written_message facts{s.column_int64(0), std::string(created_at), std::string(number)};
  if (type != "text" && !type.empty()) {
    // Other kinds are summarised from the built message (message_summary() knows them all);
    // they are the few in a page.
    const json::object built = message_json(s);
    json += json::serialize(built);
    append_message_line(line, built);
    return facts;
  }
  const std::string_view media_id = text(8);
  const std::string_view media_mime = text(9);
  const std::string_view reaction_to = text(16);
  const std::string_view reply_to = text(18);
  const std::string_view wa_id = text(26);
  const std::string_view user_id = text(27);
  const std::string_view username = text(29);
  const bool has_media = !media_id.empty() || !media_mime.empty() || !s.column_is_null(30);
  const bool has_location = !s.column_is_null(12) && !s.column_is_null(13);
  const bool forwarded = s.column_int64(19) != 0;
  const auto error_code = s.column_optional_int64(21);
  const std::int64_t ts = s.column_int64(24);
  std::string name;
  append_display_name(name, wa_id, user_id, username, text(28));
  // message_summary() of a text: its words, or the kind when it has none.
  const std::string_view summary = words.empty() ? std::string_view("[text]") : words;
  {
    object_writer m(json);
    m.integer("id", facts.id);
    m.text("direction", direction);
    m.text("wamid", text(2));
    m.text("phone_number_id", number);
    m.integer("conversation_id", s.column_int64(5));
    m.text("type", type);
    m.text("text", words);
    m.text("status", status);
    m.text("created_at", created_at);
    if (ts > 0) m.text("sent_at", store::format_unix_seconds(ts));
    {
      object_writer c(m.member("contact"));
      c.integer("id", s.column_int64(4));
      c.text("wa_id", wa_id);
      c.text("user_id", user_id);
      c.text("username", username);
      c.text("name", name);
    }
    if (has_media) {
      object_writer media(m.member("media"));
      media.text("media_id", media_id);
      media.text("mime_type", media_mime);
      media.text("caption", text(10));
      media.text("filename", text(11));
      media.text("state", text(30));
    }
    if (has_location) {
      object_writer location(m.member("location"));
      location.number("latitude", s.column_double(12));
      location.number("longitude", s.column_double(13));
      location.text("name", text(14));
      location.text("address", text(15));
    }
    if (!reaction_to.empty()) {
      object_writer reaction(m.member("reaction"));
      reaction.text("to", reaction_to);
      reaction.text("emoji", text(17));
      if (!s.column_is_null(31)) reaction.integer("message_id", s.column_int64(31));
    }
    if (!reply_to.empty()) m.text("reply_to", reply_to);
    if (forwarded) m.boolean("forwarded", true);
    if (error_code) {
      object_writer error(m.member("error"));
      error.integer("code", *error_code);
      error.text("title", text(22));
      error.text("details", text(23));
    }
    m.text("summary", summary);
  }
  // message_line(): "#id created_at from|to name: summary", and the status of what we sent.
  const bool inbound = direction == "inbound";
  line += '#';
  append_json_integer(line, facts.id);
  line += ' ';
  line += created_at;
  line += inbound ? " from " : " to ";
  line += name;
  line += ": ";
  line += summary;
  if (!inbound) {
    line += " (";
    line += status;
    line += ')';
  }
  return facts;
}

}  // namespace pons::mcp
