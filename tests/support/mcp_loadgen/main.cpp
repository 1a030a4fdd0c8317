// pons-mcp-loadgen: MCP clients over Streamable HTTP (2025-11-25) calling one read tool, for
// scripts/bench mcp-http. Each client opens its own session on its own keep-alive connection
// (initialize, then notifications/initialized), calls tools/call get_messages {"limit":L} and
// checks every answer (a successful result with L message lines in its text and L rows in
// structuredContent), then deletes its session.
//   closed loop (--rate 0): every client sends its next call as soon as it has an answer.
//   open loop (--rate R): call k is due at start + k/R whatever happens, taken by the next free
//   client; its latency counts from that due time (no coordinated omission).
// A warm-up (--warmup S, closed loop) runs first; "measure-start" and "measure-end" lines on
// stdout frame the measured part, so that a driver can sample the server's CPU around it. The
// last line is the result: key=value pairs, the first problem (if any) last.
#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <cstdio>
#include <deque>
#include <string>
#include <vector>

#include "support/latency_stats.hpp"
#include "support/mcp_loadgen/answer_check.hpp"

namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using clock_type = std::chrono::steady_clock;
constexpr auto token = net::as_tuple(net::use_awaitable);

using pons::loadgen::problem_of;

namespace {

struct options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string path = "/mcp";
  int clients = 64;
  double warmup = 2;
  double duration = 10;
  double rate = 0;  // calls per second; 0 = closed loop
  int limit = 50;
  std::string protocol = "2025-11-25";
};

enum class phase { opening, warmup, measuring, done };

struct shared_state {
  explicit shared_state(const options& o) : opt(o) {}

  const options& opt;
  phase now = phase::opening;
  clock_type::time_point measure_start;
  clock_type::time_point measure_end;
  std::vector<double> latencies_us;
  std::size_t ok = 0;
  std::size_t bad = 0;
  std::size_t warmup_calls = 0;
  std::size_t warmup_bad = 0;
  std::size_t opened = 0;
  std::size_t deleted = 0;
  std::size_t connection_errors = 0;
  std::size_t reconnects = 0;  // connections the server had closed, opened again
  std::string problem;
  std::int64_t next_id = 1;
  // Open loop: due times not yet taken by a client, and the clients waiting for one.
  std::deque<clock_type::time_point> due;
  // Waiting clients, woken oldest first: every connection stays in use (a server may close one
  // left idle).
  std::deque<net::steady_timer*> idle;
  bool producing = true;
  bool stop = false;  // closed loops end when it is set

  void note_problem(std::string p) {
    if (problem.empty()) problem = std::move(p);
  }
};

http::request<http::string_body> post(const options& o, const std::string& session,
                                      std::string body) {
  http::request<http::string_body> req{http::verb::post, o.path, 11};
  req.set(http::field::host, o.host);
  req.set(http::field::content_type, "application/json");
  req.set(http::field::accept, "application/json, text/event-stream");
  req.set("MCP-Protocol-Version", o.protocol);
  if (!session.empty()) req.set("Mcp-Session-Id", session);
  req.body() = std::move(body);
  req.prepare_payload();
  return req;
}

struct client {
  shared_state& st;
  tcp::socket socket;
  boost::beast::flat_buffer buffer;
  std::string session;
  tcp::endpoint endpoint;
  // The last answer's body, kept for its memory: an answer of tens of kilobytes read into a new
  // string grows it step by step, and the client's CPU is the server's to use.
  std::string spare_body;

  net::awaitable<bool> exchange(http::request<http::string_body>& req,
                                http::response<http::string_body>& res) {
    auto [we, wn] = co_await http::async_write(socket, req, token);
    if (we) co_return false;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    spare_body.clear();
    parser.get().body() = std::move(spare_body);
    auto [re, rn] = co_await http::async_read(socket, buffer, parser, token);
    if (re) co_return false;
    res = parser.release();
    co_return true;
  }

