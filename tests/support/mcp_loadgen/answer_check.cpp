#include "support/mcp_loadgen/answer_check.hpp"

#include <fmt/format.h>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <string_view>
#include <vector>

namespace pons::loadgen {

namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

// The lines of a get_messages text that show a message: "#<id> ...".
int message_lines(std::string_view s) {
  int lines = 0;
  for (std::size_t at = 0; at < s.size();) {
    auto end = s.find('\n', at);
    if (end == std::string_view::npos) end = s.size();
    std::string_view line = s.substr(at, end - at);
    std::size_t digits = 1;
    while (digits < line.size() && line[digits] >= '0' && line[digits] <= '9') ++digits;
    if (line.size() > digits && line[0] == '#' && digits > 1 && line[digits] == ' ') ++lines;
    at = end + 1;
  }
  return lines;
}

// The facts the check needs, gathered in one pass of Boost.JSON's parser without building the
// document: the clients read hundreds of kilobytes a second, and building each answer took
// about a third of their CPU.
class answer_facts {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  bool top_is_object = false;
  bool has_error = false;
  bool has_result = false;
  bool is_error = false;
  bool has_text = false;
  std::string text;  // the first content item's text
  bool has_structured = false;
  std::ptrdiff_t structured_rows = -1;  // rows of structuredContent.messages, -1 when absent

  bool on_document_begin(boost::system::error_code&) { return true; }
  bool on_document_end(boost::system::error_code&) { return true; }
  bool on_object_begin(boost::system::error_code&) {
    open(role_of_value(true));
    return true;
  }
  bool on_object_end(std::size_t, boost::system::error_code&) {
    frames_.pop_back();
    return true;
  }
  bool on_array_begin(boost::system::error_code&) {
    open(role_of_value(false));
    return true;
  }
  bool on_array_end(std::size_t n, boost::system::error_code&) {
    if (frames_.back() == role::messages) structured_rows = static_cast<std::ptrdiff_t>(n);
    frames_.pop_back();
    return true;
  }
  bool on_key_part(std::string_view s, std::size_t, boost::system::error_code&) {
    key_.append(s);
    return true;
  }
  bool on_key(std::string_view s, std::size_t, boost::system::error_code&) {
    key_.append(s);
    return true;
  }
  bool on_string_part(std::string_view s, std::size_t, boost::system::error_code&) {
    if (is_text()) text.append(s);
    return true;
  }
  bool on_string(std::string_view s, std::size_t, boost::system::error_code&) {
    if (is_text()) {
      text.append(s);
      has_text = true;
    }
    scalar();
    return true;
  }
  bool on_number_part(std::string_view, boost::system::error_code&) { return true; }
  bool on_int64(std::int64_t, std::string_view, boost::system::error_code&) { return scalar(); }
  bool on_uint64(std::uint64_t, std::string_view, boost::system::error_code&) { return scalar(); }
  bool on_double(double, std::string_view, boost::system::error_code&) { return scalar(); }
  bool on_bool(bool b, boost::system::error_code&) {
    if (b && in(role::result) && key_ == "isError") is_error = true;
    return scalar();
  }
  bool on_null(boost::system::error_code&) { return scalar(); }
  bool on_comment_part(std::string_view, boost::system::error_code&) { return true; }
  bool on_comment(std::string_view, boost::system::error_code&) { return true; }

 private:
  enum class role { other, top, result, content, content_item, structured, messages };

  bool in(role r) const { return !frames_.empty() && frames_.back() == r; }

  // A text string of a content item, while no text was taken yet.
  bool is_text() const { return !has_text && in(role::content_item) && key_ == "text"; }

  role role_of_value(bool object) {
    if (frames_.empty()) {
      top_is_object = object;
      return role::top;
    }
    role r = role::other;
    if (in(role::top) && key_ == "result") {
      has_result = object;
      r = object ? role::result : role::other;
    } else if (in(role::result) && key_ == "content" && !object) {
      r = role::content;
    } else if (in(role::result) && key_ == "structuredContent" && object) {
      r = role::structured;
      has_structured = true;
    } else if (in(role::content) && object) {
      r = role::content_item;
    } else if (in(role::structured) && key_ == "messages" && !object) {
      r = role::messages;
    }
    value_seen();
    return r;
  }

