#include "core/http/server.hpp"

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>
#include <ctime>
#include <exception>
#include <iterator>
#include <list>
#include <random>

#include "core/logging/log_field.hpp"

namespace pons::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using std::chrono::steady_clock;

namespace {

constexpr auto token = net::as_tuple(net::use_awaitable);

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto x = static_cast<unsigned char>(a[i]);
    auto y = static_cast<unsigned char>(b[i]);
    if (x >= 'A' && x <= 'Z') x = static_cast<unsigned char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<unsigned char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

std::string utc_now() {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

// Every answer, from a handler or from the server itself: status, content type, the request id,
// the handler's extra headers, keep-alive and the body (moved out of `res`).
bhttp::response<bhttp::string_body> build_response(server_response& res, unsigned version,
                                                   std::string_view request_id, bool keep_alive) {
  bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(res.status), version};
  out.set(bhttp::field::content_type, res.content_type);
  out.set("X-Request-Id", request_id);
  for (const auto& [k, v] : res.headers) out.set(k, v);
  out.keep_alive(keep_alive);
  out.body() = std::move(res.body);
  out.prepare_payload();
  return out;
}

}  // namespace

std::string_view server_request::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return v;
  return {};
}

bool server_request::has_header(std::string_view name) const {
  for (const auto& h : headers)
    if (iequals(h.first, name)) return true;
  return false;
}

void router::add(std::string method, std::string path, handler h) {
  entries_.push_back(entry{std::move(method), std::move(path), std::move(h)});
}

router::match router::find(std::string_view method, std::string_view path) const {
  match m;
  m.route = "other";
  for (const auto& e : entries_) {
    if (e.path != path) continue;
    m.route = e.path;
    if (e.method == method) {
      m.found = &e.h;
      m.status = 200;
      return m;
    }
    if (!m.allow.empty()) m.allow += ", ";
    m.allow += e.method;
  }
  m.status = m.allow.empty() ? 404 : 405;
  return m;
}

bool valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '"') return false;
  }
  return true;
}

struct server::impl : std::enable_shared_from_this<impl> {
  struct connection {
    beast::tcp_stream* stream;
    bool busy;
  };

  net::io_context& io;
  server_options opt;
  router routes;
  tcp::acceptor acceptor;
  bool stopping = false;
  std::list<connection> conns;
  std::mt19937_64 rng;

  // Default sink: lines collect here and go to stderr in one write once the io_context has run
  // the handlers that are ready now (one write per burst of requests instead of one per line).
  std::string log_buffer;
  bool log_flush_posted = false;

  impl(net::io_context& ctx, server_options o, router r)
      : io(ctx),
        opt(std::move(o)),
        routes(std::move(r)),
        acceptor(ctx),
        rng(std::random_device{}()) {}

  void emit_log(std::string_view line) {
    if (opt.log_sink) {
      opt.log_sink(line);
      return;
    }
    log_buffer.append(line);
    log_buffer.push_back('\n');
    if (log_flush_posted) return;
    log_flush_posted = true;
    net::post(io, [self = shared_from_this()] {
      // Whole lines in one write, so lines of other threads do not interleave mid-line.
      std::fwrite(self->log_buffer.data(), 1, self->log_buffer.size(), stderr);
      self->log_buffer.clear();
      self->log_flush_posted = false;
    });
  }

  std::string new_request_id() { return fmt::format("{:016x}{:016x}", rng(), rng()); }

  struct log_fields {
    std::string_view method = "-";
    std::string_view path;
    int status = 0;
    steady_clock::time_point start;
    std::string_view request_id;
    std::size_t bytes_in = 0;
    std::size_t bytes_out = 0;
    std::string_view note;
  };

  void log_request(const log_fields& f, std::string_view remote) {
    auto elapsed = steady_clock::now() - f.start;
    double ms = std::chrono::duration<double, std::milli>(elapsed).count();
    // Method, path and request id are what a client sent: escaped, so they cannot break the line.
    std::string line = fmt::format("ts={} level=info event=request method=", utc_now());
    logging::append_log_value(line, f.method, 16);
    line += " path=";
    logging::append_log_value(line, f.path, 256);
    fmt::format_to(std::back_inserter(line), " status={} duration_ms={:.3f} request_id=", f.status,
                   ms);
    logging::append_log_value(line, f.request_id, 128);
    fmt::format_to(std::back_inserter(line), " bytes_in={} bytes_out={} remote={}", f.bytes_in,
                   f.bytes_out, remote);
    if (!f.note.empty()) {
      line += ' ';
      line += f.note;
    }
    emit_log(line);
  }

