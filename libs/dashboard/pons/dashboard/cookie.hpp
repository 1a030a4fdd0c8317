#pragma once
// The dashboard's session cookie: read from a request's Cookie fields, written with the
// attributes that keep it from scripts (HttpOnly), other sites (SameSite=Strict) and, behind
// TLS, from plain HTTP (Secure). Pure.

#include <optional>
#include <string>
#include <string_view>

#include "pons/http/server.hpp"

namespace pons::dashboard {

/// The cookie's name.
inline constexpr std::string_view session_cookie_name = "pons_session";

/// The value of the cookie `name` in the request's Cookie fields; nullopt when absent.
std::optional<std::string> cookie_value(const http::server_request& req, std::string_view name);

/// A Set-Cookie value that gives the browser session `secret` for `max_age_s` seconds.
std::string session_cookie(std::string_view secret, long long max_age_s, bool secure);

/// A Set-Cookie value that makes the browser forget the session cookie.
std::string cleared_session_cookie(bool secure);

}  // namespace pons::dashboard
