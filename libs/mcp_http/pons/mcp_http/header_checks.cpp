#include "pons/mcp_http/header_checks.hpp"

#include <fmt/format.h>

#include <boost/url/grammar/ci_string.hpp>
#include <cstdlib>

#include "pons/http/media_type.hpp"
#include "pons/mcp/base64.hpp"

namespace pons::mcp_http {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return boost::urls::grammar::ci_is_equal(a, b);
}

// True when the parameters of one Accept entry (after the media range) give q=0.
bool zero_quality(std::string_view params) {
  while (!params.empty()) {
    auto semi = params.find(';');
    auto param = trim(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view{} : params.substr(semi + 1);
    if (param.size() < 2 || (param[0] != 'q' && param[0] != 'Q') || param[1] != '=') continue;
    auto value = param.substr(2);
    // q is "0" or "0.000" at zero; anything with a non-zero digit admits the type.
    return value.find_first_of("123456789") == std::string_view::npos;
  }
  return false;
}

}  // namespace

bool accepts(std::string_view accept, std::string_view media_type) {
  auto slash = media_type.find('/');
  auto type = media_type.substr(0, slash);
  while (!accept.empty()) {
    auto comma = accept.find(',');
    auto entry = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view{} : accept.substr(comma + 1);
    auto semi = entry.find(';');
    auto range = trim(entry.substr(0, semi));
    auto params = semi == std::string_view::npos ? std::string_view{} : entry.substr(semi + 1);
    bool match = iequals(range, media_type) || range == "*/*" ||
                 (range.size() == type.size() + 2 && iequals(range.substr(0, type.size()), type) &&
                  range.substr(type.size()) == "/*");
    if (match && !zero_quality(params)) return true;
  }
  return false;
}

bool is_json_content_type(std::string_view content_type) {
  return http::has_media_type(content_type, "application/json");
}

bool origin_allowed(std::string_view origin, const std::vector<std::string>& allowed) {
  if (origin.empty()) return true;
  for (const auto& a : allowed)
    if (iequals(a, origin)) return true;
  return false;
}

bool is_loopback_origin(std::string_view origin) {
  std::string_view rest;
  if (origin.substr(0, 7) == "http://") {
    rest = origin.substr(7);
  } else if (origin.substr(0, 8) == "https://") {
    rest = origin.substr(8);
  } else {
    return false;
  }
  for (std::string_view host : {"localhost", "127.0.0.1", "[::1]"}) {
    if (rest.substr(0, host.size()) != host) continue;
    auto port = rest.substr(host.size());
    if (port.empty()) return true;
    if (port[0] != ':' || port.size() < 2 || port.size() > 6) return false;
    return port.substr(1).find_first_not_of("0123456789") == std::string_view::npos;
  }
  return false;
}

bool valid_session_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u > 0x7e) return false;
  }
  return true;
}

std::optional<mcp::protocol_version> check_protocol_header(std::string_view header, bool present,
                                                           mcp::protocol_version negotiated) {
  if (!present) return negotiated;
  return mcp::parse_protocol_version(trim(header));
}

int modern_error_status(int code) {
  switch (code) {
    case -32601:
      return 404;
    case -32602:
    case -32020:
    case -32021:
    case -32022:
      return 400;
    default:
      return 200;
  }
}

bool names_its_target(std::string_view method) {
  return method == "tools/call" || method == "resources/read" || method == "prompts/get";
}

std::optional<std::string> missing_header(const mirrored_fields& f) {
  auto missing = [](std::string_view header, std::string_view should_be) {
    return fmt::format(
        "Header mismatch: the required header {} is missing (send {}: {} with this request)",
        header, header, should_be);
  };
  if (!f.protocol_header) {
    return missing("MCP-Protocol-Version", f.protocol_body.value_or("the protocol version"));
  }
  if (!f.method_header) return missing("Mcp-Method", f.method_body);
  if (!f.name_header && f.name_body && names_its_target(f.method_body)) {
    return missing("Mcp-Name", *f.name_body);
  }
  return std::nullopt;
}

std::optional<std::string> header_mismatch(const mirrored_fields& f) {
  if (auto m = missing_header(f)) return m;
  auto differs = [](std::string_view header, std::optional<std::string_view> header_value,
                    std::optional<std::string_view> body_value,
                    std::string_view body_field) -> std::optional<std::string> {
    if (!header_value || *header_value == body_value.value_or("")) return std::nullopt;
    return fmt::format("Header mismatch: {} header value '{}' does not match body value '{}' ({})",
                       header, *header_value, body_value.value_or(""), body_field);
  };
  if (f.protocol_body) {
    if (auto m = differs("MCP-Protocol-Version", f.protocol_header, f.protocol_body,
                         "params._meta[\"io.modelcontextprotocol/protocolVersion\"]")) {
      return m;
    }
  }
  if (auto m = differs("Mcp-Method", f.method_header, f.method_body, "method")) return m;
  if (f.name_header && f.name_body) {
    std::string name(*f.name_header);
    constexpr std::string_view prefix = "=?base64?", suffix = "?=";
    if (name.size() >= prefix.size() + suffix.size() && name.starts_with(prefix) &&
        name.ends_with(suffix)) {
      auto decoded = mcp::base64_decode(
          std::string_view(name).substr(prefix.size(), name.size() - prefix.size() - suffix.size()),
          mcp::base64_alphabet::standard);
      if (!decoded) {
        return fmt::format("Header mismatch: Mcp-Name header value '{}' is not valid Base64", name);
      }
      name = std::move(*decoded);
    }
    if (auto m = differs("Mcp-Name", name, f.name_body, "params.name or params.uri")) return m;
  }
  return std::nullopt;
}

}  // namespace pons::mcp_http
