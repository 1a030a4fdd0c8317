#include "control_answer.hpp"

#include <boost/json/serialize.hpp>

namespace pons::fake_graph {

namespace json = boost::json;

std::string text_of(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? std::string(it->value().get_string()) : "";
}

http_response answer(int status, const json::value& body) {
  http_response r;
  r.status = status;
  r.body = json::serialize(body);
  return r;
}

http_response invalid_parameter(const std::string& details, const std::string& trace_id) {
  return answer(400, meta_error_body(100, "Invalid parameter", details, trace_id));
}

}  // namespace pons::fake_graph
