#pragma once
// The frame of every dashboard page: doctype, title, the icon and the style sheet. Pure.

#include <string>
#include <string_view>

namespace pons::dashboard {

/// A whole page: `title` is escaped here; `body` and `head` are markup the caller escaped.
std::string page_document(std::string_view title, std::string_view body, std::string_view head = {},
                          std::string_view body_attributes = {});

}  // namespace pons::dashboard
