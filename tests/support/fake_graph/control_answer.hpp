#pragma once
// What the fake's Graph endpoints and control routes share to read a request and answer it.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <string_view>

#include "fake_graph.hpp"

namespace pons::fake_graph {

/// The string at `key` of `o`, or "" when it is missing or not a string.
std::string text_of(const boost::json::object& o, std::string_view key);

/// An answer with this HTTP status and JSON body.
http_response answer(int status, const boost::json::value& body);

/// Meta's code 100 "Invalid parameter" refusal (HTTP 400) with these details.
http_response invalid_parameter(const std::string& details, const std::string& trace_id);

}  // namespace pons::fake_graph
