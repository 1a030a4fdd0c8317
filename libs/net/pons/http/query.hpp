#pragma once
// Reading a request's query string.

#include <optional>
#include <string>
#include <string_view>

namespace pons::http {

/// Query-string lookup: the percent-decoded value of `name` ('+' is a space), or nullopt. A
/// malformed query is still read: stray characters are taken literally.
std::optional<std::string> query_param(std::string_view query, std::string_view name);

}  // namespace pons::http
