#include "pons/dashboard/answers.hpp"

#include <boost/json/serialize.hpp>

#include "pons/dashboard/page_headers.hpp"

namespace pons::dashboard {

namespace json = boost::json;

http::server_response answer(int status, std::string content_type, std::string body) {
  http::server_response r;
  r.status = status;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  r.headers = page_headers();
  return r;
}

http::server_response json_answer(int status, const json::object& body) {
  return answer(status, "application/json", json::serialize(body) + "\n");
}

http::server_response json_error(int status, std::string_view message) {
  return json_answer(status, json::object{{"error", message}});
}

http::server_response html_answer(int status, std::string html) {
  return answer(status, "text/html; charset=utf-8", std::move(html));
}

http::server_response from_verdict(const guard_verdict& v) {
  auto r = json_error(v.status, v.message);
  for (const auto& h : v.headers) r.headers.push_back(h);
  return r;
}

}  // namespace pons::dashboard
