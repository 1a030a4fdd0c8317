#pragma once
// The consent page of the OAuth authorization endpoint: which client asks, where it will be
// sent back to, what it may do and on which account, with Allow and Deny. Every string is
// escaped; the request's parameters travel in hidden fields with the session's CSRF token.
// Pure.

#include <string>
#include <string_view>
#include <vector>

namespace pons::oauth {

/// What the page shows and carries.
struct consent_request {
  std::string client_id;
  std::string client_name;
  std::string redirect_uri;
  std::string redirect_host;
  std::string code_challenge;
  std::string state;
  std::string resource;
  bool send_requested = true;  // the client asked for the send scope: offered, ticked
  std::string user_email;
  std::string account;  // the user's one account; "" = every account
  std::string csrf_token;
};

/// The consent page for `r`.
std::string consent_page(const consent_request& r);

/// A page saying why an authorization request cannot go on (an unknown client or a redirect
/// URI it did not register: nothing may be sent to such a URI).
std::string authorization_error_page(std::string_view message);

}  // namespace pons::oauth