  void open(role r) {
    frames_.push_back(r);
    key_.clear();
  }

  // A value ends the member it belongs to.
  bool scalar() {
    value_seen();
    return true;
  }

  void value_seen() {
    if (in(role::top) && key_ == "error") has_error = true;
    key_.clear();
  }

  std::vector<role> frames_;
  std::string key_;
};

// The JSON-RPC message with `id` in an answer: one JSON body, or the data of an SSE event.
std::string_view message_text(const http::response<http::string_body>& res, std::int64_t id) {
  std::string_view body = res.body();
  if (res[http::field::content_type].substr(0, 17) != "text/event-stream") return body;
  const std::string needle = fmt::format("\"id\":{}", id);
  std::size_t at = 0;
  while ((at = body.find("data:", at)) != std::string_view::npos) {
    at += 5;
    if (at < body.size() && body[at] == ' ') ++at;
    auto end = body.find('\n', at);
    std::string_view data = body.substr(at, end == std::string_view::npos ? end : end - at);
    if (!data.empty() && data.back() == '\r') data.remove_suffix(1);
    if (data.find(needle) != std::string_view::npos) return data;
    at = end == std::string_view::npos ? body.size() : end;
  }
  return {};
}

// What is wrong with an answer the quick check refused, read with the whole document built.
std::string describe_problem(std::string_view text, int limit) {
  unsigned char scratch[65536];
  json::monotonic_resource mr(scratch, sizeof scratch);
  boost::system::error_code ec;
  json::value message = json::parse(text, ec, &mr);
  if (ec || !message.is_object()) return "an answer that is not a JSON object";
  const auto& m = message.get_object();
  if (m.contains("error")) return "error " + json::serialize(m.at("error"));
  const json::value* result = m.if_contains("result");
  if (!result || !result->is_object()) return "no result";
  const auto& r = result->get_object();
  if (const auto* e = r.if_contains("isError"); e && e->is_bool() && e->get_bool()) {
    return "tool error " + json::serialize(r.at("content"));
  }
  int lines = 0;
  if (const auto* content = r.if_contains("content"); content && content->is_array()) {
    for (const auto& c : content->get_array()) {
      const auto* t = c.is_object() ? c.get_object().if_contains("text") : nullptr;
      if (!t || !t->is_string()) continue;
      lines = message_lines(t->get_string());
      break;
    }
  }
  if (lines != limit) return fmt::format("{} messages in the text", lines);
  if (const auto* sc = r.if_contains("structuredContent"); sc && sc->is_object()) {
    const auto* rows = sc->get_object().if_contains("messages");
    if (!rows || !rows->is_array() || rows->get_array().size() != static_cast<std::size_t>(limit)) {
      return "not the messages in structuredContent";
    }
  }
  return "an answer the quick check refused";
}

}  // namespace

std::string problem_of(const http::response<http::string_body>& res, std::int64_t id, int limit) {
  if (res.result_int() != 200) return fmt::format("HTTP {}", res.result_int());
  std::string_view text = message_text(res, id);
  if (text.empty()) return fmt::format("no answer with id {}", id);
  json::basic_parser<answer_facts> parser(json::parse_options{});
  boost::system::error_code ec;
  const std::size_t read = parser.write_some(false, text.data(), text.size(), ec);
  // The parser stops at the document's end: anything after it but white space is wrong.
  const bool whole = text.find_first_not_of(" \t\r\n", read) == std::string_view::npos;
  const answer_facts& f = parser.handler();
  const bool fine = !ec && whole && f.top_is_object && !f.has_error && f.has_result &&
                    !f.is_error && message_lines(f.text) == limit &&
                    (!f.has_structured || f.structured_rows == limit);
  return fine ? std::string() : describe_problem(text, limit);
}

}  // namespace pons::loadgen
