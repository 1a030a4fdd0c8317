#include "pons/http/request_framing.hpp"

#include <boost/url/grammar/ci_string.hpp>
#include <boost/url/parse.hpp>

namespace pons::http {

namespace {

// ASCII case-insensitive equality (header names, schemes, codings).
bool iequals(std::string_view a, std::string_view b) {
  return boost::urls::grammar::ci_is_equal(a, b);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The codings of every Transfer-Encoding field in order; list elements may be empty (RFC 9110
// 5.6.1), and those are skipped.
std::vector<std::string_view> codings_of(const std::vector<std::string_view>& fields) {
  std::vector<std::string_view> out;
  for (auto field : fields) {
    for (;;) {
      auto comma = field.find(',');
      auto item = trim(field.substr(0, comma));
      if (!item.empty()) out.push_back(item);
      if (comma == std::string_view::npos) break;
      field.remove_prefix(comma + 1);
    }
  }
  return out;
}

// host = uri-host [ ":" port ], as in an authority without user information. An empty value is
// allowed (RFC 9110 7.2: a target without an authority).
bool valid_host(std::string_view host) {
  if (host.empty()) return true;
  auto parsed = boost::urls::parse_authority(host);
  return parsed && !parsed->has_userinfo();
}

}  // namespace

framing_verdict check_framing(const request_framing& f) {
  if (!f.transfer_codings.empty()) {
    // HTTP/1.0 has no transfer codings: the framing is faulty whatever else is there.
    if (f.version < 11) return {400, "transfer_encoding_in_http10"};
    // Both: the two could disagree on where the body ends.
    if (f.has_content_length) return {400, "transfer_encoding_with_content_length"};
    auto codings = codings_of(f.transfer_codings);
    // Without chunked at the end the body's length cannot be known.
    if (codings.empty() || !iequals(codings.back(), "chunked"))
      return {400, "transfer_encoding_not_chunked"};
    for (std::size_t i = 0; i + 1 < codings.size(); ++i) {
      if (iequals(codings[i], "chunked")) return {400, "chunked_twice"};
    }
    if (codings.size() > 1) return {501, "transfer_coding_not_implemented"};
  }
  if (f.hosts.size() > 1) return {400, "host_repeated"};
  if (f.hosts.empty() && f.version >= 11) return {400, "host_missing"};
  if (!f.hosts.empty() && !valid_host(f.hosts.front())) return {400, "host_invalid"};
  return {};
}

}  // namespace pons::http
