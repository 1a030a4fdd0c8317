#pragma once
// Answers of the dashboard's routes, each with the security headers every page carries.

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "pons/dashboard/guard.hpp"
#include "pons/http/server.hpp"

namespace pons::dashboard {

/// A body of `content_type` with the page headers.
http::server_response answer(int status, std::string content_type, std::string body);

/// A JSON object, serialized, with the page headers.
http::server_response json_answer(int status, const boost::json::object& body);

/// {"error": message} with `status`.
http::server_response json_error(int status, std::string_view message);

/// An HTML page.
http::server_response html_answer(int status, std::string html);

/// The guard's refusal as JSON, with its WWW-Authenticate or Retry-After.
http::server_response from_verdict(const guard_verdict& v);

}  // namespace pons::dashboard
