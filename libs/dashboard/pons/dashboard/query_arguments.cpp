#include "pons/dashboard/query_arguments.hpp"

#include <boost/url/encoding_opts.hpp>
#include <boost/url/parse_query.hpp>
#include <charconv>
#include <cmath>
#include <optional>
#include <string>

namespace pons::dashboard {

namespace json = boost::json;

namespace {

std::string_view declared_type(const json::object& schema, std::string_view name) {
  const auto* props = schema.if_contains("properties");
  const auto* prop = props && props->is_object() ? props->get_object().if_contains(name) : nullptr;
  const auto* type = prop && prop->is_object() ? prop->get_object().if_contains("type") : nullptr;
  return type && type->is_string() ? std::string_view(type->get_string()) : std::string_view();
}

bool declared(const json::object& schema, std::string_view name) {
  const auto* props = schema.if_contains("properties");
  return props && props->is_object() && props->get_object().contains(name);
}

// The value of one parameter as the schema's type wants it; nullopt when it does not convert.
std::optional<json::value> typed(std::string_view type, const std::string& text) {
  if (type == "string" || type.empty()) return json::value(text);
  if (type == "integer") {
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return {};
    return json::value(n);
  }
  if (type == "number") {
    double d = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty() || !std::isfinite(d))
      return {};
    return json::value(d);
  }
  if (type == "boolean") {
    if (text == "true") return json::value(true);
    if (text == "false") return json::value(false);
    return {};
  }
  return {};  // objects and arrays do not fit in a query string
}

}  // namespace

std::variant<json::object, query_argument_error> query_arguments(std::string_view query,
                                                                 const json::object& schema) {
  json::object args;
  if (query.empty()) return args;
  auto params = boost::urls::parse_query(query);
  if (!params) return query_argument_error{"query", "is not a valid query string"};
  // Form encoding, as browsers send it: '+' is a space.
  boost::urls::encoding_opts form;
  form.space_as_plus = true;
  for (auto p : *params) {
    std::string name = p.key.decode(form);
    std::string value = p.has_value ? p.value.decode(form) : std::string();
    if (!declared(schema, name))
      return query_argument_error{name, "is not an argument of this tool"};
    if (args.contains(name)) return query_argument_error{name, "is given more than once"};
    const auto type = declared_type(schema, name);
    auto v = typed(type, value);
    if (!v) {
      return query_argument_error{
          name, type == "integer"  ? "must be a whole number"
                : type == "number" ? "must be a number"
                : type == "boolean"
                    ? "must be true or false"
                    : "cannot be given in a query string: send a POST with a JSON body"};
    }
    args.emplace(name, std::move(*v));
  }
  return args;
}

}  // namespace pons::dashboard
