// OAuth 2.1 for remote MCP clients on the real pons-webhook --dashboard --mcp, over raw HTTP: the
// metadata documents, dynamic registration, the consent page behind the sign-in, the code flow
// with PKCE S256 (verifier checked independently here with OpenSSL), tokens on /mcp with their
// scopes, rotating refresh tokens whose reuse ends the grant, a code used twice, revocation by
// the client and from the grants API, and nothing secret in the log. The SDK-driven flow through
// a real browser is tests/e2e/oauth_browser.test.mjs.
#include <openssl/evp.h>

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <boost/url/url.hpp>
#include <catch2/catch.hpp>
#include <string>

#include "support/dashboard_session.hpp"

namespace json = boost::json;
using pons::test::dashboard;
using pons::test::http_request;
using pons::test::status_of;

namespace {

const std::string verifier = "a-verifier-of-forty-three-characters-or-more_0123456789";
const std::string redirect = "http://127.0.0.1:9/callback";

// base64url(SHA-256(text)) without padding, written here with OpenSSL: the test does not trust
// the code it checks.
std::string s256(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr);
  std::string b64(4 * ((size + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), digest, static_cast<int>(size));
  b64.resize(static_cast<std::size_t>(n));
  for (auto& c : b64) c = c == '+' ? '-' : c == '/' ? '_' : c;
  while (!b64.empty() && b64.back() == '=') b64.pop_back();
  return b64;
}

// A form body as a browser encodes it: every character but the unreserved ones escaped.
std::string form(std::initializer_list<std::pair<std::string, std::string>> fields) {
  std::string out;
  for (const auto& [k, v] : fields) {
    if (!out.empty()) out += '&';
    out += k + "=" + boost::urls::encode(v, boost::urls::unreserved_chars);
  }
  return out;
}

const pons::test::header_list form_type{{"Content-Type", "application/x-www-form-urlencoded"}};

json::object body_of(const std::optional<pons::test::http_response>& r) {
  REQUIRE(r);
  INFO(r->body);
  return json::parse(r->body).as_object();
}

std::string query_value(const std::string& url, const std::string& name) {
  auto u = boost::urls::parse_uri_reference(url);
  REQUIRE(u);
  for (auto p : u->params())
    if (p.key == name) return std::string(p.value);
  return {};
}

struct oauth_service {
  dashboard d{{"--mcp", "--no-template-sync", "--no-media"}};
  // What the listener takes its own origin to be without --mcp-public-url: the request's Host,
  // which this test client sends without a port.
  std::string origin() const { return "http://127.0.0.1"; }

  std::string register_client(const std::string& name = "Claude") {
    auto r = http_request(d.svc.port(), "POST", "/oauth/register",
                          json::serialize(json::object{{"client_name", name},
                                                       {"redirect_uris", json::array{redirect}}}),
                          {{"Content-Type", "application/json"}});
    REQUIRE(status_of(r) == 201);
    return std::string(body_of(r).at("client_id").as_string());
  }

  std::string authorize_target(const std::string& client, const std::string& scope,
                               const std::string& state = "xyz") {
    boost::urls::url u("/oauth/authorize");
    u.params().append({"response_type", "code"});
    u.params().append({"client_id", client});
    u.params().append({"redirect_uri", redirect});
    u.params().append({"code_challenge", s256(verifier)});
    u.params().append({"code_challenge_method", "S256"});
    u.params().append({"scope", scope});
    u.params().append({"state", state});
    // A space as a form encoder writes it: '+'.
    auto target = std::string(u.buffer());
    for (auto at = target.find("%20"); at != std::string::npos; at = target.find("%20"))
      target.replace(at, 3, "+");
    return target;
  }

  // The consent form answered as `s`: the Location the browser is sent to.
  std::string consent(const dashboard::session& s, const std::string& client, bool send,
                      const std::string& decision = "allow") {
    auto page = d.request("GET", authorize_target(client, "read send"), s.cookie);
    REQUIRE(status_of(page) == 200);
    auto body = form({{"csrf_token", s.csrf},
                      {"client_id", client},
                      {"redirect_uri", redirect},
                      {"code_challenge", s256(verifier)},
                      {"state", "xyz"},
                      {"decision", decision},
                      {"send", send ? "yes" : ""}});
    auto r = d.request("POST", "/oauth/authorize", s.cookie, form_type, body);
    REQUIRE(status_of(r) == 303);
    return r->header("location");
  }

