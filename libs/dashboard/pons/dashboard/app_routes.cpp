#include "pons/dashboard/app_routes.hpp"

#include <fmt/format.h>

#include "pons/dashboard/answers.hpp"
#include "pons/dashboard/assets.hpp"
#include "pons/dashboard/login_page.hpp"
#include "pons/store/user_repository.hpp"

namespace pons::dashboard {

namespace net = boost::asio;

bool public_asset(std::string_view name) {
  return name == "app.css" || name == "icon.svg";
}

namespace {

net::awaitable<http::server_response> app(const guard& access, http::server_request& req) {
  auto v = access.check(req);
  if (v.status == 401) {
    auto r = html_answer(303, "<p><a href=\"/login\">Sign in</a></p>\n");
    r.headers.emplace_back("Location", "/login");
    co_return r;
  }
  if (v.status != 0) co_return from_verdict(v);
  if (v.who.how != principal::via::session) {
    co_return json_error(403, "the pages are for signed-in users; a key uses /api/v1");
  }
  co_return html_answer(
      200, app_page(v.who.email, store::to_string(v.who.role), v.who.csrf_token, v.who.can_send));
}

net::awaitable<http::server_response> file(const guard& access, const asset& a,
                                           http::server_request& req) {
  if (!public_asset(a.name)) {
    auto v = access.check(req);
    if (v.status != 0) co_return from_verdict(v);
  }
  co_return answer(200, std::string(a.content_type), std::string(a.body));
}

}  // namespace

void add_app_routes(http::router& routes, const guard& access) {
  routes.add("GET", "/", [&access](http::server_request& r) { return app(access, r); });
  for (const auto& a : embedded_assets()) {
    routes.add("GET", fmt::format("/assets/{}", a.name),
               [&access, &a](http::server_request& r) { return file(access, a, r); });
  }
}

}  // namespace pons::dashboard
