#include "pons/oauth/consent_page.hpp"

#include <fmt/format.h>

#include "pons/dashboard/html_escape.hpp"
#include "pons/dashboard/page_document.hpp"

namespace pons::oauth {

using dashboard::escape_html;

namespace {

std::string hidden(std::string_view name, std::string_view value) {
  return fmt::format("<input type=\"hidden\" name=\"{}\" value=\"{}\">\n", name,
                     escape_html(value));
}

}  // namespace

std::string consent_page(const consent_request& r) {
  std::string fields = hidden("csrf_token", r.csrf_token) + hidden("client_id", r.client_id) +
                       hidden("redirect_uri", r.redirect_uri) +
                       hidden("code_challenge", r.code_challenge) + hidden("state", r.state) +
                       hidden("resource", r.resource);
  const std::string account = r.account.empty() ? std::string("every account you can see")
                                                : fmt::format("account {}", escape_html(r.account));
  const std::string body = fmt::format(
      "<main class=\"sign-in consent\">\n<h1>Allow access?</h1>\n"
      "<p><strong class=\"client\">{}</strong> asks to use Pons as <strong>{}</strong>, on "
      "{}.</p>\n"
      "<p>After you answer, your browser goes back to <strong class=\"host\">{}</strong>.</p>\n"
      "<form method=\"post\" action=\"/oauth/authorize\">\n{}"
      "<p><label><input type=\"checkbox\" checked disabled> read conversations, messages, "
      "contacts and templates</label></p>\n"
      "{}"
      "<p class=\"row\"><button type=\"submit\" name=\"decision\" value=\"allow\" "
      "class=\"primary\">Allow</button> <button type=\"submit\" name=\"decision\" "
      "value=\"deny\">Deny</button></p>\n</form>\n"
      "<p class=\"meta\">You can revoke this access at any time on the API keys page.</p>\n"
      "</main>\n",
      escape_html(r.client_name), escape_html(r.user_email), account, escape_html(r.redirect_host),
      fields,
      r.send_requested ? "<p><label><input type=\"checkbox\" name=\"send\" value=\"yes\" checked> "
                         "send messages, media, templates and reactions, and mark messages "
                         "read</label></p>\n"
                       : "");
  return dashboard::page_document("Allow access", body);
}

std::string authorization_error_page(std::string_view message) {
  return dashboard::page_document(
      "Authorization failed",
      fmt::format("<main class=\"sign-in\">\n<h1>Authorization failed</h1>\n<p role=\"alert\">{}"
                  "</p>\n</main>\n",
                  escape_html(message)));
}

}  // namespace pons::oauth
