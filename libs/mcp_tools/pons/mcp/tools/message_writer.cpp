#include "pons/mcp/tools/message_writer.hpp"

#include <fmt/format.h>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <iterator>

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
    fmt::format_to(std::back_inserter(member(key)), "{}", value);
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

// contact_name() of inbox_model.cpp, appended: the profile name, @username, +wa_id or user id.
void append_contact_name(std::string& out, std::string_view wa_id, std::string_view user_id,
                         std::string_view username, std::string_view profile_name) {
  if (!profile_name.empty()) {
    out += profile_name;
  } else if (!username.empty()) {
    out += '@';
    out += username;
  } else if (!wa_id.empty()) {
    out += '+';
    out += wa_id;
  } else {
    out += user_id;
  }
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  std::size_t plain_from = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text, plain_from, i - plain_from);
    plain_from = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;

      default:
        out += "\\u00";
        out += hex[c >> 4];
        out += hex[c & 0xF];
    }
  }
  out.append(text, plain_from, text.size() - plain_from);
  out += '"';
}

written_message write_message(const store::statement& s, std::string& json, std::string& line) {
  auto text = [&](int col) { return s.column_view(col); };
  written_message facts{s.column_int64(0), std::string(text(25)), std::string(text(3))};
  const std::string_view type = text(6);
  if (type != "text" && !type.empty()) {
    // Other kinds are summarised from the built message (message_summary() knows them all);
    // they are the few in a page.
    const json::object built = message_json(s);
    json += json::serialize(built);
    append_message_line(line, built);
    return facts;
  }
  const bool has_media = !text(8).empty() || !text(9).empty() || !s.column_is_null(30);
  const bool has_location = !s.column_is_null(12) && !s.column_is_null(13);
  const bool has_reaction = !text(16).empty();
  const bool has_reply = !text(18).empty();
  const bool forwarded = s.column_int64(19) != 0;
  const auto error_code = s.column_optional_int64(21);
  const std::int64_t ts = s.column_int64(24);
  std::string name;
  append_contact_name(name, text(26), text(27), text(29), text(28));
  // message_summary() of a text: its words, or the kind when it has none.
  const std::string_view summary = text(7).empty() ? std::string_view("[text]") : text(7);
  {
    object_writer m(json);
    m.integer("id", facts.id);
    m.text("direction", text(1));
    m.text("wamid", text(2));
    m.text("phone_number_id", text(3));
    m.integer("conversation_id", s.column_int64(5));
    m.text("type", type);
    m.text("text", text(7));
    m.text("status", text(20));
    m.text("created_at", text(25));
    if (ts > 0) m.text("sent_at", store::format_unix_seconds(ts));
    {
      object_writer c(m.member("contact"));
      c.integer("id", s.column_int64(4));
      c.text("wa_id", text(26));
      c.text("user_id", text(27));
      c.text("username", text(29));
      c.text("name", name);
    }
    if (has_media) {
      object_writer media(m.member("media"));
      media.text("media_id", text(8));
      media.text("mime_type", text(9));
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
    if (has_reaction) {
      object_writer reaction(m.member("reaction"));
      reaction.text("to", text(16));
      reaction.text("emoji", text(17));
      if (!s.column_is_null(31)) reaction.integer("message_id", s.column_int64(31));
    }
    if (has_reply) m.text("reply_to", text(18));
    if (forwarded) m.boolean("forwarded", true);
    if (error_code) {
      object_writer error(m.member("error"));
      error.integer("code", *error_code);
      error.text("title", text(22));
      error.text("details", text(23));
    }
    m.text("summary", summary);
  }
  const bool inbound = text(1) == "inbound";
  fmt::format_to(std::back_inserter(line), "#{} {} {} {}: {}", facts.id, facts.created_at,
                 inbound ? "from" : "to", name, summary);
  if (!inbound) fmt::format_to(std::back_inserter(line), " ({})", text(20));
  return facts;
}

}  // namespace pons::mcp
