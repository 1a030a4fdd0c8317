#include "pons/auth/protected_resource.hpp"

#include <fmt/format.h>

#include <boost/json/array.hpp>
#include <boost/url/parse.hpp>

namespace pons::auth {

namespace {

// A quoted-string of an auth-param (RFC 9110 section 5.6.4): quotes and backslashes escaped.
std::string quoted_string(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// error_description holds only %x20-21 / %x23-5B / %x5D-7E (RFC 6750 section 3): anything else
// (quotes, backslashes, control bytes, UTF-8) becomes a space.
std::string description_text(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    const bool allowed = c >= 0x20 && c <= 0x7E && c != '"' && c != '\\';
    out += allowed ? static_cast<char>(c) : ' ';
  }
  return out;
}

std::string scope_list(std::span<const mcp::scope> scopes) {
  std::string out;
  for (auto s : scopes) {
    if (!out.empty()) out += ' ';
    out += mcp::to_string(s);
  }
  return out;
}

}  // namespace

std::optional<std::string> metadata_url(std::string_view resource) {
  auto parsed = boost::urls::parse_absolute_uri(resource);
  if (!parsed) return std::nullopt;
  const auto& u = *parsed;
  const std::string scheme(u.scheme());
  if (scheme != "https" && scheme != "http") return std::nullopt;
  // Boost.URL 1.81 reads "https://10.0.0.1.example.com/" as an address followed by the path
  // ".example.com/": a path after an authority must start with '/'.
  const std::string path(u.encoded_path());
  if (!path.empty() && path.front() != '/') return std::nullopt;
  if (u.encoded_host().empty() || u.has_userinfo() || u.has_fragment()) return std::nullopt;
  std::string out = scheme + "://" + std::string(u.encoded_host_and_port()) + metadata_path(path);
  if (u.has_query()) out += "?" + std::string(u.encoded_query());
  return out;
}

std::optional<std::string> origin_of(std::string_view resource) {
  if (!metadata_url(resource)) return std::nullopt;
  auto parsed = boost::urls::parse_absolute_uri(resource);
  return std::string(parsed->scheme()) + "://" + std::string(parsed->encoded_host_and_port());
}

std::string metadata_path(std::string_view resource_path) {
  // A terminating slash after the host goes (RFC 9728 section 3.1): "/" is no path at all.
  if (resource_path == "/") resource_path = {};
  return std::string(well_known_prefix) + std::string(resource_path);
}

boost::json::object protected_resource_metadata(std::string_view resource,
                                                const resource_description& about) {
  boost::json::object o;
  o["resource"] = resource;
  o["scopes_supported"] =
      boost::json::array{mcp::to_string(mcp::scope::read), mcp::to_string(mcp::scope::send)};
  o["bearer_methods_supported"] = boost::json::array{"header"};
  if (!about.name.empty()) o["resource_name"] = about.name;
  if (!about.documentation.empty()) o["resource_documentation"] = about.documentation;
  if (!about.authorization_servers.empty()) {
    boost::json::array servers;
    for (const auto& s : about.authorization_servers) servers.emplace_back(s);
    o["authorization_servers"] = std::move(servers);
  }
  return o;
}

std::string challenge_without_token(std::string_view metadata) {
  const mcp::scope every_call[] = {mcp::scope::read};
  return fmt::format("Bearer resource_metadata={}, scope={}", quoted_string(metadata),
                     quoted_string(scope_list(every_call)));
}

std::string challenge_without_token_any_scope(std::string_view metadata) {
  return fmt::format("Bearer resource_metadata={}", quoted_string(metadata));
}

std::string challenge_invalid_token(std::string_view metadata, std::string_view description) {
  return fmt::format("Bearer error=\"invalid_token\", error_description={}, resource_metadata={}",
                     quoted_string(description_text(description)), quoted_string(metadata));
}

std::string challenge_insufficient_scope(std::string_view metadata,
                                         std::span<const mcp::scope> needed,
                                         std::string_view description) {
  return fmt::format(
      "Bearer error=\"insufficient_scope\", scope={}, error_description={}, resource_metadata={}",
      quoted_string(scope_list(needed)), quoted_string(description_text(description)),
      quoted_string(metadata));
}

}  // namespace pons::auth
