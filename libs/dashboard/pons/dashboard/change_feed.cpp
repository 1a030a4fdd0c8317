#include "pons/dashboard/change_feed.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <map>
#include <optional>
#include <vector>

#include "pons/dashboard/answers.hpp"

namespace pons::dashboard {

namespace net = boost::asio;
using std::chrono::steady_clock;

namespace {

constexpr auto token = net::as_tuple(net::use_awaitable);

}  // namespace

// One open stream: the events waiting to be written, on the io thread. It holds its place
// among the open streams while alive.
struct feed_stream {
  feed_stream(std::shared_ptr<change_feed::impl> o, std::string who, std::string waba);
  ~feed_stream();
  feed_stream(const feed_stream&) = delete;
  feed_stream& operator=(const feed_stream&) = delete;

  void push(std::string event, std::size_t limit) {
    // A client this far behind would only grow our memory: it reconnects and reloads instead.
    if (backlog.size() >= limit) return end();
    backlog.push_back(std::move(event));
    wake.cancel();
  }
  void end() {
    ended = true;
    wake.cancel();
  }

  std::shared_ptr<change_feed::impl> owner;
  std::string principal;  // "user:3", "key:7": the unit of the per-principal limit
  std::string waba_id;    // the account it sees; "" = every account
  net::steady_timer wake;
  std::deque<std::string> backlog;
  bool ended = false;
};

struct change_feed::impl : std::enable_shared_from_this<impl> {
  impl(net::io_context& c, const guard& g, feed_options o) : io(c), access(g), opt(std::move(o)) {}

  net::io_context& io;
  const guard& access;
  feed_options opt;
  std::vector<std::weak_ptr<feed_stream>> open;  // streams alive, oldest first
  std::map<std::string, std::size_t, std::less<>> per_principal;
  bool closed = false;

  // A stream is gone: its place is free again.
  void forget(const std::string& principal) {
    std::erase_if(open, [](const auto& w) { return w.expired(); });
    if (auto it = per_principal.find(principal); it != per_principal.end() && --it->second == 0) {
      per_principal.erase(it);
    }
  }

  void deliver(const feed_change& change) {
    if (closed) return;
    // Streams of one account hear the same event: format it once per account.
    std::map<std::string, std::optional<std::string>, std::less<>> by_account;
    for (const auto& w : open) {
      auto s = w.lock();
      if (!s || s->ended) continue;
      auto [it, fresh] = by_account.try_emplace(s->waba_id);
      if (fresh) {
        if (auto view = visible_to(change, s->waba_id)) it->second = feed_changed_event(*view);
      }
      if (it->second) s->push(*it->second, opt.backlog);
    }
  }

  void close_all() {
    closed = true;
    for (const auto& w : open) {
      if (auto s = w.lock()) s->end();
    }
  }

  // The body of a stream: the opening, then events as they come and a comment when idle, until
  // the feed closes, the client is gone or too slow, or the stream's age is up.
  static net::awaitable<void> pump(std::shared_ptr<impl> self, std::shared_ptr<feed_stream> s,
                                   http::body_writer& w) {
    const auto end_of_life = steady_clock::now() + self->opt.max_age;
    if (!co_await w.write(feed_opening(self->opt.retry))) co_return;
    while (!s->ended) {
      if (!s->backlog.empty()) {
        auto event = std::move(s->backlog.front());
        s->backlog.pop_front();
        if (!co_await w.write(event)) break;
        continue;
      }
      const auto now = steady_clock::now();
      if (now >= end_of_life) break;
      s->wake.expires_after(
          std::min<steady_clock::duration>(self->opt.keepalive_interval, end_of_life - now));
      auto [ec] = co_await s->wake.async_wait(token);
      if (ec == net::error::operation_aborted) continue;  // an event, or the end
      if (steady_clock::now() >= end_of_life) break;
      if (!co_await w.write(feed_keepalive())) break;
    }
  }

  // Ends the oldest stream of `principal` that is still going.
  void end_oldest_of(std::string_view principal) {
    for (const auto& w : open) {
      auto s = w.lock();
      if (s && s->principal == principal && !s->ended) return s->end();
    }
  }

  net::awaitable<http::server_response> get(http::server_request& req) {
    auto self = shared_from_this();
    auto verdict = access.check(req);
    if (verdict.status != 0) co_return from_verdict(verdict);
    if (closed) {
      auto r = json_error(503, "the service is stopping: reconnect in a moment");
      r.headers.emplace_back("Retry-After", "2");
      co_return r;
    }
    const auto who = verdict.who.label();
    std::erase_if(open, [](const auto& w) { return w.expired(); });
    if (open.size() >= opt.max_streams) {
      auto r = json_error(429,
                          "too many live update streams are open on this Pons: try again in a "
                          "minute");
      r.headers.emplace_back("Retry-After", "10");
      r.log_note = "feed=full";
      co_return r;
    }
    // A page reloaded or a tab closed leaves its stream open until a keep-alive finds the client
    // gone: past the limit, the principal's oldest stream makes way for the newest, the page
    // being looked at.
    auto& mine = per_principal[who];
    const bool replacing = mine >= opt.max_per_principal;
    if (replacing) end_oldest_of(who);
    ++mine;
    auto s = std::make_shared<feed_stream>(self, who, verdict.who.waba_id);
    open.push_back(s);

    auto res = answer(200, "text/event-stream", {});
    // A proxy that buffers answers (nginx does) would hold the events back.
    res.headers.emplace_back("X-Accel-Buffering", "no");
    res.log_note =
        fmt::format("feed_principal={}{}", who, replacing ? " feed=replaced_oldest" : "");
    res.stream = [self, s](http::body_writer& w) { return pump(self, s, w); };
    co_return res;
  }
};

feed_stream::feed_stream(std::shared_ptr<change_feed::impl> o, std::string who, std::string waba)
    : owner(std::move(o)),
      principal(std::move(who)),
      waba_id(std::move(waba)),
      wake(owner->io.get_executor()) {}

feed_stream::~feed_stream() {
  owner->forget(principal);
}

change_feed::change_feed(net::io_context& io, const guard& access, feed_options options)
    : impl_(std::make_shared<impl>(io, access, std::move(options))) {}

void change_feed::add_routes(http::router& routes) {
  auto i = impl_;
  routes.add("GET", i->opt.path, [i](http::server_request& r) { return i->get(r); });
}

void change_feed::publish(feed_change change) {
  net::post(impl_->io, [i = impl_, c = std::move(change)] { i->deliver(c); });
}

void change_feed::close() {
  net::dispatch(impl_->io, [i = impl_] { i->close_all(); });
}

std::size_t change_feed::streams() const {
  return static_cast<std::size_t>(std::count_if(impl_->open.begin(), impl_->open.end(),
                                                [](const auto& w) { return !w.expired(); }));
}

}  // namespace pons::dashboard