  net::awaitable<bool> open(tcp::endpoint ep) {
    endpoint = ep;
    auto [ce] = co_await socket.async_connect(ep, token);
    if (ce) co_return false;
    socket.set_option(tcp::no_delay(true));
    const options& o = st.opt;
    auto init = post(o, {},
                     fmt::format(R"({{"jsonrpc":"2.0","id":0,"method":"initialize","params":{{)"
                                 R"("protocolVersion":"{}","capabilities":{{}},)"
                                 R"("clientInfo":{{"name":"pons-mcp-loadgen","version":"1"}}}}}})",
                                 o.protocol));
    http::response<http::string_body> res;
    bool answered = co_await exchange(init, res);
    if (!answered || res.result_int() != 200) co_return false;
    session = std::string(res["Mcp-Session-Id"]);
    if (session.empty()) co_return false;
    auto ack = post(o, session, R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
    answered = co_await exchange(ack, res);
    if (!answered || res.result_int() != 202) co_return false;
    co_return true;
  }

  // One call; false when the connection broke. (co_await results are named before they are
  // tested throughout: GCC 12 miscompiled a co_await inside a short-circuit condition here.)
  net::awaitable<bool> call(clock_type::time_point counted_from) {
    const std::int64_t id = st.next_id++;
    auto req = post(st.opt, session,
                    fmt::format(R"({{"jsonrpc":"2.0","id":{},"method":"tools/call","params":{{)"
                                R"("name":"get_messages","arguments":{{"limit":{}}}}}}})",
                                id, st.opt.limit));
    http::response<http::string_body> res;
    const bool measured = st.now == phase::measuring;
    const bool connected = co_await reopen_if_closed();
    bool answered = false;
    if (connected) answered = co_await exchange(req, res);
    if (!answered) {
      st.note_problem("the connection broke");
      ++(measured ? st.bad : st.warmup_bad);
      co_return false;
    }
    std::string problem = problem_of(res, id, st.opt.limit);
    if (!measured) {
      ++st.warmup_calls;
      if (!problem.empty()) ++st.warmup_bad;
    } else if (problem.empty()) {
      ++st.ok;
      st.latencies_us.push_back(
          std::chrono::duration<double, std::micro>(clock_type::now() - counted_from).count());
    } else {
      ++st.bad;
    }
    if (!problem.empty()) st.note_problem(std::move(problem));
    spare_body = std::move(res.body());
    co_return true;
  }

  // A server may close a keep-alive connection left idle (the session outlives it): reconnects
  // when the peer has closed this one, as HTTP clients do. False when that fails.
  net::awaitable<bool> reopen_if_closed() {
    boost::system::error_code ec;
    boost::system::error_code mode_ec;  // apart, so that switching back keeps the peek's answer
    std::array<char, 1> probe{};
    socket.non_blocking(true, mode_ec);
    const auto n = socket.receive(net::buffer(probe), tcp::socket::message_peek, ec);
    socket.non_blocking(false, mode_ec);
    if (n > 0 || ec == net::error::would_block) co_return true;
    socket.close(ec);
    buffer.clear();
    ++st.reconnects;
    socket = tcp::socket(co_await net::this_coro::executor);
    auto [ce] = co_await socket.async_connect(endpoint, token);
    if (ce) co_return false;
    socket.set_option(tcp::no_delay(true));
    co_return true;
  }

  net::awaitable<void> close() {
    const bool connected = co_await reopen_if_closed();
    if (!connected) co_return;
    http::request<http::string_body> req{http::verb::delete_, st.opt.path, 11};
    req.set(http::field::host, st.opt.host);
    req.set("MCP-Protocol-Version", st.opt.protocol);
    req.set("Mcp-Session-Id", session);
    req.prepare_payload();
    http::response<http::string_body> res;
    const bool answered = co_await exchange(req, res);
    if (answered && (res.result_int() == 200 || res.result_int() == 204)) ++st.deleted;
  }
};

net::awaitable<void> run_closed(client& c, const bool& stop) {
  bool alive = true;
  while (alive && !stop) alive = co_await c.call(clock_type::now());
  co_return;
}

net::awaitable<void> run_open(client& c) {
  shared_state& st = c.st;
  net::steady_timer wake(co_await net::this_coro::executor);
  for (;;) {
    while (st.due.empty() && st.producing) {
      wake.expires_at(clock_type::time_point::max());
      st.idle.push_back(&wake);
      co_await wake.async_wait(token);
    }
    if (st.due.empty()) co_return;
    auto due_at = st.due.front();
    st.due.pop_front();
    const bool alive = co_await c.call(due_at);
    if (!alive) co_return;
  }
}

net::awaitable<void> produce(shared_state& st) {
  net::steady_timer t(co_await net::this_coro::executor);
  const auto interval = std::chrono::duration<double>(1.0 / st.opt.rate);
  for (std::size_t k = 0;; ++k) {
    auto due_at = st.measure_start + std::chrono::duration_cast<clock_type::duration>(interval * k);
    if (due_at >= st.measure_end) break;
    if (due_at > clock_type::now()) {
      t.expires_at(due_at);
      co_await t.async_wait(token);
    }
    st.due.push_back(due_at);
    if (!st.idle.empty()) {
      st.idle.front()->cancel();
      st.idle.pop_front();
    }
  }
  st.producing = false;
  for (auto* w : st.idle) w->cancel();
  st.idle.clear();
}

clock_type::duration seconds(double s) {
  return std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(s));
}

