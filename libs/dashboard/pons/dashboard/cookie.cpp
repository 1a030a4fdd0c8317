#include "pons/dashboard/cookie.hpp"

#include <fmt/format.h>

#include <boost/url/grammar/ci_string.hpp>

namespace pons::dashboard {

namespace {

// ASCII case-insensitive equality (header names).
using boost::urls::grammar::ci_is_equal;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string attributes(bool secure) {
  return secure ? "; Path=/; HttpOnly; SameSite=Strict; Secure"
                : "; Path=/; HttpOnly; SameSite=Strict";
}

}  // namespace

std::optional<std::string> cookie_value(const http::server_request& req, std::string_view name) {
  for (const auto& [field, value] : req.headers) {
    if (!ci_is_equal(field, "Cookie")) continue;
    std::string_view rest = value;
    while (!rest.empty()) {
      auto semi = rest.find(';');
      auto pair = trim(rest.substr(0, semi));
      rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
      auto eq = pair.find('=');
      if (eq == std::string_view::npos) continue;
      if (trim(pair.substr(0, eq)) != name) continue;
      auto v = trim(pair.substr(eq + 1));
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
      return std::string(v);
    }
  }
  return std::nullopt;
}

std::string session_cookie(std::string_view secret, long long max_age_s, bool secure) {
  return fmt::format("{}={}; Max-Age={}{}", session_cookie_name, secret, max_age_s,
                     attributes(secure));
}

std::string cleared_session_cookie(bool secure) {
  return fmt::format("{}=; Max-Age=0{}", session_cookie_name, attributes(secure));
}

}  // namespace pons::dashboard
