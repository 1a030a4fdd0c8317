#pragma once
// MCP's Streamable HTTP transport (2025-11-25 and the revisions before it) on our HTTP server:
// POST /mcp answered as JSON or as a Server-Sent Events stream, GET /mcp for the session's own
// stream of server notifications, DELETE /mcp to end a session. One engine per session, all
// sharing one registry and one worker pool. Everything is bounded: sessions (the one idle
// longest is closed first), open requests and streams per session, body size, idle time.
// Runs on the server's io_context; only notify() may be called from other threads.

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pons/http/server.hpp"
#include "pons/mcp/engine.hpp"
#include "pons/mcp/registry.hpp"
#include "pons/mcp/worker_pool.hpp"
#include "pons/mcp_http/authenticator.hpp"
#include "pons/mcp_http/session_table.hpp"

namespace pons::mcp_http {

/// Settings of the transport.
struct transport_options {
  std::string path = "/mcp";
  std::size_t body_limit = 1024 * 1024;  // a larger POST body is answered 413
  session_limits sessions;
  // POSTs waiting for their answers and GET streams open, per session; one more is answered 429.
  std::size_t max_open_per_session = 8;
  // An open stream with nothing to say sends an SSE comment this often, so a client that went
  // away is noticed (the write fails) and proxies do not time the stream out.
  std::chrono::milliseconds keepalive_interval{15'000};
  // A 2025-11-25 POST answered as a stream holds its head this long at most for the answer, so
  // that a quick answer goes out with it in one send; then a comment sends it (the client knows
  // its request was taken). At most keepalive_interval.
  std::chrono::milliseconds head_hold{1'000};
  std::vector<std::string> allowed_origins;  // requests with another Origin are answered 403
  bool allow_loopback_origins = false;       // also http(s)://localhost, 127.0.0.1, [::1]
  authenticator authenticate = refuse_everything();
  /// Asked again about the principals of sessions in use (a request or stream open); a principal
  /// no longer valid has every session closed. Empty: a principal stays valid for its sessions.
  principal_check still_valid;
  // How often principals are asked again, and how many distinct ones at most each time (the
  // others in the following rounds): a query per principal, never on a request's path.
  std::chrono::milliseconds recheck_interval{1000};
  std::size_t recheck_per_round = 16;
  mcp::engine_options engine;  // each session's engine
  /// Where the tools that wait on someone else (calls_out) run; nullptr: on the transport's pool.
  /// Must outlive the transport.
  mcp::worker_pool* call_out_pool = nullptr;
  /// Told of each session opened or closed (event name, key=value fields); may be empty.
  std::function<void(std::string_view, std::string_view)> log;
};

/// The /mcp endpoint.
class transport {
 public:
  /// The registry and pool must outlive the transport.
  transport(boost::asio::io_context& io, const mcp::registry& tools, mcp::worker_pool& pool,
            transport_options options);
  /// Ends every session and waits until their engines have stopped.
  ~transport();
  transport(const transport&) = delete;
  transport& operator=(const transport&) = delete;

  /// Registers POST, GET and DELETE on the endpoint path.
  void add_routes(http::router& routes);

  /// Ends every session and stream and stops the expiry timer (io thread; on shutdown).
  void close();

  /// Runs `what` on each session's engine, on the io thread (safe from any thread): change
  /// notifications from the database watcher.
  void notify(std::function<void(mcp::engine&)> what);

  /// Number of sessions (io thread).
  std::size_t sessions() const;

  /// Session gauges and counters in Prometheus text format (io thread).
  std::string metrics_text() const;

  struct impl;

 private:
  std::shared_ptr<impl> impl_;
};

}  // namespace pons::mcp_http