void mark(const char* line) {
  std::printf("%s\n", line);
  std::fflush(stdout);
}

double cpu_us_now() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto us = [](const timeval& t) { return static_cast<double>(t.tv_sec) * 1e6 + t.tv_usec; };
  return us(ru.ru_utime) + us(ru.ru_stime);
}

// Counts down coroutines spawned together; the spawner waits for the last one.
struct latch {
  explicit latch(net::any_io_executor ex) : timer(ex, clock_type::time_point::max()) {}
  net::steady_timer timer;
  std::size_t pending = 0;

  void arm(std::size_t n) {
    pending = n;
    timer.expires_at(clock_type::time_point::max());
  }
  void count_down() {
    if (--pending == 0) timer.cancel();
  }
  net::awaitable<void> wait() {
    if (pending > 0) co_await timer.async_wait(token);
  }
};

enum class job { open, closed_loop, open_loop, close };

net::awaitable<void> client_job(client* c, job what, latch* done) {
  const tcp::endpoint ep(net::ip::make_address(c->st.opt.host), c->st.opt.port);
  if (what == job::open) {
    const bool opened = co_await c->open(ep);
    if (opened) ++c->st.opened;
  } else if (what == job::closed_loop) {
    co_await run_closed(*c, c->st.stop);
  } else if (what == job::open_loop) {
    co_await run_open(*c);
  } else {
    co_await c->close();
  }
  done->count_down();
}

// Every client does `what`; returns when all have finished.
net::awaitable<void> all_clients(std::vector<client>& clients, job what, latch& done) {
  auto ex = co_await net::this_coro::executor;
  done.arm(clients.size());
  for (auto& c : clients) net::co_spawn(ex, client_job(&c, what, &done), net::detached);
  co_await done.wait();
}

net::awaitable<void> stop_after(clock_type::duration d, bool& stop) {
  net::steady_timer t(co_await net::this_coro::executor);
  t.expires_after(d);
  co_await t.async_wait(token);
  stop = true;
}

