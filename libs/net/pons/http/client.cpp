#include "pons/http/client.hpp"

#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/grammar/ci_string.hpp>
#include <boost/url/parse.hpp>
#include <map>
#include <optional>

namespace pons::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr auto token = net::as_tuple(net::use_awaitable);

class client_category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "pons.http.client"; }
  std::string message(int ev) const override {
    switch (static_cast<client_errc>(ev)) {
      case client_errc::bad_url:
        return "not an absolute http(s) URL";
      case client_errc::insecure_scheme:
        return "plain http is only allowed to loopback hosts; use https";
      case client_errc::resolve_failed:
        return "host name could not be resolved";
      case client_errc::connect_failed:
        return "could not connect to the server";
      case client_errc::tls_failed:
        return "TLS handshake or certificate verification failed";
      case client_errc::timeout:
        return "request timed out";
      case client_errc::io_failed:
        return "connection failed while sending or receiving";
      case client_errc::body_too_large:
        return "response body exceeds the size limit";
      case client_errc::bad_response:
        return "malformed HTTP response";
      case client_errc::address_refused:
        return "the host resolves to an address this client may not reach";
      case client_errc::tls_setup_failed:
        return "CA file could not be loaded";
    }
    return "unknown http client error";
  }
};

// ASCII case-insensitive equality (header names, schemes, codings).
bool iequals(std::string_view a, std::string_view b) {
  return boost::urls::grammar::ci_is_equal(a, b);
}

bool is_ip_literal(const std::string& host) {
  error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
}

// Where a URL points, split the way a connection needs it.
struct target {
  bool tls = false;
  std::string host;  // without brackets
  std::string port;
  std::string path_and_query;
  std::string host_header;
  std::string origin;  // connection cache key
};

boost::system::result<target> parse_target(std::string_view url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return make_error_code(client_errc::bad_url);
  const auto& u = *parsed;
  // Boost.URL 1.81 reads "http://127.0.0.1.example.com/" as the address 127.0.0.1 followed by
  // the path ".example.com/": a path after an authority must start with '/', so refuse it.
  if (!u.encoded_path().empty() && u.encoded_path().front() != '/')
    return make_error_code(client_errc::bad_url);
  target t;
  if (u.scheme() == "https") {
    t.tls = true;
  } else if (u.scheme() != "http") {
    return make_error_code(client_errc::bad_url);
  }
  t.host = u.host_address();
  if (t.host.empty()) return make_error_code(client_errc::bad_url);
  t.port = u.has_port() ? std::string(u.port()) : (t.tls ? "443" : "80");
  if (!t.tls && !is_loopback_host(t.host)) return make_error_code(client_errc::insecure_scheme);
  t.path_and_query = u.encoded_path().empty() ? "/" : std::string(u.encoded_path());
  if (u.has_query()) t.path_and_query += "?" + std::string(u.encoded_query());
  t.host_header = std::string(u.encoded_host_and_port());
  t.origin = std::string(u.scheme()) + "://" + t.host_header;
  return t;
}

// One kept-alive connection to one origin.
struct connection {
  explicit connection(net::io_context& ioc, ssl::context* ctx) {
    if (ctx) {
      secure.emplace(ioc, *ctx);
    } else {
      plain.emplace(ioc);
    }
  }
  beast::tcp_stream& tcp() { return secure ? beast::get_lowest_layer(*secure) : *plain; }

  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;
};

bool is_stale_connection_error(const error_code& ec) {
  // What a server closing an idle keep-alive connection looks like from our side.
  return ec == bhttp::error::end_of_stream || ec == net::error::eof ||
         ec == net::error::connection_reset || ec == net::error::broken_pipe ||
         ec == net::ssl::error::stream_truncated;
}

}  // namespace

const boost::system::error_category& client_category() noexcept {
  static const client_category_impl category;
  return category;
}

boost::system::error_code make_error_code(client_errc e) noexcept {
  return {static_cast<int>(e), client_category()};
}

