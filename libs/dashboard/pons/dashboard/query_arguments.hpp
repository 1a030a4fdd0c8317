#pragma once
// A tool's arguments read from a query string, typed by the tool's input schema: GET
// /api/v1/tools/get_messages?conversation_id=7&limit=50 becomes {"conversation_id": 7,
// "limit": 50}. Only scalar properties can be given this way; anything else needs a POST with
// a JSON body.

#include <boost/json/object.hpp>
#include <string>
#include <string_view>
#include <variant>

namespace pons::dashboard {

/// Why a query string could not become arguments: the parameter and what is wrong with it.
struct query_argument_error {
  std::string name;
  std::string why;
};

/// The arguments `query` gives a tool whose input schema is `schema`: integers, numbers and
/// booleans ("true"/"false") converted, strings percent-decoded. A parameter the schema does
/// not declare, given twice, or not convertible is an error.
std::variant<boost::json::object, query_argument_error> query_arguments(
    std::string_view query, const boost::json::object& schema);

}  // namespace pons::dashboard
