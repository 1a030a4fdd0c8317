#include "pons/mcp/uri_template.hpp"

namespace pons::mcp {

namespace {

// Match the template from position `t` against the uri from position `u`, recursively so a
// variable may stop at any later literal occurrence.
bool match_from(std::string_view tpl, std::string_view uri,
                std::map<std::string, std::string>& vars) {
  if (tpl.empty()) return uri.empty();
  if (tpl.front() != '{') {
    std::size_t brace = tpl.find('{');
    std::string_view literal = tpl.substr(0, brace);
    if (uri.substr(0, literal.size()) != literal) return false;
    return match_from(tpl.substr(literal.size()), uri.substr(literal.size()), vars);
  }
  std::size_t close = tpl.find('}');
  if (close == std::string_view::npos) return false;
  std::string name(tpl.substr(1, close - 1));
  std::string_view rest = tpl.substr(close + 1);
  for (std::size_t len = 1; len <= uri.size(); ++len) {
    char c = uri[len - 1];
    if (c == '/' || c == '?' || c == '#') break;
    if (match_from(rest, uri.substr(len), vars)) {
      vars[name] = std::string(uri.substr(0, len));
      return true;
    }
  }
  return false;
}

}  // namespace

std::optional<std::map<std::string, std::string>> match_uri_template(std::string_view uri_template,
                                                                     std::string_view uri) {
  std::map<std::string, std::string> vars;
  if (!match_from(uri_template, uri, vars)) return std::nullopt;
  return vars;
}

std::vector<std::string> template_variables(std::string_view uri_template) {
  std::vector<std::string> names;
  std::size_t pos = 0;
  while ((pos = uri_template.find('{', pos)) != std::string_view::npos) {
    std::size_t close = uri_template.find('}', pos);
    if (close == std::string_view::npos) break;
    names.emplace_back(uri_template.substr(pos + 1, close - pos - 1));
    pos = close + 1;
  }
  return names;
}

}  // namespace pons::mcp
