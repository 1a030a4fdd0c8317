#include "pons/meta/redaction.hpp"

#include <algorithm>
#include <array>
#include <boost/json/serialize.hpp>
#include <cstdint>
#include <optional>

#include "pons/meta/json_reader.hpp"

namespace pons::meta {
namespace {

// `needle` is lowercase ASCII; ASCII case folding only (keys are ASCII, and this runs for every
// key of every payload, so no locale lookups).
bool contains_ci(std::string_view haystack, std::string_view needle) noexcept {
  const auto lower = [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  };
  const auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                              [&](char a, char b) { return lower(a) == b; });
  return it != haystack.end();
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// How many times a JSON document may be found inside a string inside a string... before the scan
// gives up and replaces the whole string (fail closed, see redact_embedded).
constexpr int max_embedded_depth = 8;

// The first character after JSON whitespace, or '\0'.
char first_significant(std::string_view s) {
  for (char c : s)
    if (!is_space(c)) return c;
  return '\0';
}

// A string that may hold a JSON document: an object or array, or a JSON string (a document
// encoded twice), possibly after whitespace.
bool looks_embedded(std::string_view s) {
  const char c = first_significant(s);
  return c == '{' || c == '[' || c == '"';
}

std::size_t redact_at(boost::json::value& value, int depth);

// A string holding a JSON document (Meta nests some, e.g. flow replies, and a sender may encode
// one twice) may carry secrets too. Past max_embedded_depth levels a string that may still hold
// one is replaced whole rather than stored unexamined.
std::size_t redact_embedded(boost::json::string& s, int depth) {
  if (!looks_embedded(s)) return 0;
  if (depth >= max_embedded_depth) {
    if (!may_hold_secret(s)) return 0;
    s = redacted_marker;
    return 1;
  }
  auto parsed = read_json(s, json_limits{s.size(), 64});
  if (!parsed) return 0;
  const std::size_t n = redact_at(*parsed, depth + 1);
  if (n > 0) s = boost::json::serialize(*parsed);
  return n;
}

std::size_t redact_at(boost::json::value& value, int depth) {
  std::size_t n = 0;
  if (auto* obj = value.if_object()) {
    for (auto& kv : *obj) {
      if (is_secret_key(kv.key())) {
        kv.value() = redacted_marker;
        ++n;
      } else {
        n += redact_at(kv.value(), depth);
      }
    }
  } else if (auto* arr = value.if_array()) {
    for (auto& v : *arr) n += redact_at(v, depth);
  } else if (auto* str = value.if_string()) {
    n += redact_embedded(*str, depth);
  }
  return n;
}

// Index just past the string token whose opening quote is at `open` (or text.size()).
std::size_t skip_string(std::string_view text, std::size_t open) {
  std::size_t i = open + 1;
  while (i < text.size() && text[i] != '"') i += text[i] == '\\' ? 2 : 1;
  return std::min(i + 1, text.size());
}

// Whether the string token opening at `open` and ending before `end` has its closing quote.
bool terminated(std::string_view text, std::size_t open, std::size_t end) {
  std::size_t i = open + 1;
  while (i < text.size() && text[i] != '"') i += text[i] == '\\' ? 2 : 1;
  return i < text.size() && i + 1 == end;
}

// Index just past the value starting at `i` (string, bracketed value or bare scalar).
std::size_t skip_value(std::string_view text, std::size_t i) {
  if (text[i] == '"') return skip_string(text, i);
  if (text[i] == '{' || text[i] == '[') {
    int depth = 0;
    while (i < text.size()) {
      const char c = text[i];
      if (c == '"') {
        i = skip_string(text, i);
        continue;
      }
      if (c == '{' || c == '[') ++depth;
      if ((c == '}' || c == ']') && --depth == 0) return i + 1;
      ++i;
    }
    return i;
  }
  while (i < text.size() && !is_space(text[i]) && text[i] != ',' && text[i] != '}' &&
         text[i] != ']')
    ++i;
  return i;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Four hex digits at `at`, or -1.
long hex4(std::string_view s, std::size_t at) {
  if (at + 4 > s.size()) return -1;
  long v = 0;
  for (std::size_t k = at; k < at + 4; ++k) {
    const char c = s[k];
    const int d = c >= '0' && c <= '9'   ? c - '0'
                  : c >= 'a' && c <= 'f' ? c - 'a' + 10
                  : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                         : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

// What the body of a string token (between its quotes) means. Lenient, since the text around it
// is not valid JSON anyway: a broken escape is kept as it is, a lone surrogate becomes U+FFFD.
std::string decode_string(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '\\' || i + 1 >= raw.size()) {
      out.push_back(raw[i]);
      continue;
    }
    const char e = raw[++i];
    switch (e) {
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'u': {
        long cp = hex4(raw, i + 1);
        if (cp < 0) {
          out.append("\\u");
          break;
        }
        i += 4;
        if (cp >= 0xD800 && cp < 0xDC00) {
          const long lo = raw.substr(i + 1, 2) == "\\u" ? hex4(raw, i + 3) : -1;
          if (lo >= 0xDC00 && lo < 0xE000) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            i += 6;
          } else {
            cp = 0xFFFD;
          }
        } else if (cp >= 0xDC00 && cp < 0xE000) {
          cp = 0xFFFD;
        }
        append_utf8(out, static_cast<std::uint32_t>(cp));
        break;
      }
      default:  // \" \\ \/ and anything unknown: the character itself
        out.push_back(e);
    }
  }
  return out;
}

std::string keep_invalid_at(std::string_view text, int depth);

// A string value of invalid text that may hold a JSON document with secrets (it must have escaped
// quotes to hold a key at all): that document is redacted and the string re-encoded. Nullopt
// when it stays as it was.
std::optional<std::string> mask_embedded(std::string_view raw, int depth) {
  if (raw.find('\\') == std::string_view::npos || !may_hold_secret(raw)) return std::nullopt;
  const std::string decoded = decode_string(raw);
  if (!looks_embedded(decoded)) return std::nullopt;
  if (depth >= max_embedded_depth)
    return boost::json::serialize(boost::json::value(redacted_marker));
  std::string inner = keep_invalid_at(decoded, depth + 1);
  if (inner == decoded) return std::nullopt;
  return boost::json::serialize(boost::json::value(inner));
}

std::string mask_lexically(std::string_view text, int depth) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '"') {
      out.push_back(text[i++]);
      continue;
    }
    const std::size_t start = i;
    const std::size_t end = skip_string(text, start);
    const bool closed = terminated(text, start, end);
    const std::string_view raw = text.substr(start + 1, end - start - (closed ? 2 : 1));
    i = end;
    // Only a string followed by ':' is a key.
    std::size_t j = i;
    while (j < text.size() && is_space(text[j])) ++j;
    if (j >= text.size() || text[j] != ':') {
      auto masked = closed ? mask_embedded(raw, depth) : std::nullopt;
      if (masked) {
        out.append(*masked);
      } else {
        out.append(text.substr(start, end - start));
      }
      continue;
    }
    out.append(text.substr(start, end - start));
    // Keys are compared by what they mean: "access_\u0074oken" is an access token.
    const bool secret = raw.find('\\') == std::string_view::npos
                            ? is_secret_key(raw)
                            : is_secret_key(decode_string(raw));
    if (!secret) continue;
    ++j;
    while (j < text.size() && is_space(text[j])) ++j;
    out.append(text.substr(i, j - i));
    if (j < text.size()) {
      out.push_back('"');
      out.append(redacted_marker);
      out.push_back('"');
      j = skip_value(text, j);
    }
    i = j;
  }
  return out;
}

