#include "pons/dashboard/json_body.hpp"

#include <boost/json/parse.hpp>

namespace pons::dashboard {

namespace json = boost::json;

std::optional<json::object> json_object_body(const http::server_request& req) {
  boost::system::error_code ec;
  auto v = json::parse(req.body, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.get_object());
}

std::string text_field(const json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

json::value text_or_null(const std::string& text) {
  if (text.empty()) return nullptr;
  return json::value(text);
}

}  // namespace pons::dashboard
