#pragma once
// The server-rendered pages: the sign-in form (no script) and the app's frame. Every dynamic
// string is escaped (html_escape.hpp). Pure.

#include <string>
#include <string_view>

namespace pons::dashboard {

/// The login form; `error` (may be empty) is shown above it, and `next` (may be empty) is where
/// a successful sign-in goes on to.
std::string login_page(std::string_view error, std::string_view next = {});

/// `next` when a sign-in may go on to it: a path of this site's OAuth consent page
/// (/oauth/authorize?...) without control characters; "" for anything else, so the form can
/// never send a visitor to another site.
std::string return_path(std::string_view next);

/// The app: a header with who is signed in and a logout form (the CSRF token in a hidden
/// field), and the place app.js draws the inbox and the threads in.
std::string app_page(std::string_view email, std::string_view role, std::string_view csrf_token,
                     bool can_send);

}  // namespace pons::dashboard
