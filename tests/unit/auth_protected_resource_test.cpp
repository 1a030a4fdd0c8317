#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "pons/auth/protected_resource.hpp"

using namespace pons::auth;
using pons::mcp::scope;

TEST_CASE("protected resource: the metadata URL inserts the well-known path before the path",
          "[auth][keys]") {
  CHECK(metadata_url("https://example.com/mcp") ==
        "https://example.com/.well-known/oauth-protected-resource/mcp");
  CHECK(metadata_url("https://example.com") ==
        "https://example.com/.well-known/oauth-protected-resource");
  CHECK(metadata_url("https://example.com/") ==
        "https://example.com/.well-known/oauth-protected-resource");
  CHECK(metadata_url("http://127.0.0.1:8080/mcp") ==
        "http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp");
  CHECK(metadata_url("https://abc.ngrok.app/a/b?x=1") ==
        "https://abc.ngrok.app/.well-known/oauth-protected-resource/a/b?x=1");
  CHECK_FALSE(metadata_url("/mcp"));
  CHECK_FALSE(metadata_url("ftp://example.com/mcp"));
  CHECK_FALSE(metadata_url("https://example.com/mcp#top"));
  CHECK_FALSE(metadata_url("https://user:pw@example.com/mcp"));
  CHECK_FALSE(metadata_url("https://10.0.0.1.example.com/"));
  CHECK(metadata_path("/mcp") == "/.well-known/oauth-protected-resource/mcp");
  CHECK(metadata_path("/") == "/.well-known/oauth-protected-resource");
  CHECK(metadata_path("") == "/.well-known/oauth-protected-resource");
}

TEST_CASE("protected resource: the metadata names the resource, scopes and header use",
          "[auth][keys]") {
  auto m = protected_resource_metadata("https://example.com/mcp");
  CHECK(m.at("resource") == "https://example.com/mcp");
  CHECK(boost::json::serialize(m.at("scopes_supported")) == R"(["read","send"])");
  CHECK(boost::json::serialize(m.at("bearer_methods_supported")) == R"(["header"])");
  CHECK(m.at("resource_name") == "Pons");
  // Keys come from `pons-webhook keys create`: no authorization server is named.
  CHECK_FALSE(m.contains("authorization_servers"));
  CHECK_FALSE(m.contains("resource_documentation"));
  resource_description about;
  about.documentation = "https://example.com/docs/mcp-http";
  auto documented = protected_resource_metadata("https://example.com/mcp", about);
  CHECK(documented.at("resource_documentation") == "https://example.com/docs/mcp-http");
  CHECK(!documented.contains("authorization_servers"));
  about.authorization_servers = {"https://example.com"};
  auto with_oauth = protected_resource_metadata("https://example.com/mcp", about);
  CHECK(boost::json::serialize(with_oauth.at("authorization_servers")) ==
        R"(["https://example.com"])");
  CHECK(origin_of("https://example.com:8443/mcp?x=1") == "https://example.com:8443");
  CHECK(origin_of("ftp://example.com/mcp") == std::nullopt);
}

TEST_CASE("protected resource: challenges for a missing, an invalid and a weak key",
          "[auth][keys]") {
  const std::string url = "https://example.com/.well-known/oauth-protected-resource/mcp";
  CHECK(challenge_without_token(url) ==
        "Bearer resource_metadata=\"https://example.com/.well-known/oauth-protected-resource/mcp\""
        ", scope=\"read\"");
  CHECK(
      challenge_without_token_any_scope(url) ==
      "Bearer resource_metadata=\"https://example.com/.well-known/oauth-protected-resource/mcp\"");
  CHECK(challenge_invalid_token(url, "this API key was revoked") ==
        "Bearer error=\"invalid_token\", error_description=\"this API key was revoked\", "
        "resource_metadata=\"" +
            url + "\"");
  const std::vector<scope> needed{scope::read, scope::send};
  CHECK(challenge_insufficient_scope(url, needed, "the tool send_text needs the send scope") ==
        "Bearer error=\"insufficient_scope\", scope=\"read send\", error_description=\"the tool "
        "send_text needs the send scope\", resource_metadata=\"" +
            url + "\"");
  // A description keeps to RFC 6750's characters: quotes, backslashes, control bytes and UTF-8
  // become spaces, so it cannot break out of its quotes or the header.
  auto odd = challenge_invalid_token(url, "a\"b\\c\r\nd\xC3\xA9");
  CHECK(odd.find("error_description=\"a b c  d  \"") != std::string::npos);
  // A URL with a quote is escaped inside its quoted-string.
  CHECK(challenge_without_token("https://x/\"y") ==
        "Bearer resource_metadata=\"https://x/\\\"y\", scope=\"read\"");
}
