#include "pons/mcp/json_text.hpp"

#include <boost/json/serialize.hpp>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <iterator>

namespace pons::mcp {

namespace {

// Eight bytes of text as one word (memcpy: no alignment assumed).
std::uint64_t load_word(const char* at) {
  std::uint64_t word = 0;
  std::memcpy(&word, at, sizeof word);
  return word;
}

// Whether any byte of `word` is a control character, a quote or a backslash: the bytes JSON
// escapes. Each test sets a byte's high bit where that byte matches (bytes of 0x80 and above
// never do), so the word is clean when no high bit is set.
bool needs_escape(std::uint64_t word) {
  constexpr std::uint64_t ones = 0x0101010101010101;
  constexpr std::uint64_t highs = 0x8080808080808080;
  const auto zero_byte = [](std::uint64_t w) { return (w - ones) & ~w & highs; };
  const std::uint64_t control = (word - ones * 0x20) & ~word & highs;
  return (control | zero_byte(word ^ (ones * '"')) | zero_byte(word ^ (ones * '\\'))) != 0;
}

template <class Integer>
void append_integer(std::string& out, Integer value) {
  char digits[24];
  const auto written = std::to_chars(std::begin(digits), std::end(digits), value);
  out.append(digits, written.ptr);
}

}  // namespace

void append_json_integer(std::string& out, std::int64_t value) {
  append_integer(out, value);
}

void append_json_string(std::string& out, std::string_view text) {
  // The escapes Boost.JSON writes (the short forms JSON has, \u00XX for the other control
  // characters, every other byte as it is), without a serializer set up for each of a page's
  // hundreds of short strings. Runs that need no escape are appended whole.
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  const char* run = text.data();
  const char* const end = text.data() + text.size();
  const char* at = run;
  for (;; ++at) {
    // Eight bytes at a time while none of them needs an escape (most text needs none).
    while (end - at >= 8 && !needs_escape(load_word(at))) at += 8;
    if (at == end) break;
    const auto c = static_cast<unsigned char>(*at);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(run, at);
    run = at + 1;
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
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\r':
        out += "\\r";
        break;
      default: {
        const char escaped[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf]};
        out.append(escaped, sizeof escaped);
      }
    }
  }
  out.append(run, end);
  out += '"';
}

void append_json(std::string& out, const boost::json::value& value) {
  switch (value.kind()) {
    case boost::json::kind::null:
      out += "null";
      return;
    case boost::json::kind::bool_:
      out += value.get_bool() ? "true" : "false";
      return;
    case boost::json::kind::int64:
      append_integer(out, value.get_int64());
      return;
    case boost::json::kind::uint64:
      append_integer(out, value.get_uint64());
      return;
    case boost::json::kind::double_:
      // Boost.JSON's shortest round-trip form, exponent and all.
      out += boost::json::serialize(value);
      return;
    case boost::json::kind::string:
      append_json_string(out, value.get_string());
      return;
    case boost::json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& item : value.get_array()) {
        if (!first) out += ',';
        first = false;
        append_json(out, item);
      }
      out += ']';
      return;
    }
    case boost::json::kind::object:
      append_json(out, value.get_object());
      return;
  }
}

void append_json(std::string& out, const boost::json::object& object) {
  out += '{';
  bool first = true;
  for (const auto& member : object) {
    if (!first) out += ',';
    first = false;
    append_json_string(out, member.key());
    out += ':';
    append_json(out, member.value());
  }
  out += '}';
}

}  // namespace pons::mcp
