#pragma once
// Reading the small JSON bodies of the dashboard's routes and writing optional fields.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "pons/http/server.hpp"

namespace pons::dashboard {

/// The request's body as a JSON object; nullopt when it is not one.
std::optional<boost::json::object> json_object_body(const http::server_request& req);

/// The string field `name` of `o`; "" when absent or not a string.
std::string text_field(const boost::json::object& o, std::string_view name);

/// null for "", else the text: how the API writes a field that may be unset.
boost::json::value text_or_null(const std::string& text);

}  // namespace pons::dashboard
