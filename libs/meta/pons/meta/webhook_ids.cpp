#include "pons/meta/webhook_ids.hpp"

#include <string.h>

#include <algorithm>

namespace pons::meta {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// memmem: glibc's is a two-way search, several GB/s where std::string_view::find stops at every
// quote of a JSON text.
std::size_t find_bytes(std::string_view haystack, std::string_view needle, std::size_t from) {
  if (from >= haystack.size()) return std::string_view::npos;
  const void* at =
      ::memmem(haystack.data() + from, haystack.size() - from, needle.data(), needle.size());
  return at ? static_cast<std::size_t>(static_cast<const char*>(at) - haystack.data())
            : std::string_view::npos;
}

// The canonical id that is the value of the key ending just before `i` (`"key"` then optional
// whitespace, ':', whitespace, then digits in quotes or bare), or empty.
std::string_view value_after_key(std::string_view raw, std::size_t i) {
  while (i < raw.size() && is_space(raw[i])) ++i;
  if (i >= raw.size() || raw[i] != ':') return {};
  ++i;
  while (i < raw.size() && is_space(raw[i])) ++i;
  const bool quoted = i < raw.size() && raw[i] == '"';
  if (quoted) ++i;
  const std::size_t start = i;
  while (i < raw.size() && is_digit(raw[i])) ++i;
  if (i == start || i >= raw.size()) return {};
  // A quoted id ends at its quote; a bare one at what ends a JSON number that is an integer.
  const char end = raw[i];
  if (quoted ? end != '"' : (end == '.' || end == 'e' || end == 'E')) return {};
  return raw.substr(start, i - start);
}

}  // namespace

bool is_canonical_id(std::string_view id) noexcept {
  return !id.empty() && std::all_of(id.begin(), id.end(), is_digit);
}

std::optional<std::string> canonical_id(const boost::json::value* v) {
  if (v == nullptr) return std::nullopt;
  if (const auto* s = v->if_string()) {
    if (!is_canonical_id(*s)) return std::nullopt;
    return std::string(*s);
  }
  if (const auto* i = v->if_int64()) {
    if (*i < 0) return std::nullopt;
    return std::to_string(*i);
  }
  if (const auto* u = v->if_uint64()) return std::to_string(*u);
  return std::nullopt;
}

id_hints find_id_hints(std::string_view raw) noexcept {
  id_hints out;
  constexpr std::string_view number_key = "\"phone_number_id\"";
  if (auto at = find_bytes(raw, number_key, 0); at != std::string_view::npos)
    out.phone_number_id = value_after_key(raw, at + number_key.size());
  constexpr std::string_view entry_key = "\"entry\"";
  constexpr std::string_view id_key = "\"id\"";
  if (auto entry = find_bytes(raw, entry_key, 0); entry != std::string_view::npos)
    if (auto at = find_bytes(raw, id_key, entry + entry_key.size()); at != std::string_view::npos)
      out.entry_id = value_after_key(raw, at + id_key.size());
  return out;
}

}  // namespace pons::meta
