#include "pons/mcp/registry.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <boost/json/parse.hpp>

namespace pons::mcp {

namespace json = boost::json;

tool_result tool_result::text(std::string text) {
  tool_result r;
  r.content.push_back(json::object{{"type", "text"}, {"text", std::move(text)}});
  return r;
}

tool_result tool_result::structured_result(json::object data, std::string text) {
  tool_result r = tool_result::text(std::move(text));
  r.structured = std::move(data);
  return r;
}

tool_result tool_result::written_result(std::string structured_json, std::string text) {
  tool_result r = tool_result::text(std::move(text));
  r.structured_json = std::move(structured_json);
  return r;
}

std::optional<json::object> tool_result::structured_object() const {
  if (structured) return structured;
  if (structured_json.empty()) return std::nullopt;
  // As leniently as a built object would have been serialised: bytes that are not UTF-8 pass.
  json::parse_options lenient;
  lenient.allow_invalid_utf8 = true;
  boost::system::error_code ec;
  json::value v = json::parse(structured_json, ec, {}, lenient);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.get_object());
}

tool_result tool_result::error(std::string text) {
  tool_result r = tool_result::text(std::move(text));
  r.is_error = true;
  return r;
}

tool_result tool_result::invalid_argument(std::string_view field, std::string_view why) {
  tool_result r;
  r.protocol_error = invalid_params(fmt::format("arguments.{}", field), why);
  return r;
}

resource_result resource_result::text(std::string uri, std::string mime_type, std::string text) {
  resource_result r;
  r.contents.push_back(json::object{
      {"uri", std::move(uri)}, {"mimeType", std::move(mime_type)}, {"text", std::move(text)}});
  return r;
}

resource_result resource_result::not_found(std::string_view uri) {
  resource_result r;
  r.error = rpc_error{rpc_code::resource_not_found,
                      fmt::format("Resource not found: {} (resources/list and "
                                  "resources/templates/list show what exists)",
                                  uri),
                      json::object{{"uri", uri}}};
  return r;
}

void registry::add_tool(tool_def tool) {
  auto it = std::find_if(tools_.begin(), tools_.end(),
                         [&](const tool_def& t) { return t.name == tool.name; });
  if (it != tools_.end()) {
    *it = std::move(tool);
  } else {
    tools_.push_back(std::move(tool));
  }
}

void registry::add_resource(resource_def resource) {
  resources_.push_back(std::move(resource));
}

void registry::add_resource_template(resource_template_def tpl) {
  templates_.push_back(std::move(tpl));
}

void registry::add_prompt(prompt_def prompt) {
  prompts_.push_back(std::move(prompt));
}

void registry::set_resource_lister(resource_lister lister) {
  lister_ = std::move(lister);
}

std::vector<resource_info> registry::list_resources(const account_scope& account) const {
  std::vector<resource_info> out;
  for (const auto& r : resources_) {
    out.push_back({r.uri, r.name, r.title, r.description, r.mime_type});
  }
  if (lister_) {
    auto more = lister_(account);
    out.insert(out.end(), std::make_move_iterator(more.begin()),
               std::make_move_iterator(more.end()));
  }
  return out;
}

const tool_def* registry::find_tool(std::string_view name) const {
  for (const auto& t : tools_) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

const prompt_def* registry::find_prompt(std::string_view name) const {
  for (const auto& p : prompts_) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

const resource_def* registry::find_resource(std::string_view uri) const {
  for (const auto& r : resources_) {
    if (r.uri == uri) return &r;
  }
  return nullptr;
}

}  // namespace pons::mcp
