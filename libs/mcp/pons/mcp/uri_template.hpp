#pragma once
// Matching of simple RFC 6570 level-1 URI templates ("pons://conversations/{id}"). Pure.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pons::mcp {

/// Matches `uri` against `uri_template`; returns the variables when it matches. A variable
/// matches one or more characters other than '/', '?' and '#'.
std::optional<std::map<std::string, std::string>> match_uri_template(std::string_view uri_template,
                                                                     std::string_view uri);

/// The variable names of a template, in order.
std::vector<std::string> template_variables(std::string_view uri_template);

}  // namespace pons::mcp
