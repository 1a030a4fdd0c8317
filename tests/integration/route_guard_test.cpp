// Every route pons-webhook serves, read from its own start-up log line, refuses a request that
// carries no session and no key (or a forged one): 401, a redirect to the sign-in form for the
// app, 404 for Meta's webhook without Meta's signature. Apart from the few that are public by
// design, each with its reason below.
#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "support/dashboard_session.hpp"

using pons::test::http_request;
using pons::test::webhook_process;

namespace {

// The routes a listener reported in its `event=routes` log line.
std::vector<std::pair<std::string, std::string>> logged_routes(const std::string& log) {
  const std::string marker = "event=routes list=\"";
  auto at = log.find(marker);
  if (at == std::string::npos) return {};
  at += marker.size();
  const std::string list = log.substr(at, log.find('"', at) - at);
  std::vector<std::pair<std::string, std::string>> out;
  for (std::size_t start = 0; start < list.size();) {
    auto end = list.find(", ", start);
    if (end == std::string::npos) end = list.size();
    const std::string route = list.substr(start, end - start);
    const auto space = route.find(' ');
    out.emplace_back(route.substr(0, space), route.substr(space + 1));
    start = end + 2;
  }
  return out;
}

// Public on purpose, and why.
const std::map<std::string, std::string> public_routes{
    {"GET /health", "liveness for supervisors; no data beyond up and writable"},
    {"GET /metrics", "Prometheus counters; no message or secret (docs: keep it internal)"},
    {"GET /login", "the sign-in form"},
    {"POST /login", "signing in"},
    {"GET /assets/app.css", "the sign-in page's style sheet"},
    {"GET /assets/icon.svg", "the sign-in page's icon"},
    {"GET /.well-known/oauth-protected-resource/mcp", "RFC 9728 metadata, public by definition"},
    {"GET /.well-known/oauth-protected-resource", "RFC 9728 metadata, public by definition"},
    {"GET /.well-known/oauth-authorization-server", "RFC 8414 metadata, public by definition"},
    {"POST /oauth/register",
     "RFC 7591 registration, open as MCP clients need it (public clients, throttled per address)"},
    {"POST /oauth/token",
     "a client proves itself with a code and its PKCE verifier, or a refresh "
     "token"},
    {"POST /oauth/revoke", "RFC 7009: whoever holds a token may end it"},
    {"GET /oauth/authorize",
     "checks the client, then sends a visitor without a session to sign in (tested in "
     "oauth_test.cpp)"},
};

}  // namespace

TEST_CASE("every route refuses a request without a session or a key, but the public few",
          "[dashboard][security]") {
  webhook_process svc(pons::test::default_webhook_env(), {"--dashboard", "--mcp"});
  REQUIRE(svc.started());
  const auto routes = logged_routes(svc.log());
  INFO(svc.log());
  // The dashboard's pages and API, /mcp, the webhook: a list this short would mean a lost line.
  REQUIRE(routes.size() > 20);

  std::set<std::string> seen_public;
  for (const auto& [method, path] : routes) {
    const std::string route = method + " " + path;
    INFO(route);
    if (public_routes.count(route)) {
      seen_public.insert(route);
      continue;
    }
    const std::vector<std::vector<std::pair<std::string, std::string>>> credentials{
        {},
        {{"Cookie", "pons_session=forged-session-id-forged-session-id-forged-0"}},
        {{"Authorization", "Bearer pons_forged_key"}}};
    for (auto headers : credentials) {
      headers.emplace_back("Content-Type", "application/json");
      headers.emplace_back("Accept", "application/json, text/event-stream");
      auto r = http_request(svc.port(), method, path, method == "GET" ? "" : "{}", headers);
      REQUIRE(r);
      INFO(r->body);
      if (path == "/webhook/meta" || path == "/webhook") {
        // Meta's endpoint: without its signature (or, for the handshake, the verify token) it
        // answers 404 and does not reveal itself.
        CHECK(r->status == 404);
      } else if (route == "GET /") {
        // The app sends a browser to sign in.
        CHECK(r->status == 303);
        CHECK(r->header("Location") == "/login");
      } else {
        CHECK(r->status == 401);
      }
    }
  }
  // Every public route is still served: the list above names nothing that is gone.
  for (const auto& [route, why] : public_routes) {
    // One of the two forms of the resource metadata, per version.
    if (route.find("oauth-protected-resource") != std::string::npos) continue;
    INFO(route << " (" << why << ")");
    CHECK(seen_public.count(route) == 1);
  }
}
