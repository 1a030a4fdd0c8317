#include "pons/forward/url_policy.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/url/grammar/ci_string.hpp>
#include <boost/url/parse.hpp>
#include <string>

namespace pons::forward {

namespace {

namespace ip = boost::asio::ip;

// ASCII case-insensitive equality (header names, schemes, codings).
bool iequals(std::string_view a, std::string_view b) {
  return boost::urls::grammar::ci_is_equal(a, b);
}

bool refused_v4(const ip::address_v4& a) {
  const auto b = a.to_bytes();
  if (b[0] == 169 && b[1] == 254) return true;  // link-local, incl. 169.254.169.254 metadata
  if (a.is_unspecified() || a.is_multicast()) return true;
  return a == ip::make_address_v4("100.100.100.200");  // Alibaba Cloud metadata
}

}  // namespace

bool is_loopback_host(std::string_view host) {
  if (iequals(host, "localhost")) return true;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  boost::system::error_code ec;
  const auto address = ip::make_address(std::string(host), ec);
  return !ec && address.is_loopback();
}

bool is_refused_address(std::string_view text) {
  boost::system::error_code ec;
  const auto address = ip::make_address(std::string(text), ec);
  if (ec) return true;
  if (address.is_v4()) return refused_v4(address.to_v4());
  const auto v6 = address.to_v6();
  if (v6.is_v4_mapped()) return refused_v4(ip::make_address_v4(ip::v4_mapped, v6));
  if (v6.is_link_local() || v6.is_unspecified() || v6.is_multicast()) return true;
  return v6 == ip::make_address_v6("fd00:ec2::254");  // AWS IMDS over IPv6
}

result<url_parts> parse_target_url(std::string_view url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return forward_errc::invalid_url;
  const auto& u = *parsed;
  // Boost.URL 1.81 reads "https://10.0.0.1.example.com/" as the address 10.0.0.1 followed by the
  // path ".example.com/": a path after an authority must start with '/', so refuse it.
  if (!u.encoded_path().empty() && u.encoded_path().front() != '/')
    return forward_errc::invalid_url;
  url_parts parts;
  if (iequals(u.scheme(), "https")) {
    parts.tls = true;
  } else if (!iequals(u.scheme(), "http")) {
    return forward_errc::invalid_url;
  }
  // Credentials in the URL would end up in logs and tables; the signature authenticates us.
  if (u.has_userinfo()) return forward_errc::invalid_url;
  parts.host = u.host_address();
  if (parts.host.empty()) return forward_errc::invalid_url;
  if (u.has_port()) {
    if (u.port_number() == 0) return forward_errc::invalid_url;
    parts.port = std::string(u.port());
  } else {
    parts.port = parts.tls ? "443" : "80";
  }
  if (!parts.tls && !is_loopback_host(parts.host)) return forward_errc::insecure_url;
  parts.target = u.encoded_path().empty() ? "/" : std::string(u.encoded_path());
  if (u.has_query()) parts.target += "?" + std::string(u.encoded_query());
  parts.host_header = std::string(u.encoded_host_and_port());
  return parts;
}

}  // namespace pons::forward
