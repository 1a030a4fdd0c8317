#include "pons/oauth/authorization_server.hpp"

#include <fmt/format.h>

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <boost/url/url.hpp>
#include <chrono>
#include <optional>

#include "pons/auth/protected_resource.hpp"
#include "pons/dashboard/answers.hpp"
#include "pons/dashboard/json_body.hpp"
#include "pons/dashboard/login_throttle.hpp"
#include "pons/dashboard/page_headers.hpp"
#include "pons/http/media_type.hpp"
#include "pons/http/query.hpp"
#include "pons/mcp_keys/public_endpoint.hpp"
#include "pons/oauth/consent_page.hpp"
#include "pons/store/oauth_repository.hpp"

namespace pons::oauth {

namespace net = boost::asio;
namespace json = boost::json;
using dashboard::html_answer;
using dashboard::json_answer;
using dashboard::principal;

namespace {

struct server_state {
  server_state(const dashboard::guard& g, std::shared_ptr<dashboard::locked_database> d,
               server_options o)
      : access(g), db(std::move(d)), options(std::move(o)) {}
  const dashboard::guard& access;
  std::shared_ptr<dashboard::locked_database> db;
  server_options options;
  // Registration writes a row for anyone who asks: a few a minute per address.
  dashboard::keyed_buckets registrations{auth::rate_limit{10, 1.0 / 60}, 4096};
};

// The MCP endpoint's URL and its origin (the issuer) for this request.
struct endpoint {
  std::string resource;
  std::string issuer;
};

endpoint endpoint_of(const server_state& s, const http::server_request& req) {
  endpoint e;
  e.resource = mcp_keys::resource_url(s.options.public_url, req, s.options.mcp_path);
  e.issuer = auth::origin_of(e.resource).value_or(std::string());
  return e;
}

// An OAuth error answer (RFC 6749 section 5.2): {"error", "error_description"}.
http::server_response oauth_error(int status, std::string_view error, std::string_view why) {
  return json_answer(status, json::object{{"error", error}, {"error_description", why}});
}

bool form_body(const http::server_request& req) {
  return http::has_media_type(req.header("Content-Type"), "application/x-www-form-urlencoded");
}

std::string field(std::string_view encoded, std::string_view name) {
  return http::query_param(encoded, name).value_or(std::string());
}

// Where the browser goes back to: the client's redirect URI with `params` added.
http::server_response back_to_client(
    std::string_view redirect_uri,
    std::initializer_list<std::pair<std::string, std::string>> params) {
  boost::urls::url u(redirect_uri);
  for (const auto& [name, value] : params) {
    if (!value.empty()) u.params().append({name, value});
  }
  auto r = html_answer(303, "<p>Returning to the application.</p>\n");
  r.headers.emplace_back("Location", std::string(u.buffer()));
  return r;
}

// The page's policy, with the client's redirect URI among the places its form may lead: a
// browser holds a form's redirect to the policy's form-action too. A host with anything but
// letters, digits, dots, hyphens, colons and brackets is left out (the redirect is then blocked).
std::string consent_policy(std::string_view redirect_uri) {
  std::string policy(dashboard::content_security_policy);
  auto parsed = boost::urls::parse_absolute_uri(redirect_uri);
  if (!parsed) return policy;
  const std::string host(parsed->encoded_host_and_port());
  for (char c : host) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
    if (!ok) return policy;
  }
  const std::string origin = std::string(parsed->scheme()) + "://" + host;
  const std::string from = "form-action 'self'";
  if (auto at = policy.find(from); at != std::string::npos)
    policy.insert(at + from.size(), " " + origin);
  return policy;
}

http::server_response with_policy(http::server_response r, const std::string& policy) {
  for (auto& h : r.headers) {
    if (h.first == "Content-Security-Policy") h.second = policy;
  }
  return r;
}

bool base64url_43(std::string_view s) {
  if (s.size() != 43) return false;
  for (char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

// The client and the redirect URI of an authorization request, checked before anything is sent
// to that URI; the error page's words otherwise.
struct checked_client {
  std::optional<store::oauth_client> client;
  std::string redirect_uri;
  std::string problem;
};

checked_client check_client(server_state& s, const std::string& client_id,
                            const std::string& redirect_uri) {
  checked_client out;
  std::unique_lock lock(s.db->mutex);
  auto client = store::find_client(s.db->db, client_id);
  lock.unlock();
  if (!client) {
    out.problem = client.error() == store::oauth_errc::invalid_client
                      ? "This application is not registered with this Pons (unknown client_id)."
                      : "Pons cannot check this application just now: try again shortly.";
    return out;
  }
  // A client with one redirect URI may leave it out; otherwise it must name one it registered.
  if (redirect_uri.empty() && client->redirect_uris.size() == 1) {
    out.redirect_uri = client->redirect_uris.front();
  } else {
    for (const auto& uri : client->redirect_uris)
      if (uri == redirect_uri) out.redirect_uri = uri;
  }
  if (out.redirect_uri.empty()) {
    out.problem = "The redirect_uri is not one this application registered.";
    return out;
  }
  out.client = std::move(*client);
  return out;
}

// --- metadata and registration ----------------------------------------------------------------

net::awaitable<http::server_response> metadata(server_state& s, http::server_request& req) {
  const auto e = endpoint_of(s, req);
  json::object o{
      {"issuer", e.issuer},
      {"authorization_endpoint", e.issuer + "/oauth/authorize"},
      {"token_endpoint", e.issuer + "/oauth/token"},
      {"registration_endpoint", e.issuer + "/oauth/register"},
      {"revocation_endpoint", e.issuer + "/oauth/revoke"},
      {"response_types_supported", json::array{"code"}},
      {"grant_types_supported", json::array{"authorization_code", "refresh_token"}},
      {"code_challenge_methods_supported", json::array{"S256"}},
      {"token_endpoint_auth_methods_supported", json::array{"none"}},
      {"revocation_endpoint_auth_methods_supported", json::array{"none"}},
      {"scopes_supported", json::array{"read", "send"}},
      {"authorization_response_iss_parameter_supported", true},
  };
  co_return json_answer(200, o);
}

net::awaitable<http::server_response> register_client(server_state& s, http::server_request& req) {
  auto rate = s.registrations.take(dashboard::throttle_address(req.peer_address),
                                   auth::bucket_clock::now());
  if (!rate.allowed) {
    auto r = oauth_error(429, "slow_down", "too many registrations from this address");
    r.headers.emplace_back("Retry-After", std::to_string(rate.retry_after.count()));
    co_return r;
  }
  auto body = dashboard::json_object_body(req);
  if (!body) co_return oauth_error(400, "invalid_client_metadata", "send the metadata as JSON");
  std::vector<std::string> uris;
  if (const auto* list = body->if_contains("redirect_uris"); list && list->is_array()) {
    for (const auto& u : list->get_array()) {
      if (!u.is_string())
        co_return oauth_error(400, "invalid_redirect_uri", "redirect_uris: a list of URLs");
      uris.emplace_back(u.get_string());
    }
  }
  // Only what Pons does is registered: public clients, the code flow, refresh tokens.
  if (const auto* method = body->if_contains("token_endpoint_auth_method");
      method && !(method->is_string() && method->get_string() == "none")) {
    co_return oauth_error(400, "invalid_client_metadata",
                          "token_endpoint_auth_method: only none (a public client with PKCE)");
  }
  const auto name = dashboard::text_field(*body, "client_name");
  const auto now = std::chrono::system_clock::now();
  std::unique_lock lock(s.db->mutex);
  auto made = store::register_client(s.db->db, name, uris, now);
  lock.unlock();
  if (!made) {
    if (made.error() == store::oauth_errc::invalid_redirect_uri)
      co_return oauth_error(400, "invalid_redirect_uri", made.error().message());
    if (made.error() == store::oauth_errc::invalid_client_metadata)
      co_return oauth_error(400, "invalid_client_metadata", made.error().message());
    co_return oauth_error(503, "temporarily_unavailable", "try again shortly");
  }
  json::array registered;
  for (const auto& u : made->redirect_uris) registered.emplace_back(u);
  auto r = json_answer(
      201, json::object{
               {"client_id", made->client_id},
               {"client_name", made->name},
               {"redirect_uris", std::move(registered)},
               {"grant_types", json::array{"authorization_code", "refresh_token"}},
               {"response_types", json::array{"code"}},
               {"token_endpoint_auth_method", "none"},
               {"client_id_issued_at",
                std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count()},
           });
  r.log_note = fmt::format("oauth_client_registered={}", made->id);
  co_return r;
}

// --- authorization --------------------------------------------------------------------------

net::awaitable<http::server_response> authorize_page(server_state& s, http::server_request& req) {
  auto checked = check_client(s, field(req.query, "client_id"), field(req.query, "redirect_uri"));
  if (!checked.client) co_return html_answer(400, authorization_error_page(checked.problem));
  const auto& redirect = checked.redirect_uri;
  const auto state = field(req.query, "state");
  const auto e = endpoint_of(s, req);
  auto fail = [&](std::string_view error, std::string_view why) {
    return back_to_client(redirect, {{"error", std::string(error)},
                                     {"error_description", std::string(why)},
                                     {"state", state},
                                     {"iss", e.issuer}});
  };
  if (field(req.query, "response_type") != "code")
    co_return fail("unsupported_response_type", "only response_type=code");
  const auto challenge = field(req.query, "code_challenge");
  if (!base64url_43(challenge) || field(req.query, "code_challenge_method") != "S256")
    co_return fail("invalid_request", "PKCE is required: code_challenge with method S256");
  bool send_requested = true;
  if (auto scope = http::query_param(req.query, "scope")) {
    send_requested = false;
    std::string_view rest = *scope;
    while (!rest.empty()) {
      auto end = rest.find(' ');
      auto word = rest.substr(0, end);
      if (word == "send") {
        send_requested = true;
      } else if (!word.empty() && word != "read") {
        co_return fail("invalid_scope", "scopes are read and send");
      }
      if (end == std::string_view::npos) break;
      rest.remove_prefix(end + 1);
    }
  }
  // The page needs a person signed in: one without a session signs in and comes back here.
  auto v = s.access.check(req);
  if (v.status == 401) {
    // Every character but the unreserved ones encoded: a '+' in the request (a space, for a form
    // encoder) must come back as the '+' it was.
    auto r = html_answer(303, "<p><a href=\"/login\">Sign in</a> to continue.</p>\n");
    r.headers.emplace_back(
        "Location",
        "/login?next=" + boost::urls::encode(req.target, boost::urls::unreserved_chars));
    co_return r;
  }
  if (v.status != 0) co_return dashboard::from_verdict(v);
  if (v.who.how != principal::via::session)
    co_return html_answer(403, authorization_error_page("A person signs in to allow access."));
  consent_request c;
  c.client_id = checked.client->client_id;
  c.client_name = checked.client->name;
  c.redirect_uri = redirect;
  if (auto parsed = boost::urls::parse_absolute_uri(redirect)) c.redirect_host = parsed->host();
  c.code_challenge = challenge;
  c.state = state;
  c.resource = field(req.query, "resource");
  c.send_requested = send_requested && v.who.can_send;
  c.user_email = v.who.email;
  c.account = v.who.waba_id;
  c.csrf_token = v.who.csrf_token;
  co_return with_policy(html_answer(200, consent_page(c)), consent_policy(redirect));
}

net::awaitable<http::server_response> authorize_answer(server_state& s, http::server_request& req) {
  // The session and its CSRF token (the form's hidden field), from this site only.
  auto v = s.access.check(req);
  if (v.status != 0) co_return dashboard::from_verdict(v);
  if (v.who.how != principal::via::session)
    co_return html_answer(403, authorization_error_page("A person signs in to allow access."));
  if (!form_body(req))
    co_return html_answer(415, authorization_error_page("Answer with the consent page's form."));
  const auto& form = req.body;
  auto checked = check_client(s, field(form, "client_id"), field(form, "redirect_uri"));
  if (!checked.client) co_return html_answer(400, authorization_error_page(checked.problem));
  const auto e = endpoint_of(s, req);
  const auto state = field(form, "state");
  if (field(form, "decision") != "allow") {
    auto r = back_to_client(checked.redirect_uri, {{"error", "access_denied"},
                                                   {"error_description", "the user said no"},
                                                   {"state", state},
                                                   {"iss", e.issuer}});
    r.log_note =
        fmt::format("oauth_denied=client:{} principal={}", checked.client->id, v.who.label());
    co_return r;
  }
  const auto challenge = field(form, "code_challenge");
  if (!base64url_43(challenge))
    co_return html_answer(400, authorization_error_page("The form lost its PKCE challenge."));
  store::consent c;
  c.client = checked.client->id;
  c.user_id = v.who.id;
  c.scopes = field(form, "send") == "yes" && v.who.can_send ? "read send" : "read";
  c.waba_id = v.who.waba_id;
  // The token is for the endpoint the client named, or this listener's /mcp.
  c.resource = field(form, "resource");
  if (c.resource.empty()) c.resource = e.resource;
  c.redirect_uri = checked.redirect_uri;
  c.code_challenge = challenge;
  std::unique_lock lock(s.db->mutex);
  auto code = store::create_code(s.db->db, c, std::chrono::system_clock::now());
  lock.unlock();
  if (!code)
    co_return html_answer(503, authorization_error_page("Pons cannot answer just now: try again."));
  auto r =
      back_to_client(checked.redirect_uri, {{"code", *code}, {"state", state}, {"iss", e.issuer}});
  r.log_note = fmt::format("oauth_allowed=client:{} scopes=\"{}\" principal={}", checked.client->id,
                           c.scopes, v.who.label());
  co_return r;
}

// --- tokens ---------------------------------------------------------------------------------

http::server_response token_answer(const store::token_pair& t) {
  return json_answer(200, json::object{{"access_token", t.access_token},
                                       {"token_type", "Bearer"},
                                       {"expires_in", t.expires_in.count()},
                                       {"refresh_token", t.refresh_token},
                                       {"scope", t.scopes}});
}

http::server_response grant_refused(const boost::system::error_code& ec) {
  if (ec.category() == store::oauth_category())
    return oauth_error(400, "invalid_grant", ec.message());
  auto r = oauth_error(503, "temporarily_unavailable", "try again shortly");
  r.headers.emplace_back("Retry-After", "1");
  return r;
}

net::awaitable<http::server_response> token(server_state& s, http::server_request& req) {
  if (!form_body(req))
    co_return oauth_error(400, "invalid_request", "send application/x-www-form-urlencoded");
  const auto& form = req.body;
  const auto grant_type = field(form, "grant_type");
  const auto client_id = field(form, "client_id");
  if (client_id.empty()) co_return oauth_error(400, "invalid_client", "client_id is required");
  const auto now = std::chrono::system_clock::now();
  if (grant_type == "authorization_code") {
    std::lock_guard lock(s.db->mutex);
    auto t = store::redeem_code(s.db->db, field(form, "code"), client_id,
                                field(form, "redirect_uri"), field(form, "code_verifier"), now);
    if (!t) co_return grant_refused(t.error());
    co_return token_answer(*t);
  }
  if (grant_type == "refresh_token") {
    std::lock_guard lock(s.db->mutex);
    auto t = store::refresh_tokens(s.db->db, field(form, "refresh_token"), client_id, now);
    if (!t) co_return grant_refused(t.error());
    co_return token_answer(*t);
  }
  co_return oauth_error(400, "unsupported_grant_type",
                        "grant_type is authorization_code or refresh_token");
}

net::awaitable<http::server_response> revoke(server_state& s, http::server_request& req) {
  if (!form_body(req))
    co_return oauth_error(400, "invalid_request", "send application/x-www-form-urlencoded");
  const auto presented = field(req.body, "token");
  if (presented.empty()) co_return oauth_error(400, "invalid_request", "token is required");
  std::lock_guard lock(s.db->mutex);
  if (!store::revoke_by_token(s.db->db, presented, std::chrono::system_clock::now()))
    co_return oauth_error(503, "temporarily_unavailable", "try again shortly");
  // An unknown token is answered the same (RFC 7009 section 2.2).
  co_return json_answer(200, json::object{});
}

// --- the grants, for the keys page --------------------------------------------------------------

json::object grant_json(const store::oauth_grant_view& g) {
  return json::object{{"id", g.id},
                      {"client", g.client_name},
                      {"redirectHost", g.redirect_host},
                      {"user", g.user_email},
                      {"scopes", g.scopes},
                      {"account", dashboard::text_or_null(g.waba_id)},
                      {"createdAt", g.created_at},
                      {"lastUsedAt", dashboard::text_or_null(g.last_used_at)},
                      {"state", g.revoked_at.empty() ? "active" : "revoked"}};
}

net::awaitable<http::server_response> list_grants(server_state& s, http::server_request& req) {
  auto v = s.access.require_user(req, store::user_role::admin);
  if (v.status != 0) co_return dashboard::from_verdict(v);
  std::lock_guard lock(s.db->mutex);
  auto grants = store::list_grants(s.db->db, v.who.waba_id);
  if (!grants) co_return dashboard::json_error(503, "the database cannot answer just now");
  json::array out;
  for (const auto& g : *grants) out.push_back(grant_json(g));
  co_return json_answer(200, json::object{{"grants", std::move(out)}});
}

net::awaitable<http::server_response> revoke_grant(server_state& s, http::server_request& req) {
  auto v = s.access.require_user(req, store::user_role::admin);
  if (v.status != 0) co_return dashboard::from_verdict(v);
  auto body = dashboard::json_object_body(req);
  const auto* id = body ? body->if_contains("id") : nullptr;
  if (!id || !id->is_int64())
    co_return dashboard::json_error(400, "send {\"id\": N}, the grant's id");
  std::lock_guard lock(s.db->mutex);
  // Another account's grant is answered as if it did not exist.
  auto grants = store::list_grants(s.db->db, v.who.waba_id);
  if (!grants) co_return dashboard::json_error(503, "the database cannot answer just now");
  bool visible = false;
  for (const auto& g : *grants) visible = visible || g.id == id->get_int64();
  if (!visible) co_return dashboard::json_error(404, "no OAuth grant has this id");
  auto revoked = store::revoke_grant(s.db->db, id->get_int64(), std::chrono::system_clock::now());
  if (!revoked) co_return dashboard::json_error(503, "the database cannot answer just now");
  auto r = json_answer(200, json::object{{"grant", grant_json(*revoked)}});
  r.log_note = fmt::format("oauth_grant_revoked=oauth:{} principal={}", revoked->id, v.who.label());
  co_return r;
}

}  // namespace

void add_authorization_routes(http::router& routes, const dashboard::guard& access,
                              std::shared_ptr<dashboard::locked_database> db,
                              server_options options) {
  auto s = std::make_shared<server_state>(access, std::move(db), std::move(options));
  routes.add("GET", "/.well-known/oauth-authorization-server",
             [s](http::server_request& r) { return metadata(*s, r); });
  routes.add("POST", "/oauth/register",
             [s](http::server_request& r) { return register_client(*s, r); });
  routes.add("GET", "/oauth/authorize",
             [s](http::server_request& r) { return authorize_page(*s, r); });
  routes.add("POST", "/oauth/authorize",
             [s](http::server_request& r) { return authorize_answer(*s, r); });
  routes.add("POST", "/oauth/token", [s](http::server_request& r) { return token(*s, r); });
  routes.add("POST", "/oauth/revoke", [s](http::server_request& r) { return revoke(*s, r); });
}

void add_grant_routes(http::router& routes, const dashboard::guard& access,
                      std::shared_ptr<dashboard::locked_database> db) {
  auto s = std::make_shared<server_state>(access, std::move(db), server_options{});
  routes.add("GET", "/api/v1/oauth-grants",
             [s](http::server_request& r) { return list_grants(*s, r); });
  routes.add("POST", "/api/v1/oauth-grants/revoke",
             [s](http::server_request& r) { return revoke_grant(*s, r); });
}

}  // namespace pons::oauth
