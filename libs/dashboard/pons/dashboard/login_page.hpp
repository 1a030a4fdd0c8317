#pragma once
// The server-rendered pages of signing in and out: plain HTML forms, no script. Every dynamic
// string is escaped (html_escape.hpp). Pure.

#include <string>
#include <string_view>

namespace pons::dashboard {

/// The login form; `error` (may be empty) is shown above it.
std::string login_page(std::string_view error);

/// What a browser sees after signing in: who they are, and a logout form carrying the CSRF
/// token in a hidden field.
std::string signed_in_page(std::string_view email, std::string_view role,
                           std::string_view csrf_token);

}  // namespace pons::dashboard