std::string keep_invalid_at(std::string_view text, int depth) {
  auto parsed = read_json(text);
  if (!parsed) return mask_lexically(text, depth);
  if (redact_at(*parsed, depth) == 0) return std::string(text);
  return boost::json::serialize(*parsed);
}

}  // namespace

bool mentions_secret_word(std::string_view text) noexcept {
  static constexpr std::array<std::string_view, 10> words = {
      "token",         "secret",  "signature", "password", "passwd",
      "authorization", "api_key", "apikey",    "api-key",  "credential"};
  // This runs over every byte of every webhook body: one pass, and a word is compared only where
  // its first two letters (to, se, si, pa, au, ap or cr, in any case) appear. Letters as common as
  // 'a' and 'c' would otherwise start a comparison at most positions of a JSON body.
  constexpr std::size_t shortest = 5;  // "token"
  if (text.size() < shortest) return false;
  for (std::size_t i = 0; i + shortest <= text.size(); ++i) {
    const char c0 = static_cast<char>(text[i] | 0x20);
    const char c1 = static_cast<char>(text[i + 1] | 0x20);
    const bool candidate = (c0 == 't' && c1 == 'o') || (c0 == 's' && (c1 == 'e' || c1 == 'i')) ||
                           (c0 == 'p' && c1 == 'a') || (c0 == 'a' && (c1 == 'u' || c1 == 'p')) ||
                           (c0 == 'c' && c1 == 'r');
    if (!candidate) continue;
    for (auto w : words) {
      if (w[0] != c0 || w[1] != c1 || text.size() - i < w.size()) continue;
      if (contains_ci(text.substr(i, w.size()), w)) return true;
    }
  }
  return false;
}

bool is_secret_key(std::string_view key) noexcept {
  return mentions_secret_word(key);
}

bool may_hold_secret(std::string_view json) noexcept {
  // Of JSON's escapes only \uXXXX can spell a letter, '_' or '-' of a secret word (the others
  // stand for quotes, slashes and control characters), and an escape inside a document nested in
  // a string is written with one more backslash, so its bytes still hold "\u".
  return json.find("\\u") != std::string_view::npos || mentions_secret_word(json);
}

std::size_t redact(boost::json::value& value) {
  return redact_at(value, 0);
}

bool may_need_redaction(const boost::json::value& value) noexcept {
  if (const auto* obj = value.if_object()) {
    for (const auto& kv : *obj)
      if (is_secret_key(kv.key()) || may_need_redaction(kv.value())) return true;
  } else if (const auto* arr = value.if_array()) {
    for (const auto& v : *arr)
      if (may_need_redaction(v)) return true;
  } else if (const auto* str = value.if_string()) {
    return looks_embedded(*str);
  }
  return false;
}

boost::json::value redacted(const boost::json::value& value) {
  boost::json::value copy = value;
  redact(copy);
  return copy;
}

std::string redact_for_log(std::string_view text) {
  auto parsed = read_json(text);
  if (!parsed) return "<invalid JSON, " + std::to_string(text.size()) + " bytes>";
  redact(*parsed);
  return boost::json::serialize(*parsed);
}

std::string redact_keep_invalid(std::string_view text) {
  return keep_invalid_at(text, 0);
}

}  // namespace pons::meta
