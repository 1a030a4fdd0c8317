#pragma once
// A small HTTP/1.1 server: one coroutine per connection on one io_context, bounded reads
// (header and body limits, deadlines), bounded connections (per address and in total, see
// connection_table.hpp), strict request framing, keep-alive, a router, request ids and one
// structured log line per request. Beast stays in server.cpp; this header only needs Asio's
// awaitable.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/system/result.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pons::http {

/// One header as received or to be sent.
using header_field = std::pair<std::string, std::string>;

/// A fully read request, handed to a route handler.
struct server_request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent, query included
  std::string path;    // target without the query string
  std::string query;   // raw query string after '?', empty when none
  std::vector<header_field> headers;
  std::string body;
  std::string request_id;    // validated client id or a generated one
  std::string peer_address;  // the connected peer's IP address, without the port
  std::chrono::steady_clock::time_point received{};

  /// Value of the first header named `name` (case-insensitive), empty when absent.
  std::string_view header(std::string_view name) const;
  /// True when a header named `name` is present (case-insensitive).
  bool has_header(std::string_view name) const;
};

/// Writes the body of a streamed answer piece by piece (chunked transfer coding on HTTP/1.1).
class body_writer {
 public:
  virtual ~body_writer() = default;
  /// Sends `parts`, one after the other, as one piece of the body in one send (no copy into one
  /// string), within the write timeout; with `last`, the body's end goes in the same send and
  /// nothing can be written after it. False once the client is gone or too slow.
  virtual boost::asio::awaitable<bool> write_parts(std::span<const std::string_view> parts,
                                                   bool last) = 0;
  /// Whether the answer's head is still held for the first write (server_response's
  /// head_with_body).
  virtual bool holds_head() const = 0;
  /// Sends `data` now; false once the client is gone or too slow.
  boost::asio::awaitable<bool> write(std::string_view data) {
    co_return co_await write_parts(std::span(&data, 1), false);
  }
  /// Sends `data` as the body's last piece with the body's end in the same write (one send
  /// instead of two); false once the client is gone. Nothing can be written after it.
  boost::asio::awaitable<bool> write_last(std::string_view data) {
    co_return co_await write_parts(std::span(&data, 1), true);
  }
};

/// Produces a streamed body (Server-Sent Events, say); the answer ends when it returns.
using body_stream = std::function<boost::asio::awaitable<void>(body_writer&)>;

/// What a handler answers. The server adds X-Request-Id, Content-Length and keep-alive.
struct server_response {
  int status = 200;
  std::string content_type = "text/plain";
  std::string body;
  std::vector<header_field> headers;
  std::string log_note;  // appended to the request's log line; must never hold a secret
  // When set, the headers go out (at once unless head_with_body) and this writes the body
  // (`body` is not sent); the connection is busy until it returns. On HTTP/1.0 the connection
  // closes after it.
  body_stream stream;
  // With `stream`: the head waits for the body's first write and goes out in the same send (an
  // answer ready at once costs the client one read), or when the producer returns.
  bool head_with_body = false;
};

/// A route handler; runs on the server's io_context.
using handler = std::function<boost::asio::awaitable<server_response>(server_request&)>;

/// Exact-path routing; a known path with another method answers 405 with Allow.
class router {
 public:
  /// Register `h` for `method` on `path` (exact match, no query string).
  void add(std::string method, std::string path, handler h);

  /// Result of a lookup: the handler, or the status to answer (404/405) and the Allow value.
  struct match {
    const handler* found = nullptr;
    int status = 404;
    std::string allow;
    std::string route;  // the registered path, or "other" (a bounded label for metrics)
  };
  /// Find the handler for a method and path.
  match find(std::string_view method, std::string_view path) const;

  /// Every registered route as "METHOD /path", in registration order.
  std::vector<std::string> describe() const;

 private:
  struct entry {
    std::string method;
    std::string path;
    handler h;
  };
  std::vector<entry> entries_;
};

/// Limits, timeouts and the listening address.
struct server_options {
  std::string bind_address = "127.0.0.1";
  std::uint16_t port = 8080;  // 0 lets the system pick; see server::port()
  std::size_t body_limit = 4 * 1024 * 1024;
  std::uint32_t header_limit = 16 * 1024;
  // From the moment the server waits for a request (the connection was accepted, or the last
  // request answered) to the end of its headers: the first byte of every request, keep-alive
  // follow-ups included, must arrive within this time. It is also the keep-alive idle time.
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds request_timeout{30'000};  // first byte to end of body
  std::chrono::milliseconds write_timeout{30'000};
  // Open connections in all, and from one address (an IPv4 address, an IPv6 /64). A new
  // connection over either limit replaces the connection that has waited longest for a request
  // (of that address, or of anyone); when all are busy with requests it is answered 503.
  std::size_t max_connections = 4096;
  std::size_t max_connections_per_address = 1024;
  /// Receives one finished log line per request (no trailing newline). Default: stderr.
  std::function<void(std::string_view)> log_sink;
  /// Called once per answered request with its route label, status and duration.
  std::function<void(std::string_view route, int status, std::chrono::nanoseconds)> on_response;
};

/// Whether a client-sent X-Request-Id may be kept: 1..128 printable ASCII characters, no space.
bool valid_request_id(std::string_view id);

/// The HTTP server. Create, listen(), then run the io_context; stop() drains gracefully.
class server {
 public:
  /// A server on `io`, answering through `routes`.
  server(boost::asio::io_context& io, server_options options, router routes);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Bind and listen, then start accepting. Returns the bound port (useful with port 0).
  boost::system::result<std::uint16_t> listen();

  /// Stop accepting, close idle connections, let in-flight requests finish and answer with
  /// `Connection: close`. The io_context runs out of work once the last one is done.
  void stop();

  /// Number of open connections (io_context thread only).
  std::size_t connections() const;

  /// Connection gauges and counters in Prometheus text format (io_context thread only).
  std::string metrics_text() const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace pons::http