// The whole run: open every session, warm up, measure, delete the sessions.
net::awaitable<void> run(shared_state& st, std::vector<client>& clients, double& cpu_measured) {
  auto ex = co_await net::this_coro::executor;
  latch done(ex);
  bool& stop = st.stop;
  co_await all_clients(clients, job::open, done);
  if (st.opened != clients.size()) {
    st.note_problem(fmt::format("{} of {} sessions opened", st.opened, clients.size()));
    co_return;
  }
  if (st.opt.warmup > 0) {
    st.now = phase::warmup;
    net::co_spawn(ex, stop_after(seconds(st.opt.warmup), stop), net::detached);
    co_await all_clients(clients, job::closed_loop, done);
  }

  st.now = phase::measuring;
  mark("measure-start");
  const double cpu0 = cpu_us_now();
  st.measure_start = clock_type::now();
  st.measure_end = st.measure_start + seconds(st.opt.duration);
  stop = false;
  if (st.opt.rate > 0) {
    net::co_spawn(ex, produce(st), net::detached);
    co_await all_clients(clients, job::open_loop, done);
  } else {
    net::co_spawn(ex, stop_after(seconds(st.opt.duration), stop), net::detached);
    co_await all_clients(clients, job::closed_loop, done);
  }
  st.measure_end = clock_type::now();
  cpu_measured = cpu_us_now() - cpu0;
  mark("measure-end");
  st.now = phase::done;
  co_await all_clients(clients, job::close, done);
}

int usage() {
  std::fprintf(stderr,
               "usage: pons-mcp-loadgen --port N [--clients C] [--warmup S] [--duration S] "
               "[--rate R] [--limit L] [--host H] [--path P]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) return usage();
    std::string v = argv[++i];
    if (a == "--port")
      o.port = static_cast<std::uint16_t>(std::stoi(v));
    else if (a == "--clients")
      o.clients = std::stoi(v);
    else if (a == "--warmup")
      o.warmup = std::stod(v);
    else if (a == "--duration")
      o.duration = std::stod(v);
    else if (a == "--rate")
      o.rate = std::stod(v);
    else if (a == "--limit")
      o.limit = std::stoi(v);
    else if (a == "--host")
      o.host = v;
    else if (a == "--path")
      o.path = v;
    else
      return usage();
  }
  if (o.port == 0 || o.clients < 1 || o.duration <= 0 || o.limit < 1) return usage();

  net::io_context io{1};
  shared_state st{o};
  std::vector<client> clients;
  clients.reserve(static_cast<std::size_t>(o.clients));
  for (int i = 0; i < o.clients; ++i)
    clients.push_back(client{st, tcp::socket(io), {}, {}, {}, {}});
  double cpu_measured = 0;
  net::co_spawn(io, run(st, clients, cpu_measured), net::detached);
  io.run();

  const auto calls = st.ok + st.bad;
  const double elapsed = std::chrono::duration<double>(st.measure_end - st.measure_start).count();
  using pons::test::percentile;
  auto p50 = percentile(st.latencies_us, 50);
  auto p90 = percentile(st.latencies_us, 90);
  auto p99 = percentile(st.latencies_us, 99);
  auto p999 = percentile(st.latencies_us, 99.9);
  auto max = st.latencies_us.empty()
                 ? 0.0
                 : *std::max_element(st.latencies_us.begin(), st.latencies_us.end());
  std::printf(
      "mode=%s clients=%d calls=%zu ok=%zu bad=%zu warmup_calls=%zu warmup_bad=%zu "
      "seconds=%.3f calls_per_s=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f "
      "max_ms=%.3f client_cpu_us_per_call=%.1f sessions=%zu deleted=%zu reconnects=%zu "
      "problem=%s\n",
      o.rate > 0 ? fmt::format("open@{:.0f}/s", o.rate).c_str() : "closed", o.clients, calls, st.ok,
      st.bad, st.warmup_calls, st.warmup_bad, elapsed,
      elapsed > 0 ? static_cast<double>(calls) / elapsed : 0.0, p50 / 1000, p90 / 1000, p99 / 1000,
      p999 / 1000, max / 1000, calls ? cpu_measured / static_cast<double>(calls) : 0.0, st.opened,
      st.deleted, st.reconnects, st.problem.c_str());
  return st.problem.empty() && st.deleted == clients.size() ? 0 : 1;
}
