#pragma once
// The dashboard's live change feed: GET /api/v1/events, a Server-Sent Events stream that tells
// a page which conversations changed (and whether the inbox grew or templates changed) within
// moments of a webhook, so the inbox and an open thread update without a reload. Each stream
// hears only what its principal may see. A stream holds a few events for a client that reads
// slowly; one that falls further behind is closed and reconnects (EventSource does so itself),
// so publishing never waits for a client. Runs on the server's io_context; publish() and close()
// may be called from any thread.

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "pons/dashboard/feed_change.hpp"
#include "pons/dashboard/guard.hpp"
#include "pons/http/server.hpp"

namespace pons::dashboard {

/// Limits and timings of the feed.
struct feed_options {
  std::string path = "/api/v1/events";
  std::size_t max_streams = 256;      // open streams in all; one more is answered 429
  std::size_t max_per_principal = 8;  // open streams of one user or key; one more ends the
                                      // oldest of them
  std::size_t backlog = 64;           // events waiting for a slow client; one more closes it
  std::chrono::milliseconds keepalive_interval{15'000};
  std::chrono::milliseconds retry{2000};  // the reconnection delay a browser is told
  // A stream ends after this long and the browser reconnects through the guard again, so a
  // user signed out (or a key revoked) stops hearing of changes by then.
  std::chrono::milliseconds max_age{std::chrono::minutes(5)};
};

/// The feed and its route.
class change_feed {
 public:
  /// `access` checks every request and outlives the feed's routes.
  change_feed(boost::asio::io_context& io, const guard& access, feed_options options = {});
  change_feed(const change_feed&) = delete;
  change_feed& operator=(const change_feed&) = delete;

  /// Registers GET on the feed's path.
  void add_routes(http::router& routes);

  /// Tells every open stream what its principal may see of `change`; never waits for a client.
  void publish(feed_change change);

  /// Ends every stream and refuses new ones (on shutdown), so their connections can close.
  void close();

  /// Open streams (io thread).
  std::size_t streams() const;

  struct impl;

 private:
  std::shared_ptr<impl> impl_;
};

}  // namespace pons::dashboard