std::string_view response::header_value(std::string_view name) const {
  for (const auto& h : headers) {
    if (iequals(h.name, name)) return h.value;
  }
  return {};
}

bool is_loopback_host(std::string_view host) {
  if (iequals(host, "localhost")) return true;
  if (!host.empty() && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  error_code ec;
  auto address = net::ip::make_address(std::string(host), ec);
  return !ec && address.is_loopback();
}

struct client::impl {
  explicit impl(client_options opts) : options(std::move(opts)) {}

  // Built on first https use: loading the system CA store costs ~100 ms, which plain-http
  // clients (loopback tests, the fake's webhook deliveries) should not pay.
  boost::system::result<ssl::context*> tls_context() {
    if (ctx) return &*ctx;
    if (ctx_error) return ctx_error;
    ssl::context c{ssl::context::tls_client};
    c.set_verify_mode(ssl::verify_peer);
    error_code ignored;  // a machine without a system store still works with ca_file
    if (options.use_system_ca) c.set_default_verify_paths(ignored);
    if (!options.ca_file.empty()) {
      error_code ec;
      c.load_verify_file(options.ca_file, ec);
      if (ec) {
        ctx_error = make_error_code(client_errc::tls_setup_failed);
        return ctx_error;
      }
    }
    ctx.emplace(std::move(c));
    return &*ctx;
  }

  // Opens a new connection (resolve, connect, TLS handshake) before the deadline.
  net::awaitable<error_code> open(connection& conn, const target& t,
                                  std::chrono::steady_clock::time_point deadline) {
    tcp::resolver resolver(ioc);
    net::steady_timer resolve_timer(ioc);
    bool timed_out = false;
    resolve_timer.expires_at(deadline);
    resolve_timer.async_wait([&](error_code ec) {
      if (!ec) {
        timed_out = true;
        resolver.cancel();
      }
    });
    auto [resolve_ec, endpoints] = co_await resolver.async_resolve(t.host, t.port, token);
    resolve_timer.cancel();
    if (timed_out) co_return make_error_code(client_errc::timeout);
    if (resolve_ec) co_return make_error_code(client_errc::resolve_failed);
    if (options.refuse_address) {
      for (const auto& entry : endpoints) {
        if (options.refuse_address(entry.endpoint().address().to_string())) {
          co_return make_error_code(client_errc::address_refused);
        }
      }
    }

    conn.tcp().expires_at(deadline);
    auto [connect_ec, endpoint] = co_await conn.tcp().async_connect(endpoints, token);
    (void)endpoint;
    if (connect_ec == beast::error::timeout) co_return make_error_code(client_errc::timeout);
    if (connect_ec) co_return make_error_code(client_errc::connect_failed);
    ++opened;

    if (conn.secure) {
      auto& stream = *conn.secure;
      // SNI is for names only (RFC 6066); IP literals are checked against IP SANs.
      if (!is_ip_literal(t.host) &&
          !SSL_set_tlsext_host_name(stream.native_handle(), t.host.c_str())) {
        co_return make_error_code(client_errc::tls_failed);
      }
      stream.set_verify_callback(ssl::host_name_verification(t.host));
      auto [hs_ec] = co_await stream.async_handshake(ssl::stream_base::client, token);
      if (hs_ec == beast::error::timeout) co_return make_error_code(client_errc::timeout);
      if (hs_ec) co_return make_error_code(client_errc::tls_failed);
    }
    co_return error_code{};
  }

  template <class Stream>
  net::awaitable<std::pair<error_code, bool>> exchange(Stream& stream, connection& conn,
                                                       bhttp::request<bhttp::string_body>& req,
                                                       response& out) {
    auto [write_ec, written] = co_await bhttp::async_write(stream, req, token);
    (void)written;
    if (write_ec) co_return std::pair{write_ec, false};

    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(options.body_limit);
    parser.header_limit(64 * 1024);
    auto [read_ec, read] = co_await bhttp::async_read(stream, conn.buffer, parser, token);
    (void)read;
    if (read_ec) co_return std::pair{read_ec, parser.got_some()};

    auto& res = parser.get();
    out.status = static_cast<int>(res.result_int());
    out.headers.clear();
    for (const auto& field : res) {
      out.headers.push_back({std::string(field.name_string()), std::string(field.value())});
    }
    out.body = std::move(res.body());
    co_return std::pair{error_code{}, res.keep_alive()};
  }

  net::awaitable<boost::system::result<response>> run(const request& r, target t) {
    const auto deadline = std::chrono::steady_clock::now() + options.timeout;

    bhttp::request<bhttp::string_body> req;
    auto verb = bhttp::string_to_verb(r.method);
    if (verb == bhttp::verb::unknown) co_return make_error_code(client_errc::bad_url);
    req.method(verb);
    req.target(t.path_and_query);
    req.version(11);
    req.set(bhttp::field::host, t.host_header);
    req.set(bhttp::field::user_agent, options.user_agent);
    for (const auto& h : r.headers) req.set(h.name, h.value);
    req.body() = r.body;
    req.keep_alive(true);
    req.prepare_payload();

    // A kept-alive connection may have been closed by the server meanwhile: then retry once
    // on a fresh connection.
    for (int attempt = 0; attempt < 2; ++attempt) {
      auto& slot = connections[t.origin];
      bool reused = slot != nullptr;
      if (!slot) {
        ssl::context* tls = nullptr;
        if (t.tls) {
          auto c = tls_context();
          if (!c) {
            connections.erase(t.origin);
            co_return c.error();
          }
          tls = *c;
        }
        slot = std::make_unique<connection>(ioc, tls);
        auto ec = co_await open(*slot, t, deadline);
        if (ec) {
          connections.erase(t.origin);
          co_return ec;
        }
      }
      auto& conn = *slot;
      conn.tcp().expires_at(deadline);
      response out;
      std::pair<error_code, bool> result;
      if (conn.secure) {
        result = co_await exchange(*conn.secure, conn, req, out);
      } else {
        result = co_await exchange(*conn.plain, conn, req, out);
      }
      auto [ec, flag] = result;
      if (!ec) {
        if (!flag) close(t.origin);
        co_return out;
      }
      close(t.origin);
      if (reused && !flag && is_stale_connection_error(ec)) continue;
      if (ec == beast::error::timeout) co_return make_error_code(client_errc::timeout);
      if (ec == bhttp::error::body_limit) co_return make_error_code(client_errc::body_too_large);
      if (ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category() &&
          ec != bhttp::error::end_of_stream) {
        co_return make_error_code(client_errc::bad_response);
      }
      co_return make_error_code(client_errc::io_failed);
    }
    co_return make_error_code(client_errc::io_failed);
  }

  void close(const std::string& origin) {
    auto it = connections.find(origin);
    if (it == connections.end()) return;
    error_code ignored;
    it->second->tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    it->second->tcp().close();
    connections.erase(it);
  }

  client_options options;
  net::io_context ioc;
  std::optional<ssl::context> ctx;
  error_code ctx_error;
  std::map<std::string, std::unique_ptr<connection>> connections;
  std::size_t opened = 0;
};

client::client(client_options options) : impl_(std::make_unique<impl>(std::move(options))) {}
client::~client() = default;
client::client(client&&) noexcept = default;
client& client::operator=(client&&) noexcept = default;

boost::system::result<response> client::send(const request& req) {
  auto t = parse_target(req.url);
  if (!t) return t.error();

  std::optional<boost::system::result<response>> outcome;
  net::co_spawn(impl_->ioc, impl_->run(req, std::move(*t)),
                [&](std::exception_ptr ep, boost::system::result<response> r) {
                  if (ep) {
                    outcome.emplace(make_error_code(client_errc::io_failed));
                  } else {
                    outcome.emplace(std::move(r));
                  }
                });
  impl_->ioc.restart();
  impl_->ioc.run();
  if (!outcome) return make_error_code(client_errc::io_failed);
  return std::move(*outcome);
}

std::size_t client::connections_opened() const noexcept {
  return impl_->opened;
}

}  // namespace pons::http
