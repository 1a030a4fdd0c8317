#pragma once
// Runs a job on a worker pool and waits for its value without holding the listener's thread:
// password checks and tool calls take milliseconds the listener must spend on other requests.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>
#include <optional>
#include <utility>

#include "pons/mcp/worker_pool.hpp"

namespace pons::dashboard {

/// The value `job` returns on one of `workers`' threads; nullopt, without running it, when
/// every worker is busy and the queue is full.
template <class Job>
auto on_worker(mcp::worker_pool& workers, Job job)
    -> boost::asio::awaitable<std::optional<decltype(job())>> {
  namespace net = boost::asio;
  using value_type = decltype(job());
  struct waiter {
    explicit waiter(net::any_io_executor ex)
        : timer(std::move(ex), net::steady_timer::time_point::max()) {}
    net::steady_timer timer;
    std::optional<value_type> value;
  };
  auto w = std::make_shared<waiter>(co_await net::this_coro::executor);
  const bool queued = workers.post([w, job = std::move(job)]() mutable {
    auto value = job();
    net::post(w->timer.get_executor(), [w, value = std::move(value)]() mutable {
      w->value = std::move(value);
      w->timer.cancel();
    });
  });
  if (!queued) co_return std::nullopt;
  while (!w->value) co_await w->timer.async_wait(net::as_tuple(net::use_awaitable));
  co_return std::move(w->value);
}

}  // namespace pons::dashboard
