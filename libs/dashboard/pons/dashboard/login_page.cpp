#include "pons/dashboard/login_page.hpp"

#include <fmt/format.h>

#include "pons/dashboard/html_escape.hpp"
#include "pons/dashboard/page_document.hpp"

namespace pons::dashboard {

std::string return_path(std::string_view next) {
  constexpr std::string_view consent = "/oauth/authorize?";
  if (!next.starts_with(consent) || next.size() > 4096) return {};
  for (unsigned char c : next) {
    if (c < 0x21 || c == 0x7F || c == '\\') return {};
  }
  return std::string(next);
}

std::string login_page(std::string_view error, std::string_view next) {
  std::string body;
  if (!error.empty()) body += fmt::format("<p role=\"alert\">{}</p>\n", escape_html(error));
  body += "<form method=\"post\" action=\"/login\">\n";
  if (!next.empty()) {
    body += fmt::format("<input type=\"hidden\" name=\"next\" value=\"{}\">\n", escape_html(next));
  }
  body +=
      "<p><label>Email <input type=\"email\" name=\"email\" autocomplete=\"username\" required "
      "autofocus></label></p>\n"
      "<p><label>Password <input type=\"password\" name=\"password\" "
      "autocomplete=\"current-password\" required></label></p>\n"
      "<p><button type=\"submit\">Sign in</button></p>\n</form>\n";
  return page_document("Sign in", "<main class=\"sign-in\">\n<h1>Pons</h1>\n" + body + "</main>\n");
}

std::string app_page(std::string_view email, std::string_view role, std::string_view csrf_token,
                     bool can_send) {
  // The script reads who is signed in and the CSRF token from the body's data attributes: no
  // inline script, and nothing the page shows is put there unescaped.
  const std::string attributes = fmt::format(
      " data-email=\"{}\" data-role=\"{}\" data-csrf=\"{}\" data-can-send=\"{}\"",
      escape_html(email), escape_html(role), escape_html(csrf_token), can_send ? "true" : "false");
  const std::string body = fmt::format(
      "<header class=\"top\">\n<a class=\"brand\" href=\"#/\">Pons</a>\n"
      "<nav aria-label=\"Pages\"><a href=\"#/\">Inbox</a> <a href=\"#/templates\">Templates</a>{}"
      "</nav>\n"
      "<span class=\"who\">{} ({})</span>\n"
      "<form method=\"post\" action=\"/logout\">\n"
      "<input type=\"hidden\" name=\"csrf_token\" value=\"{}\">\n"
      "<button type=\"submit\">Sign out</button>\n</form>\n</header>\n"
      "<main id=\"app\"><p class=\"loading\">Loading...</p></main>\n"
      "<noscript><p>The inbox needs JavaScript; the API under /api/v1 works without it.</p>"
      "</noscript>\n",
      // Forwarding and keys are an admin's and an owner's, users an owner's: a page offers only
      // what its reader may use.
      role == "member" ? " <a href=\"#/accounts\">Accounts</a>"
      : role == "admin"
          ? " <a href=\"#/accounts\">Accounts</a> <a href=\"#/forwarding\">Forwarding</a> "
            "<a href=\"#/webhooks\">Webhook log</a> <a href=\"#/keys\">API keys</a>"
          : " <a href=\"#/accounts\">Accounts</a> <a href=\"#/forwarding\">Forwarding</a> "
            "<a href=\"#/webhooks\">Webhook log</a> <a href=\"#/keys\">API keys</a> "
            "<a href=\"#/users\">Users</a>",
      escape_html(email), escape_html(role), escape_html(csrf_token));
  return page_document("Inbox", body, "<script src=\"/assets/app.js\" defer></script>\n",
                       attributes);
}

}  // namespace pons::dashboard
