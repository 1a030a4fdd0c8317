#pragma once
// A small blocking HTTP/1.1 client for talking to Meta's Graph API (and to loopback fakes).
// One instance per thread: it owns its own io_context and keeps one connection alive per
// origin. Beast stays in client.cpp so that including this header is cheap.

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace pons::http {

/// Why a request produced no HTTP response.
enum class client_errc {
  bad_url = 1,       // not an absolute http(s) URL
  insecure_scheme,   // plain http to a host that is not loopback
  resolve_failed,    // DNS lookup failed
  connect_failed,    // no endpoint accepted the TCP connection
  tls_failed,        // TLS handshake or certificate verification failed
  timeout,           // the whole request took longer than the configured timeout
  io_failed,         // the connection broke while writing or reading
  body_too_large,    // the response body exceeded the configured limit
  bad_response,      // the peer did not speak HTTP/1.1
  tls_setup_failed,  // the CA file could not be loaded
  address_refused,   // a resolved address was refused by client_options::refuse_address
};

/// The error category of client_errc.
const boost::system::error_category& client_category() noexcept;

/// Makes client_errc usable as an error_code.
boost::system::error_code make_error_code(client_errc e) noexcept;

/// Settings of a client; the defaults are what talking to Meta needs.
struct client_options {
  std::chrono::milliseconds timeout{30000};   // per request, connect to last body byte
  std::size_t body_limit = 64 * 1024 * 1024;  // response bodies (media can be large)
  std::string ca_file;                        // extra PEM CA bundle to trust (WA_GRAPH_CA_FILE)
  bool use_system_ca = true;                  // trust the system store as well
  std::string user_agent = "pons";
  /// When set, called with every resolved address (text) before connecting; if it returns true
  /// for any of them, no connection is made (address_refused). Forwarding uses it to keep away
  /// from link-local and cloud metadata addresses.
  std::function<bool(std::string_view address)> refuse_address;
};

/// One header line.
struct header {
  std::string name;
  std::string value;
};

/// An outgoing request. `url` is absolute (http://host:port/path?query).
struct request {
  std::string method = "GET";
  std::string url;
  std::vector<header> headers;
  std::string body;
};

/// A complete response.
struct response {
  int status = 0;
  std::vector<header> headers;
  std::string body;

  /// The first header with this name (case-insensitive), or "".
  std::string_view header_value(std::string_view name) const;
};

/// True for 127.0.0.0/8, ::1 and "localhost": the only hosts plain http may reach.
bool is_loopback_host(std::string_view host);

/// Blocking HTTP/1.1 client with TLS peer verification, keep-alive and a per-request deadline.
class client {
 public:
  /// Builds the TLS context (system CA store and/or options.ca_file).
  explicit client(client_options options = {});
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;
  client(client&&) noexcept;
  client& operator=(client&&) noexcept;

  /// Sends one request and waits for the full response. Any HTTP status is a response; an
  /// error means no (complete) response arrived.
  boost::system::result<response> send(const request& req);

  /// How many TCP connections this client opened so far (to observe keep-alive).
  std::size_t connections_opened() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace pons::http

namespace boost::system {
template <>
struct is_error_code_enum<pons::http::client_errc> : std::true_type {};
}  // namespace boost::system
