#include "pons/logging/log_field.hpp"

#include <cstdint>

namespace pons::logging {

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

bool is_plain_byte(unsigned char c) {
  return c > 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '=';
}

// Code points that are valid UTF-8 but must not reach a terminal or a log viewer as they are:
// C1 controls, line and paragraph separators, bidirectional marks and overrides, the BOM.
bool is_hidden_code_point(std::uint32_t cp) {
  return (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c || cp == 0x200e || cp == 0x200f ||
         (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff;
}

// Length of the valid UTF-8 sequence starting at s[0] and its code point; 0 when invalid
// (overlong forms, surrogates and values past U+10FFFF included).
std::size_t utf8_sequence(std::string_view s, std::uint32_t& cp) {
  auto b0 = static_cast<unsigned char>(s[0]);
  std::size_t len = 0;
  std::uint32_t min = 0;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    len = 2;
    cp = b0 & 0x1fu;
    min = 0x80;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    len = 3;
    cp = b0 & 0x0fu;
    min = 0x800;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    len = 4;
    cp = b0 & 0x07u;
    min = 0x10000;
  } else {
    return 0;
  }
  if (s.size() < len) return 0;
  for (std::size_t i = 1; i < len; ++i) {
    auto b = static_cast<unsigned char>(s[i]);
    if ((b & 0xc0u) != 0x80u) return 0;
    cp = (cp << 6) | (b & 0x3fu);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return len;
}

void append_hex_byte(std::string& out, unsigned char c) {
  out += "\\x";
  out += hex_digits[c >> 4];
  out += hex_digits[c & 0xf];
}

void append_code_point_escape(std::string& out, std::uint32_t cp) {
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) out += hex_digits[(cp >> shift) & 0xf];
}

}  // namespace

void append_log_quoted(std::string& out, std::string_view value, std::size_t max_bytes) {
  const bool cut = value.size() > max_bytes;
  if (cut) value = value.substr(0, max_bytes);
  out += '"';
  for (std::size_t i = 0; i < value.size();) {
    auto c = static_cast<unsigned char>(value[i]);
    if (c >= 0x20 && c < 0x7f) {
      if (c == '"' || c == '\\') out += '\\';
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    if (c < 0x80) {
      switch (c) {
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
          append_hex_byte(out, c);  // other C0 controls and DEL
      }
      ++i;
      continue;
    }
    std::uint32_t cp = 0;
    const std::size_t len = utf8_sequence(value.substr(i), cp);
    if (len == 0) {
      append_hex_byte(out, c);
      ++i;
    } else if (is_hidden_code_point(cp)) {
      append_code_point_escape(out, cp);
      i += len;
    } else {
      out.append(value.substr(i, len));
      i += len;
    }
  }
  if (cut) out += "...";
  out += '"';
}

void append_log_value(std::string& out, std::string_view value, std::size_t max_bytes) {
  bool plain = !value.empty() && value.size() <= max_bytes;
  for (std::size_t i = 0; plain && i < value.size(); ++i)
    plain = is_plain_byte(static_cast<unsigned char>(value[i]));
  if (plain) {
    out.append(value);
  } else {
    append_log_quoted(out, value, max_bytes);
  }
}

std::string log_value(std::string_view value, std::size_t max_bytes) {
  std::string out;
  append_log_value(out, value, max_bytes);
  return out;
}

std::string log_quoted(std::string_view value, std::size_t max_bytes) {
  std::string out;
  append_log_quoted(out, value, max_bytes);
  return out;
}

}  // namespace pons::logging
