#include "pons/dashboard/login_page.hpp"

#include <fmt/format.h>

#include "pons/dashboard/html_escape.hpp"

namespace pons::dashboard {

namespace {

std::string document(std::string_view title, std::string_view body) {
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>{} - Pons</title>\n</head>\n<body>\n<main>\n<h1>Pons</h1>\n{}</main>\n</body>\n"
      "</html>\n",
      escape_html(title), body);
}

}  // namespace

std::string login_page(std::string_view error) {
  std::string body;
  if (!error.empty()) body += fmt::format("<p role=\"alert\">{}</p>\n", escape_html(error));
  body +=
      "<form method=\"post\" action=\"/login\">\n"
      "<p><label>Email <input type=\"email\" name=\"email\" autocomplete=\"username\" required "
      "autofocus></label></p>\n"
      "<p><label>Password <input type=\"password\" name=\"password\" "
      "autocomplete=\"current-password\" required></label></p>\n"
      "<p><button type=\"submit\">Sign in</button></p>\n</form>\n";
  return document("Sign in", body);
}

std::string signed_in_page(std::string_view email, std::string_view role,
                           std::string_view csrf_token) {
  return document("Signed in",
                  fmt::format("<p>Signed in as {} ({}).</p>\n"
                              "<form method=\"post\" action=\"/logout\">\n"
                              "<input type=\"hidden\" name=\"csrf_token\" value=\"{}\">\n"
                              "<p><button type=\"submit\">Sign out</button></p>\n</form>\n",
                              escape_html(email), escape_html(role), escape_html(csrf_token)));
}

}  // namespace pons::dashboard
