#include "pons/http/server.hpp"

#include <fmt/format.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/grammar/ci_string.hpp>
#include <cstdio>
#include <ctime>
#include <exception>
#include <iterator>
#include <random>
#include <span>
#include <tuple>
#include <vector>

#include "pons/http/connection_table.hpp"
#include "pons/http/request_framing.hpp"
#include "pons/http/spare_descriptor.hpp"
#include "pons/logging/log_field.hpp"
#include "pons/prometheus/text.hpp"

namespace pons::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using std::chrono::steady_clock;

namespace {

constexpr auto token = net::as_tuple(net::use_awaitable);

// ASCII case-insensitive equality (header names, schemes, codings).
bool iequals(std::string_view a, std::string_view b) {
  return boost::urls::grammar::ci_is_equal(a, b);
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

// The body writer of a streamed answer. It holds the head until send_head() or the first piece
// of the body, which it goes out with (one send for an answer that is ready at once), or the
// end. Each write is one gathered send: the head if held, the chunk's framing and the parts.
class streamed_body_writer final : public body_writer {
 public:
  streamed_body_writer(beast::tcp_stream& s, std::chrono::milliseconds t, bool c)
      : stream_(s), timeout_(t), chunked_(c) {}

  beast::error_code ec;
  std::size_t bytes = 0;

  bool holds_head() const override { return !held_head_.empty(); }

  void hold_head(const bhttp::response<bhttp::empty_body>& head) {
    bhttp::response_serializer<bhttp::empty_body> sr{head};
    sr.split(true);
    beast::error_code ignored;
    while (!sr.is_header_done()) {
      sr.next(ignored, [&](beast::error_code&, const auto& buffers) {
        for (const auto b : beast::buffers_range_ref(buffers)) {
          held_head_.append(static_cast<const char*>(b.data()), b.size());
        }
        sr.consume(beast::buffer_bytes(buffers));
      });
    }
  }

  net::awaitable<bool> write_parts(std::span<const std::string_view> parts, bool last) override {
    if (ec || ended_) co_return false;
    std::size_t size = 0;
    for (const auto part : parts) size += part.size();
    // Nothing to send: an empty chunk would end the body.
    if (!last && size == 0) co_return true;
    if (last) ended_ = true;
    if (last && size == 0 && held_head_.empty() && !chunked_) co_return true;
    std::vector<net::const_buffer> buffers;
    buffers.reserve(parts.size() + 3);
    // A chunk: its size line, the data, its end; the last chunk after it (RFC 9112 7.1).
    const std::string size_line = chunked_ && size > 0 ? fmt::format("{:x}\r\n", size) : "";
    if (!size_line.empty()) buffers.push_back(net::buffer(size_line));
    for (const auto part : parts) {
      if (!part.empty()) buffers.push_back(net::buffer(part.data(), part.size()));
    }
    if (chunked_) {
      std::string_view end = size > 0 ? "\r\n" : "";
      if (last) end = size > 0 ? "\r\n0\r\n\r\n" : "0\r\n\r\n";
      if (!end.empty()) buffers.push_back(net::buffer(end.data(), end.size()));
    }
    co_return co_await send(std::move(buffers));
  }

  // Sends the held head now, alone.
  net::awaitable<bool> send_head() { co_return co_await send({}); }

  // Ends the body when the producer did not (and sends a head still held).
  net::awaitable<void> finish() {
    if (ec || ended_) co_return;
    co_await write_last({});
  }

 private:
  net::awaitable<bool> send(std::vector<net::const_buffer> body) {
    if (!held_head_.empty()) body.insert(body.begin(), net::buffer(held_head_));
    stream_.expires_after(timeout_);
    std::size_t n = 0;
    std::tie(ec, n) = co_await net::async_write(stream_, body, token);
    held_head_.clear();
    bytes += n;
    co_return !ec;
  }

  beast::tcp_stream& stream_;
  std::chrono::milliseconds timeout_;
  bool chunked_;
  bool ended_ = false;  // the body's end was sent
  std::string held_head_;
};

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

std::vector<std::string> router::describe() const {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const auto& e : entries_) out.push_back(fmt::format("{} {}", e.method, e.path));
  return out;
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
  // One open connection: its stream, and its place in the connection table.
  struct connection : connection_table::entry {
    explicit connection(tcp::socket s) : stream(std::move(s)) {}
    beast::tcp_stream stream;
    std::string remote = "-";
    std::string peer_address;   // remote without the port, for handlers
    bool closed_early = false;  // closed by the server while it waited (room, stop, descriptors)
  };

  // Answers to refused clients in flight at once; more are closed without one (each holds a
  // descriptor for up to refusal_timeout).
  static constexpr std::size_t max_refusals_in_flight = 64;
  static constexpr std::chrono::milliseconds refusal_timeout{1000};

  net::io_context& io;
  server_options opt;
  router routes;
  tcp::acceptor acceptor;
  spare_descriptor spare;  // see accept_with_spare
  bool stopping = false;
  connection_table table;
  std::mt19937_64 rng;
  std::size_t refusals_in_flight = 0;

  // Counters for /metrics (io thread only).
  std::uint64_t accepted = 0;
  std::uint64_t refused = 0;
  std::uint64_t evicted = 0;
  std::uint64_t header_timeouts = 0;
  std::uint64_t accept_errors = 0;
  // Connection-level warnings are logged at most once a second: a flood must not become one
  // log line per connection.
  steady_clock::time_point last_refusal_log{};
  steady_clock::time_point last_accept_error_log{};

  // Default sink: lines collect here and go to stderr in one write once the io_context has run
  // the handlers that are ready now (one write per burst of requests instead of one per line).
  std::string log_buffer;
  bool log_flush_posted = false;

  impl(net::io_context& ctx, server_options o, router r)
      : io(ctx),
        opt(std::move(o)),
        routes(std::move(r)),
        acceptor(ctx),
        table({opt.max_connections, opt.max_connections_per_address}),
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

  // A warning about connections, at most once a second per kind.
  void warn_now_and_then(steady_clock::time_point& last, std::string_view fields) {
    auto now = steady_clock::now();
    if (last != steady_clock::time_point{} && now - last < std::chrono::seconds(1)) return;
    last = now;
    emit_log(fmt::format("ts={} level=warn {}", utc_now(), fields));
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
                                        std::string_view remote, std::string_view why) {
    server_response answer;
    answer.status = status;
    answer.body = std::move(body);
    auto res = build_response(answer, 11, f.request_id, false);
    stream.expires_after(opt.write_timeout);
    auto [ec, n] = co_await bhttp::async_write(stream, res, token);
    f.status = status;
    f.bytes_out = n;
    std::string note = fmt::format("error={}", why);
    f.note = note;
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

  // Close a connection that waits for a request, to make room or because the server stops. Its
  // session sees the read fail and ends without answering.
  void close_waiting(connection_table::entry* e) {
    auto& c = static_cast<connection&>(*e);
    table.remove(c);
    c.closed_early = true;
    beast::error_code ignored;
    c.stream.socket().close(ignored);
  }

  // A client that cannot be admitted: a short canned 503, written with a timeout by its own
  // coroutine (the accept loop never waits for it), then closed.
  void refuse(tcp::socket socket, std::string_view remote, bool address_full) {
    ++refused;
    warn_now_and_then(last_refusal_log,
                      fmt::format("event=connection_refused remote={} limit={} refused_total={}",
                                  remote, address_full ? "per_address" : "total", refused));
    // Without room for another answer in flight the socket just closes as it goes out of scope.
    if (refusals_in_flight >= max_refusals_in_flight) return;
    ++refusals_in_flight;
    net::co_spawn(io, refusal(shared_from_this(), std::move(socket)), net::detached);
  }

  net::awaitable<void> refusal(std::shared_ptr<impl> self, tcp::socket socket) {
    static constexpr std::string_view answer =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 21\r\n"
        "Retry-After: 1\r\nConnection: close\r\n\r\ntoo many connections\n";
    beast::tcp_stream stream(std::move(socket));
    // One deadline for writing the answer and for draining what the client sent meanwhile (so
    // the close does not reset the connection before the answer is read).
    stream.expires_after(std::min<std::chrono::milliseconds>(opt.write_timeout, refusal_timeout));
    auto [ec, n] = co_await net::async_write(stream, net::buffer(answer), token);
    if (!ec) {
      beast::error_code ignored;
      stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
      char sink[4096];
      for (;;) {
        auto [rec, rn] = co_await stream.async_read_some(net::buffer(sink), token);
        if (rec) break;
      }
    }
    stream.close();
    --self->refusals_in_flight;
  }

  // A short name for a request the parser refused, for the log line.
  static std::string_view parse_error_name(const beast::error_code& ec) {
    if (ec == bhttp::error::bad_chunk) return "bad_chunk";
    if (ec == bhttp::error::bad_chunk_extension) return "bad_chunk_extension";
    if (ec == bhttp::error::bad_transfer_encoding) return "bad_transfer_encoding";
    if (ec == bhttp::error::bad_content_length) return "bad_content_length";
    if (ec == bhttp::error::multiple_content_length) return "multiple_content_length";
    if (ec == bhttp::error::bad_method) return "bad_method";
    if (ec == bhttp::error::bad_target) return "bad_target";
    if (ec == bhttp::error::bad_version) return "bad_version";
    if (ec == bhttp::error::bad_field || ec == bhttp::error::bad_value) return "bad_field";
    if (ec == bhttp::error::bad_line_ending) return "bad_line_ending";
    if (ec == bhttp::error::bad_obs_fold) return "bad_obs_fold";
    return "bad_request";
  }

  // True when `ec` means the client went away or stopped sending, not that it sent garbage.
  static bool client_gone(const beast::error_code& ec) {
    return ec == beast::error::timeout || ec == bhttp::error::end_of_stream ||
           ec == bhttp::error::partial_message || ec == net::error::eof ||
           ec == net::error::operation_aborted || ec == net::error::connection_reset ||
           ec == net::error::bad_descriptor;
  }

  net::awaitable<void> session(std::shared_ptr<impl> self, std::unique_ptr<connection> owned) {
    connection& c = *owned;
    beast::tcp_stream& stream = c.stream;
    const std::string& remote = c.remote;
    struct unregister {
      impl* owner;
      connection& c;
      ~unregister() { owner->table.remove(c); }
    } unreg{this, c};

    beast::flat_buffer buffer;
    bool keep_alive = true;
    // Every request, the first and each keep-alive follow-up, must be complete up to the end of
    // its headers within header_timeout of the moment we start waiting for it: a silent
    // connection is closed then, however it got here.
    auto waiting_since = steady_clock::now();
    while (keep_alive && !stopping) {
      const auto header_deadline = waiting_since + opt.header_timeout;
      if (buffer.size() == 0) {
        stream.expires_at(header_deadline);
        auto [ec, n] = co_await stream.async_read_some(buffer.prepare(8 * 1024), token);
        buffer.commit(n);
        if (c.closed_early) break;
        if (ec) {
          if (ec == beast::error::timeout) ++header_timeouts;
          break;
        }
      }
      log_fields f;
      f.start = steady_clock::now();

      // Headers by the deadline, the body within request_timeout of the first byte: deadlines,
      // not idle timers, so a client trickling bytes cannot hold the connection.
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(opt.header_limit);
      parser.body_limit(opt.body_limit);
      stream.expires_at(header_deadline);
      auto [hec, hn] = co_await bhttp::async_read_header(stream, buffer, parser, token);
      if (c.closed_early) break;
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
        if (hec == beast::error::timeout) ++header_timeouts;
        if (hec == bhttp::error::header_limit) {
          co_await answer_and_close(stream, buffer, 431, "request header too large\n", f, remote,
                                    "header_too_large");
        } else if (hec == bhttp::error::body_limit) {
          co_await answer_and_close(stream, buffer, 413, "request body too large\n", f, remote,
                                    "body_too_large");
        } else if (!client_gone(hec)) {
          co_await answer_and_close(stream, buffer, 400, "bad request\n", f, remote,
                                    parse_error_name(hec));
        }
        break;
      }
      // A complete request header: busy until answered, no longer a candidate to make room.
      table.set_busy(c);

      // Where the body ends, and the host, must be beyond doubt before any body byte is read.
      const auto& head = parser.get();
      request_framing framing;
      framing.version = head.version();
      framing.has_content_length = head.count(bhttp::field::content_length) > 0;
      for (const auto& field : head) {
        if (field.name() == bhttp::field::transfer_encoding)
          framing.transfer_codings.push_back(field.value());
        else if (field.name() == bhttp::field::host)
          framing.hosts.push_back(field.value());
      }
      if (auto verdict = check_framing(framing); verdict.status != 0) {
        co_await answer_and_close(
            stream, buffer, verdict.status,
            verdict.status == 501 ? "transfer coding not implemented\n" : "bad request\n", f,
            remote, verdict.reason);
        break;
      }

      if (iequals(head[bhttp::field::expect], "100-continue")) {
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
          if (bec == bhttp::error::body_limit) {
            co_await answer_and_close(stream, buffer, 413, "request body too large\n", f, remote,
                                      "body_too_large");
          } else if (!client_gone(bec)) {
            // A malformed body (a bad chunk size, say) is answered and logged like a bad header.
            co_await answer_and_close(stream, buffer, 400, "bad request\n", f, remote,
                                      parse_error_name(bec));
          }
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
      req.peer_address = c.peer_address;
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
      beast::error_code wec;
      std::size_t wn = 0;
      if (res.stream) {
        auto streamed = co_await write_streamed(stream, res, msg.version(), rid, keep_alive);
        wec = streamed.first;
        wn = streamed.second;
      } else {
        auto out = build_response(res, msg.version(), rid, keep_alive);
        stream.expires_after(opt.write_timeout);
        std::tie(wec, wn) = co_await bhttp::async_write(stream, out, token);
      }
      f.status = res.status;
      f.bytes_out = wn;
      f.note = res.log_note;
      log_request(f, remote);
      report(m.route, res.status, f.start);
      if (wec) break;
      if (keep_alive && !stopping) {
        // Waiting again, behind every connection already waiting. A large request leaves a large
        // buffer behind: an idle connection should not keep it.
        table.set_waiting(c);
        waiting_since = steady_clock::now();
        if (buffer.size() == 0 && buffer.capacity() > 64 * 1024) buffer.shrink_to_fit();
      }
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.close();
    (void)self;
  }

  // A streamed answer: the head, then whatever the handler's producer writes, as chunks on
  // HTTP/1.1 (on HTTP/1.0 as raw bytes, and the connection closes after it). The head goes out
  // at once, or with the first write when the response asks for that.
  net::awaitable<std::pair<beast::error_code, std::size_t>> write_streamed(
      beast::tcp_stream& stream, server_response& res, unsigned version, std::string_view rid,
      bool& keep_alive) {
    const bool chunked = version >= 11;
    if (!chunked) keep_alive = false;
    bhttp::response<bhttp::empty_body> head{static_cast<bhttp::status>(res.status), version};
    head.set(bhttp::field::content_type, res.content_type);
    head.set("X-Request-Id", rid);
    for (const auto& [k, v] : res.headers) head.set(k, v);
    head.keep_alive(keep_alive);
    if (chunked) head.chunked(true);
    streamed_body_writer w{stream, opt.write_timeout, chunked};
    w.hold_head(head);
    if (!res.head_with_body && !co_await w.send_head()) co_return std::pair{w.ec, w.bytes};
    co_await res.stream(w);
    co_await w.finish();
    co_return std::pair{w.ec, w.bytes};
  }

  static address_key key_of(const tcp::endpoint& ep) {
    auto a = ep.address();
    return a.is_v4() ? ipv4_key(a.to_v4().to_bytes()) : ipv6_key(a.to_v6().to_bytes());
  }

  net::awaitable<void> accept_loop(std::shared_ptr<impl> self) {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(token);
      if (stopping) co_return;
      if (!ec) {
        take_in(self, std::move(socket));
        continue;
      }
      if (!acceptor.is_open()) co_return;
      ++accept_errors;
      const bool out_of_descriptors = ec == net::error::no_descriptors ||
                                      ec == boost::system::errc::too_many_files_open_in_system;
      if (out_of_descriptors && table.oldest_waiting()) {
        if (co_await accept_with_spare(self, ec)) continue;
        if (stopping || !acceptor.is_open()) co_return;
        if (spare.held()) continue;  // nobody was queued, and the listener has become readable
      }
      // Nothing to free, or a transient failure: wait a moment instead of spinning.
      warn_now_and_then(last_accept_error_log,
                        fmt::format("event=accept_failed error={} action=paused",
                                    logging::log_quoted(ec.message())));
      net::steady_timer pause(io, std::chrono::milliseconds(50));
      co_await pause.async_wait(token);
      spare.take();
    }
  }

  // Out of descriptors: the spare is given back so that one accept can see whether a client
  // waits. Only with a client in hand does the connection that has waited longest for a request
  // give up its descriptor (which becomes the spare again); with nobody queued, the spare is
  // taken back and the listener watched. True when a client was taken in.
  net::awaitable<bool> accept_with_spare(std::shared_ptr<impl> self, beast::error_code first) {
    if (!spare.held()) co_return false;
    spare.release();
    beast::error_code ec;
    tcp::socket socket = acceptor.accept(ec);  // the acceptor is non-blocking: never waits here
    if (!ec) {
      ++evicted;
      close_waiting(table.oldest_waiting());
      spare.take();
      warn_now_and_then(last_accept_error_log,
                        fmt::format("event=accept_failed error={} action=closed_oldest_waiting",
                                    logging::log_quoted(first.message())));
      take_in(self, std::move(socket));
      co_return true;
    }
    // The number just freed went elsewhere when the spare cannot be had back; the caller pauses.
    if (!spare.take()) co_return false;
    if (ec == net::error::would_block || ec == net::error::try_again)
      co_await acceptor.async_wait(tcp::acceptor::wait_read, token);
    co_return false;
  }

  // A client just accepted: admitted (perhaps after closing a waiting connection to make room)
  // and served by its own coroutine, or refused with a 503.
  void take_in(std::shared_ptr<impl> self, tcp::socket socket) {
    beast::error_code ep_ec;
    auto ep = socket.remote_endpoint(ep_ec);
    if (ep_ec) return;  // already gone
    std::string remote = fmt::format("{}:{}", ep.address().to_string(), ep.port());
    auto key = key_of(ep);
    auto decision = table.admit(key);
    if (decision.what == connection_table::admission::verdict::refuse) {
      refuse(std::move(socket), remote, decision.address_full);
      return;
    }
    if (decision.what == connection_table::admission::verdict::admit_after_closing) {
      ++evicted;
      close_waiting(decision.close_first);
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    auto c = std::make_unique<connection>(std::move(socket));
    c->remote = std::move(remote);
    c->peer_address = ep.address().to_string();
    // Registered now, not when the session first runs: the next accept must count it.
    table.add(*c, key);
    ++accepted;
    net::co_spawn(io, session(std::move(self), std::move(c)), net::detached);
  }

  void stop_now() {
    if (stopping) return;
    stopping = true;
    beast::error_code ignored;
    acceptor.close(ignored);
    // Connections waiting for a request go now; busy ones finish their request and close after
    // answering.
    while (auto* e = table.oldest_waiting()) close_waiting(e);
  }

  std::string metrics_text() const {
    namespace prom = pons::prometheus;
    const auto waiting = table.waiting();
    std::string out;
    prom::append_family(out, "pons_http_connections", "gauge",
                        "Open client connections: waiting for a request (silent, or between "
                        "keep-alive requests) or busy with one.");
    prom::append_sample(out, "pons_http_connections", {{"state", "waiting"}}, waiting);
    prom::append_sample(out, "pons_http_connections", {{"state", "busy"}}, table.size() - waiting);
    prom::append_family(out, "pons_http_connection_limit", "gauge",
                        "Open connections allowed, in all and per address.");
    prom::append_sample(out, "pons_http_connection_limit", {{"scope", "total"}},
                        table.limits().max_connections);
    prom::append_sample(out, "pons_http_connection_limit", {{"scope", "per_address"}},
                        table.limits().max_per_address);
    prom::append_metric(out, "pons_http_connections_accepted_total", "counter",
                        "Connections admitted.", accepted);
    prom::append_metric(out, "pons_http_connections_refused_total", "counter",
                        "Connections answered 503 (or closed) because every connection they "
                        "could replace was busy.",
                        refused);
    prom::append_metric(out, "pons_http_connections_evicted_total", "counter",
                        "Waiting connections closed to make room for a new one (or a "
                        "descriptor for the next accept).",
                        evicted);
    prom::append_metric(out, "pons_http_header_timeouts_total", "counter",
                        "Connections closed because a request's headers were not complete "
                        "within the header deadline.",
                        header_timeouts);
    prom::append_metric(out, "pons_http_accept_errors_total", "counter",
                        "Failed accepts (out of descriptors, ...).", accept_errors);
    return out;
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
  acc.non_blocking(true, ec);  // the accept that uses the spare descriptor must not wait
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
  return impl_->table.size();
}

std::string server::metrics_text() const {
  return impl_->metrics_text();
}

}  // namespace pons::http
