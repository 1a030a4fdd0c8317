#include "core/meta/redaction.hpp"

#include <algorithm>
#include <array>
#include <boost/json/serialize.hpp>

#include "core/meta/json_reader.hpp"

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

// A string holding a JSON document (Meta nests some, e.g. flow replies) may carry secrets too.
std::size_t redact_embedded(boost::json::string& s) {
  if (s.empty() || (s.front() != '{' && s.front() != '[')) return 0;
  auto parsed = read_json(s, json_limits{s.size(), 64});
  if (!parsed) return 0;
  const std::size_t n = redact(*parsed);
  if (n > 0) s = boost::json::serialize(*parsed);
  return n;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Index just past the string token whose opening quote is at `open` (or text.size()).
std::size_t skip_string(std::string_view text, std::size_t open) {
  std::size_t i = open + 1;
  while (i < text.size() && text[i] != '"') i += text[i] == '\\' ? 2 : 1;
  return std::min(i + 1, text.size());
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

std::string mask_lexically(std::string_view text) {
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
    out.append(text.substr(start, end - start));
    i = end;
    // Only a string followed by ':' is a key.
    std::size_t j = i;
    while (j < text.size() && is_space(text[j])) ++j;
    if (j >= text.size() || text[j] != ':') continue;
    const std::string_view key = text.substr(start + 1, end - start - 2);
    if (!is_secret_key(key)) continue;
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

}  // namespace

bool mentions_secret_word(std::string_view text) noexcept {
  static constexpr std::array<std::string_view, 4> words = {"token", "secret", "signature",
                                                            "password"};
  // This runs over every key of every webhook: one pass, and a word is compared only where its
  // first letter (t, s or p, in any case) appears.
  constexpr std::size_t shortest = 5;  // "token"
  if (text.size() < shortest) return false;
  for (std::size_t i = 0; i + shortest <= text.size(); ++i) {
    const char c = static_cast<char>(text[i] | 0x20);
    if (c != 't' && c != 's' && c != 'p') continue;
    for (auto w : words) {
      if (w[0] != c || text.size() - i < w.size()) continue;
      if (contains_ci(text.substr(i, w.size()), w)) return true;
    }
  }
  return false;
}

bool is_secret_key(std::string_view key) noexcept {
  return mentions_secret_word(key);
}

bool may_hold_secret(std::string_view json) noexcept {
  return json.find("\\u") != std::string_view::npos || mentions_secret_word(json);
}

std::size_t redact(boost::json::value& value) {
  std::size_t n = 0;
  if (auto* obj = value.if_object()) {
    for (auto& kv : *obj) {
      if (is_secret_key(kv.key())) {
        kv.value() = redacted_marker;
        ++n;
      } else {
        n += redact(kv.value());
      }
    }
  } else if (auto* arr = value.if_array()) {
    for (auto& v : *arr) n += redact(v);
  } else if (auto* str = value.if_string()) {
    n += redact_embedded(*str);
  }
  return n;
}

bool may_need_redaction(const boost::json::value& value) noexcept {
  if (const auto* obj = value.if_object()) {
    for (const auto& kv : *obj)
      if (is_secret_key(kv.key()) || may_need_redaction(kv.value())) return true;
  } else if (const auto* arr = value.if_array()) {
    for (const auto& v : *arr)
      if (may_need_redaction(v)) return true;
  } else if (const auto* str = value.if_string()) {
    return !str->empty() && (str->front() == '{' || str->front() == '[');
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
  auto parsed = read_json(text);
  if (!parsed) return mask_lexically(text);
  if (redact(*parsed) == 0) return std::string(text);
  return boost::json::serialize(*parsed);
}

}  // namespace pons::meta