  void report(std::string_view route, int status, steady_clock::time_point start) {
    if (opt.on_response) opt.on_response(route, status, steady_clock::now() - start);
  }

  // Answer an error found while reading (no handler ran), then close after a short linger so the
  // client can read the answer before the connection goes away.
  net::awaitable<void> answer_and_close(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                        int status, std::string body, log_fields f,
                                        std::string_view remote) {
    server_response answer;
    answer.status = status;
    answer.body = std::move(body);
    auto res = build_response(answer, 11, f.request_id, false);
    stream.expires_after(opt.write_timeout);
    auto [ec, n] = co_await bhttp::async_write(stream, res, token);
    f.status = status;
    f.bytes_out = n;
    log_request(f, remote);
    report("other", status, f.start);
    if (ec) co_return;
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    // Drain what the client is still sending for a bounded time, so closing does not reset the
    // connection before it has read the answer.
    stream.expires_after(std::chrono::milliseconds(500));
    for (;;) {
      buffer.clear();
      auto [rec, rn] = co_await stream.async_read_some(buffer.prepare(16 * 1024), token);
      if (rec) break;
    }
  }

  net::awaitable<void> session(std::shared_ptr<impl> self, tcp::socket socket) {
    beast::error_code ignored;
    std::string remote = "-";
    if (auto ep = socket.remote_endpoint(ignored); !ignored)
      remote = fmt::format("{}:{}", ep.address().to_string(), ep.port());
    beast::tcp_stream stream(std::move(socket));
    auto self_it = conns.insert(conns.end(), connection{&stream, false});
    struct unregister {
      impl* owner;
      std::list<connection>::iterator it;
      ~unregister() { owner->conns.erase(it); }
    } unreg{this, self_it};

    beast::flat_buffer buffer;
    bool keep_alive = true;
    while (keep_alive && !stopping) {
      self_it->busy = false;
      // Wait for the next request; an idle keep-alive connection is closed after idle_timeout.
      if (buffer.size() == 0) {
        stream.expires_after(opt.idle_timeout);
        auto [ec, n] = co_await stream.async_read_some(buffer.prepare(8 * 1024), token);
        buffer.commit(n);
        if (ec) break;
      }
      self_it->busy = true;
      log_fields f;
      f.start = steady_clock::now();

      // The whole header must arrive within header_timeout, the body within request_timeout:
      // deadlines, not idle timers, so a client trickling bytes cannot hold the connection.
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(opt.header_limit);
      parser.body_limit(opt.body_limit);
      stream.expires_after(opt.header_timeout);
      auto [hec, hn] = co_await bhttp::async_read_header(stream, buffer, parser, token);
      std::string rid;
      if (parser.is_header_done()) {
        auto sent = parser.get()["X-Request-Id"];
        rid = valid_request_id(sent) ? std::string(sent) : new_request_id();
        f.method = parser.get().method_string();
        f.path = parser.get().target().substr(0, parser.get().target().find('?'));
      } else {
        rid = new_request_id();
      }
      f.request_id = rid;
      f.bytes_in = hn;
      if (hec) {
        if (hec == bhttp::error::header_limit) {
          co_await answer_and_close(stream, buffer, 431, "request header too large\n", f, remote);
        } else if (hec == bhttp::error::body_limit) {
          co_await answer_and_close(stream, buffer, 413, "request body too large\n", f, remote);
        } else if (hec != beast::error::timeout && hec != bhttp::error::end_of_stream &&
                   hec != net::error::eof && hec != net::error::operation_aborted &&
                   hec != net::error::connection_reset) {
          co_await answer_and_close(stream, buffer, 400, "bad request\n", f, remote);
        }
        break;
      }

      if (iequals(parser.get()[bhttp::field::expect], "100-continue")) {
        bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, 11};
        stream.expires_after(opt.write_timeout);
        auto [cec, cn] = co_await bhttp::async_write(stream, cont, token);
        if (cec) break;
      }
      if (!parser.is_done()) {
        stream.expires_at(f.start + opt.request_timeout);
        auto [bec, bn] = co_await bhttp::async_read(stream, buffer, parser, token);
        f.bytes_in += bn;
        if (bec) {
          if (bec == bhttp::error::body_limit)
            co_await answer_and_close(stream, buffer, 413, "request body too large\n", f, remote);
          break;
        }
      }

      auto msg = parser.release();
      server_request req;
      req.method = msg.method_string();
      req.target = msg.target();
      auto q = req.target.find('?');
      req.path = req.target.substr(0, q);
      if (q != std::string::npos) req.query = req.target.substr(q + 1);
      req.headers.reserve(16);
      for (const auto& field : msg)
        req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
      req.body = std::move(msg.body());
      req.request_id = rid;
      req.received = f.start;
      keep_alive = msg.keep_alive();
      f.method = req.method;
      f.path = req.path;

      auto m = routes.find(req.method, req.path);
      server_response res;
      if (m.found) {
        try {
          res = co_await (*m.found)(req);
        } catch (const std::exception&) {
          res = server_response{};
          res.status = 500;
          res.body = "internal error\n";
          res.log_note = "error=handler_exception";
        }
      } else {
        res.status = m.status;
        res.body = m.status == 405 ? "method not allowed\n" : "not found\n";
        if (m.status == 405) res.headers.emplace_back("Allow", m.allow);
      }

      // During shutdown the answer says so, and the connection closes after it.
      if (stopping) keep_alive = false;
      auto out = build_response(res, msg.version(), rid, keep_alive);
      stream.expires_after(opt.write_timeout);
      auto [wec, wn] = co_await bhttp::async_write(stream, out, token);
      f.status = res.status;
      f.bytes_out = wn;
      f.note = res.log_note;
      log_request(f, remote);
      report(m.route, res.status, f.start);
      if (wec) break;
    }
    self_it->busy = false;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.close();
    (void)self;
  }

  net::awaitable<void> accept_loop(std::shared_ptr<impl> self) {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(token);
      if (ec) {
        if (stopping || !acceptor.is_open()) co_return;
        // Out of descriptors or a transient failure: back off instead of spinning.
        net::steady_timer pause(io, std::chrono::milliseconds(50));
        co_await pause.async_wait(token);
        continue;
      }
      if (stopping) co_return;
      if (conns.size() >= opt.max_connections) continue;  // the socket closes as it goes out
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      net::co_spawn(io, session(self, std::move(socket)), net::detached);
    }
  }

  void stop_now() {
    if (stopping) return;
    stopping = true;
    beast::error_code ignored;
    acceptor.close(ignored);
    // Idle connections go now; busy ones finish their request and close after answering.
    for (auto& c : conns)
      if (!c.busy) c.stream->cancel();
  }
};

server::server(net::io_context& io, server_options options, router routes)
    : impl_(std::make_shared<impl>(io, std::move(options), std::move(routes))) {}

server::~server() = default;

boost::system::result<std::uint16_t> server::listen() {
  beast::error_code ec;
  auto address = net::ip::make_address(impl_->opt.bind_address, ec);
  if (ec) return ec;
  tcp::endpoint ep{address, impl_->opt.port};
  auto& acc = impl_->acceptor;
  acc.open(ep.protocol(), ec);
  if (ec) return ec;
  acc.set_option(net::socket_base::reuse_address(true), ec);
  if (ec) return ec;
  acc.bind(ep, ec);
  if (ec) return ec;
  acc.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return ec;
  auto bound = acc.local_endpoint(ec);
  if (ec) return ec;
  net::co_spawn(impl_->io, impl_->accept_loop(impl_), net::detached);
  return bound.port();
}

void server::stop() {
  net::post(impl_->io, [self = impl_] { self->stop_now(); });
}

std::size_t server::connections() const {
  return impl_->conns.size();
}

}  // namespace pons::http