  std::optional<pons::test::http_response> token(const std::string& body) {
    return http_request(d.svc.port(), "POST", "/oauth/token", body, form_type);
  }

  json::object exchange(const std::string& client, const std::string& code) {
    auto r = token(form({{"grant_type", "authorization_code"},
                         {"code", code},
                         {"redirect_uri", redirect},
                         {"client_id", client},
                         {"code_verifier", verifier}}));
    REQUIRE(status_of(r) == 200);
    return body_of(r);
  }

  // tools/list on /mcp with `token` (2026-07-28, one request): the status and the body.
  std::optional<pons::test::http_response> tools(const std::string& token) {
    const std::string list = R"({"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{)"
                             R"("io.modelcontextprotocol/protocolVersion":"2026-07-28",)"
                             R"("io.modelcontextprotocol/clientCapabilities":{}}}})";
    return http_request(d.svc.port(), "POST", "/mcp", list,
                        {{"Content-Type", "application/json"},
                         {"Accept", "application/json, text/event-stream"},
                         {"Authorization", "Bearer " + token},
                         {"MCP-Protocol-Version", "2026-07-28"},
                         {"Mcp-Method", "tools/list"}});
  }
};

}  // namespace

TEST_CASE("oauth: the metadata names this listener as /mcp's authorization server", "[oauth]") {
  oauth_service o;
  auto resource = http_request(o.d.svc.port(), "GET", "/.well-known/oauth-protected-resource/mcp");
  auto prm = body_of(resource);
  CHECK(prm.at("resource").as_string() == o.origin() + "/mcp");
  REQUIRE(prm.at("authorization_servers").as_array().size() == 1);
  CHECK(prm.at("authorization_servers").at(0).as_string() == o.origin());
  // The 401 names no scope: a client asks for every scope listed, and the person chooses.
  auto challenge = http_request(
      o.d.svc.port(), "POST", "/mcp", "{}",
      {{"Content-Type", "application/json"}, {"Accept", "application/json, text/event-stream"}});
  REQUIRE(status_of(challenge) == 401);
  CHECK(challenge->header("www-authenticate").find("resource_metadata=") != std::string::npos);
  CHECK(challenge->header("www-authenticate").find("scope=") == std::string::npos);
  auto as = body_of(http_request(o.d.svc.port(), "GET", "/.well-known/oauth-authorization-server"));
  CHECK(as.at("issuer").as_string() == o.origin());
  CHECK(as.at("authorization_endpoint").as_string() == o.origin() + "/oauth/authorize");
  CHECK(as.at("token_endpoint").as_string() == o.origin() + "/oauth/token");
  CHECK(as.at("registration_endpoint").as_string() == o.origin() + "/oauth/register");
  CHECK(json::serialize(as.at("code_challenge_methods_supported")) == R"(["S256"])");
  CHECK(json::serialize(as.at("token_endpoint_auth_methods_supported")) == R"(["none"])");

  // Registration takes public clients with https or loopback redirect URIs only.
  auto post = [&](const std::string& body) {
    return http_request(o.d.svc.port(), "POST", "/oauth/register", body,
                        {{"Content-Type", "application/json"}});
  };
  auto far = post(R"({"client_name":"x","redirect_uris":["http://example.com/cb"]})");
  CHECK(status_of(far) == 400);
  CHECK(body_of(far).at("error") == "invalid_redirect_uri");
  CHECK(body_of(post(R"({"client_name":"x"})")).at("error") == "invalid_client_metadata");
  CHECK(body_of(post(R"({"redirect_uris":["https://a.example/cb"],)"
                     R"("token_endpoint_auth_method":"client_secret_basic"})"))
            .at("error") == "invalid_client_metadata");
  auto ok = post(R"({"client_name":"App","redirect_uris":["https://a.example/cb"]})");
  CHECK(status_of(ok) == 201);
  CHECK(body_of(ok).at("token_endpoint_auth_method") == "none");
}

TEST_CASE(
    "oauth: a signed-in user allows a client, whose token works on /mcp with the scopes "
    "chosen, and refresh tokens rotate",
    "[oauth]") {
  oauth_service o;
  const auto client = o.register_client("<b>Assistant</b>");

  // Without a session the consent page sends the visitor to sign in, and back.
  const auto target = o.authorize_target(client, "read send");
  auto anonymous = http_request(o.d.svc.port(), "GET", target);
  REQUIRE(status_of(anonymous) == 303);
  const auto login = anonymous->header("location");
  CHECK(login.starts_with("/login?next="));
  CHECK(query_value(login, "next") == target);
  auto form_page = http_request(o.d.svc.port(), "GET", login);
  REQUIRE(status_of(form_page) == 200);
  CHECK(form_page->body.find("name=\"next\"") != std::string::npos);

  o.d.add_user("mo@example.com", "member", "a long enough password");
  auto signed_in = o.d.request(
      "POST", "/login", "", form_type,
      form(
          {{"email", "mo@example.com"}, {"password", "a long enough password"}, {"next", target}}));
  REQUIRE(status_of(signed_in) == 303);
  CHECK(signed_in->header("location") == target);
  const dashboard::session member{
      pons::test::cookie_pair(signed_in->header("set-cookie")),
      std::string(body_of(o.d.request("GET", "/api/v1/session",
                                      pons::test::cookie_pair(signed_in->header("set-cookie"))))
                      .at("csrfToken")
                      .as_string())};

  // The consent page names the client as text and carries the session's CSRF token.
  auto page = o.d.request("GET", target, member.cookie);
  REQUIRE(status_of(page) == 200);
  CHECK(page->body.find("&lt;b&gt;Assistant&lt;/b&gt;") != std::string::npos);
  CHECK(page->body.find("<b>Assistant</b>") == std::string::npos);
  CHECK(page->body.find("127.0.0.1") != std::string::npos);
  // Its form may lead back to the client, and nowhere else but this site.
  CHECK(page->header("content-security-policy").find("form-action 'self' http://127.0.0.1:9;") !=
        std::string::npos);
  // Allowing without the CSRF token does nothing.
  CHECK(status_of(o.d.request("POST", "/oauth/authorize", member.cookie, form_type,
                              form({{"client_id", client},
                                    {"redirect_uri", redirect},
                                    {"code_challenge", s256(verifier)},
                                    {"decision", "allow"}}))) == 403);

  const auto back = o.consent(member, client, true);
  CHECK(back.starts_with(redirect + "?"));
  CHECK(query_value(back, "state") == "xyz");
  CHECK(query_value(back, "iss") == o.origin());
  const auto code = query_value(back, "code");
  REQUIRE(!code.empty());

  // The wrong verifier, the wrong client or redirect: refused, and the code still works after.
  auto wrong = o.token(form({{"grant_type", "authorization_code"},
                             {"code", code},
                             {"redirect_uri", redirect},
                             {"client_id", client},
                             {"code_verifier", verifier + "x"}}));
  CHECK(status_of(wrong) == 400);
  CHECK(body_of(wrong).at("error") == "invalid_grant");
  auto tokens = o.exchange(client, code);
  CHECK(tokens.at("token_type") == "Bearer");
  CHECK(tokens.at("scope") == "read send");
  CHECK(tokens.at("expires_in") == 3600);
  const std::string access(tokens.at("access_token").as_string());
  const std::string refresh(tokens.at("refresh_token").as_string());

  auto listed = o.tools(access);
  REQUIRE(status_of(listed) == 200);
  CHECK(listed->body.find("\"send_text\"") != std::string::npos);
  CHECK(status_of(o.tools(access + "x")) == 401);

  // A refresh token is spent once; the new pair works.
  auto renewed = o.token(
      form({{"grant_type", "refresh_token"}, {"refresh_token", refresh}, {"client_id", client}}));
  REQUIRE(status_of(renewed) == 200);
  const std::string access2(body_of(renewed).at("access_token").as_string());
  CHECK(access2 != access);
  CHECK(status_of(o.tools(access2)) == 200);
  // The spent one again: it was copied, so the grant ends, for every token of it.
  auto replayed = o.token(
      form({{"grant_type", "refresh_token"}, {"refresh_token", refresh}, {"client_id", client}}));
  CHECK(status_of(replayed) == 400);
  CHECK(status_of(o.tools(access2)) == 401);
  CHECK(status_of(o.tools(access)) == 401);

  const auto log = o.d.svc.log();
  for (const auto& secret : {access, refresh, access2, code}) {
    CHECK(log.find(secret) == std::string::npos);
  }
  CHECK(log.find("oauth_allowed=client:") != std::string::npos);
}

TEST_CASE(
    "oauth: deny, a read-only grant, a code used twice, and revocation by the client and "
    "by an admin",
    "[oauth]") {
  oauth_service o;
  const auto client = o.register_client();
  const auto member = o.d.sign_in("mo@example.com", "member");

  auto denied = o.consent(member, client, true, "deny");
  CHECK(query_value(denied, "error") == "access_denied");
  CHECK(query_value(denied, "state") == "xyz");
  CHECK(query_value(denied, "code").empty());

  // Send unticked: a read-only token, and the send tools are not offered to it.
  const auto code = query_value(o.consent(member, client, false), "code");
  auto tokens = o.exchange(client, code);
  CHECK(tokens.at("scope") == "read");
  const std::string access(tokens.at("access_token").as_string());
  auto listed = o.tools(access);
  REQUIRE(status_of(listed) == 200);
  CHECK(listed->body.find("\"list_conversations\"") != std::string::npos);
  CHECK(listed->body.find("\"send_text\"") == std::string::npos);
  // The same code again: refused, and the grant it made ends.
  auto again = o.token(form({{"grant_type", "authorization_code"},
                             {"code", code},
                             {"redirect_uri", redirect},
                             {"client_id", client},
                             {"code_verifier", verifier}}));
  CHECK(status_of(again) == 400);
  CHECK(status_of(o.tools(access)) == 401);

  // The client revokes its own token (RFC 7009); an unknown token is answered the same.
  auto second = o.exchange(client, query_value(o.consent(member, client, true), "code"));
  const std::string access2(second.at("access_token").as_string());
  REQUIRE(status_of(o.tools(access2)) == 200);
  CHECK(
      status_of(http_request(o.d.svc.port(), "POST", "/oauth/revoke",
                             form({{"token", std::string(second.at("refresh_token").as_string())}}),
                             form_type)) == 200);
  CHECK(status_of(o.tools(access2)) == 401);
  CHECK(status_of(http_request(o.d.svc.port(), "POST", "/oauth/revoke",
                               form({{"token", "pons_at_unknown"}}), form_type)) == 200);

  // An admin sees the grants and revokes one; a member sees none.
  auto third = o.exchange(client, query_value(o.consent(member, client, true), "code"));
  const std::string access3(third.at("access_token").as_string());
  REQUIRE(status_of(o.tools(access3)) == 200);
  CHECK(status_of(o.d.request("GET", "/api/v1/oauth-grants", member.cookie)) == 403);
  const auto admin = o.d.sign_in("ada@example.com", "admin");
  auto grants =
      body_of(o.d.request("GET", "/api/v1/oauth-grants", admin.cookie)).at("grants").as_array();
  REQUIRE(grants.size() == 3);
  CHECK(grants[0].at("user") == "mo@example.com");
  CHECK(grants[0].at("state") == "active");
  CHECK(grants[0].at("redirectHost") == "127.0.0.1");
  auto revoked = o.d.post_json(admin, "/api/v1/oauth-grants/revoke",
                               "{\"id\":" + std::to_string(grants[0].at("id").as_int64()) + "}");
  REQUIRE(status_of(revoked) == 200);
  CHECK(body_of(revoked).at("grant").at("state") == "revoked");
  CHECK(status_of(o.tools(access3)) == 401);

  // A request the page never made: an unregistered redirect URI is never sent anything.
  boost::urls::url bad("/oauth/authorize");
  bad.params().append({"client_id", client});
  bad.params().append({"redirect_uri", "https://evil.example/cb"});
  auto refused = o.d.request("GET", std::string(bad.buffer()), member.cookie);
  CHECK(status_of(refused) == 400);
  CHECK(refused->header("location").empty());
  // Without PKCE the client is told so at its redirect URI.
  auto no_pkce = o.d.request("GET",
                             "/oauth/authorize?response_type=code&client_id=" + client +
                                 "&redirect_uri=" + redirect + "&state=s",
                             member.cookie);
  REQUIRE(status_of(no_pkce) == 303);
  CHECK(query_value(no_pkce->header("location"), "error") == "invalid_request");
  // The sign-in form never returns anywhere but to the consent page.
  auto elsewhere = http_request(o.d.svc.port(), "GET", "/login?next=https%3A%2F%2Fevil.example");
  REQUIRE(status_of(elsewhere) == 200);
  CHECK(elsewhere->body.find("name=\"next\"") == std::string::npos);
}
