#include "pons/http/query.hpp"

#include <fmt/format.h>

#include <boost/url/encoding_opts.hpp>
#include <boost/url/grammar/hexdig_chars.hpp>
#include <boost/url/parse_query.hpp>
#include <boost/url/rfc/pchars.hpp>

namespace pons::http {

namespace {

// Meta's handshake query is well formed. Anything else is still read as before: a '%' that
// starts no escape, or a character a query may not hold, is taken literally (escaped here so
// that Boost.URL accepts the query and decodes it back).
std::string escape_strays(std::string_view query) {
  static constexpr auto query_chars = boost::urls::pchars + '/' + '?';
  auto is_hex = [&](std::size_t i) {
    return i < query.size() && boost::urls::grammar::hexdig_chars(query[i]);
  };
  std::string out;
  out.reserve(query.size() + 8);
  for (std::size_t i = 0; i < query.size(); ++i) {
    const char c = query[i];
    if (c == '%' && is_hex(i + 1) && is_hex(i + 2)) {
      out.append(query.substr(i, 3));
      i += 2;
    } else if (c != '%' && query_chars(c)) {
      out.push_back(c);
    } else {
      out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    }
  }
  return out;
}

}  // namespace

std::optional<std::string> query_param(std::string_view query, std::string_view name) {
  if (query.empty()) return std::nullopt;
  std::string repaired;
  auto params = boost::urls::parse_query(query);
  if (!params) {
    repaired = escape_strays(query);
    params = boost::urls::parse_query(repaired);
    if (!params) return std::nullopt;
  }
  // Form encoding: '+' is a space, in keys and values.
  boost::urls::encoding_opts form;
  form.space_as_plus = true;
  for (auto p : *params) {
    if (p.key.decode(form) != name) continue;
    return p.has_value ? p.value.decode(form) : std::string{};
  }
  return std::nullopt;
}

}  // namespace pons::http
