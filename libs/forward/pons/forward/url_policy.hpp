#pragma once
// Where forwarding may send: https anywhere, plain http only to loopback, and never to link-local
// or cloud metadata addresses (unless the operator allows them). Pure functions, no I/O.

#include <string>
#include <string_view>

#include "pons/forward/error.hpp"

namespace pons::forward {

/// The parts of a target URL a connection needs.
struct url_parts {
  bool tls = false;
  std::string host;         // without brackets for IPv6 literals
  std::string port;         // "443"/"80" when the URL has none
  std::string target;       // path and query, "/" when empty
  std::string host_header;  // host[:port] as written in the URL
};

/// Checks a target URL: absolute, http or https, a host, no user info; plain http only when
/// the host is localhost, 127.0.0.0/8 or [::1] (insecure_url otherwise).
result<url_parts> parse_target_url(std::string_view url);

/// True for "localhost" and loopback IP literals (127.0.0.0/8, ::1, with or without brackets).
bool is_loopback_host(std::string_view host);

/// True when an IP address (textual) must not be reached by forwarding: link-local
/// (169.254.0.0/16, fe80::/10, also IPv4-mapped), the unspecified address, multicast and
/// well-known cloud metadata addresses (fd00:ec2::254, 100.100.100.200). Unparsable text is
/// refused too (fail closed).
bool is_refused_address(std::string_view ip);

}  // namespace pons::forward
