#pragma once
// Hand a value from any thread to a coroutine waiting on an io_context: the worker calls set(),
// the coroutine co_awaits wait(). Used to answer a request only after its commit.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>
#include <optional>

namespace pons::webhook {

/// A one-shot value produced on another thread and awaited on the io_context.
template <class T>
class cross_thread_result : public std::enable_shared_from_this<cross_thread_result<T>> {
 public:
  /// Create one bound to `ex` (the awaiting coroutine's executor).
  static std::shared_ptr<cross_thread_result> create(boost::asio::any_io_executor ex) {
    return std::shared_ptr<cross_thread_result>(new cross_thread_result(std::move(ex)));
  }

  /// Deliver the value; safe from any thread, at most once.
  void set(T value) {
    boost::asio::post(timer_.get_executor(),
                      [self = this->shared_from_this(), v = std::move(value)]() mutable {
                        self->value_ = std::move(v);
                        self->timer_.cancel();
                      });
  }

  /// Wait for the value (on the io_context thread).
  boost::asio::awaitable<T> wait() {
    while (!value_) co_await timer_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    co_return std::move(*value_);
  }

 private:
  explicit cross_thread_result(boost::asio::any_io_executor ex)
      : timer_(std::move(ex), boost::asio::steady_timer::time_point::max()) {}

  boost::asio::steady_timer timer_;
  std::optional<T> value_;
};

}  // namespace pons::webhook
