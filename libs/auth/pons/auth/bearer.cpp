#include "pons/auth/bearer.hpp"

#include <boost/url/grammar/ci_string.hpp>

namespace pons::auth {

namespace {

// ASCII case-insensitive equality (the scheme).
using boost::urls::grammar::ci_is_equal;

bool b64token_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

// b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
bool is_b64token(std::string_view t) {
  std::size_t i = 0;
  while (i < t.size() && b64token_char(t[i])) ++i;
  if (i == 0) return false;
  while (i < t.size() && t[i] == '=') ++i;
  return i == t.size();
}

}  // namespace

bearer_credentials parse_bearer(std::string_view field) {
  // The scheme ends at the first space; a field that is only a scheme has no credentials.
  const std::size_t space = field.find(' ');
  const std::string_view scheme = field.substr(0, space);
  if (!ci_is_equal(scheme, "Bearer")) {
    return {field.empty() ? bearer_status::missing : bearer_status::other_scheme, {}};
  }
  if (space == std::string_view::npos) return {bearer_status::malformed, {}};
  std::string_view token = field.substr(space);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  if (token.empty() || token.size() > max_bearer_token || !is_b64token(token)) {
    return {bearer_status::malformed, {}};
  }
  return {bearer_status::present, token};
}

bearer_credentials parse_authorization(std::span<const std::string_view> fields) {
  if (fields.empty()) return {bearer_status::missing, {}};
  if (fields.size() > 1) return {bearer_status::malformed, {}};
  return parse_bearer(fields.front());
}

}  // namespace pons::auth
