#include "pons/dashboard/page_document.hpp"

#include <fmt/format.h>

#include "pons/dashboard/html_escape.hpp"

namespace pons::dashboard {

std::string page_document(std::string_view title, std::string_view body, std::string_view head,
                          std::string_view body_attributes) {
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>{} - Pons</title>\n"
      "<link rel=\"icon\" href=\"/assets/icon.svg\" type=\"image/svg+xml\">\n"
      "<link rel=\"stylesheet\" href=\"/assets/app.css\">\n{}</head>\n<body{}>\n{}</body>\n"
      "</html>\n",
      escape_html(title), head, body_attributes, body);
}

}  // namespace pons::dashboard
