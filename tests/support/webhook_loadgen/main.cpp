// pons-webhook-loadgen: sends signed, Meta-shaped webhook POSTs to a pons-webhook over keep-alive
// connections and reports throughput and latency.
//   closed loop (--rate 0): every connection sends its next request as soon as it has an answer.
//   open loop (--rate R): request k is due at start + k/R whatever happens; its latency counts
//   from that due time, so a stalled server cannot hide its queueing (no coordinated omission).
// The payload mix: text messages, media messages, status updates (three per sent message at
// Meta's peak) and about 5% redeliveries of recent bodies. Bodies are built and signed before
// the clock starts.
#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstdio>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "pons/meta/signature.hpp"
#include "support/latency_stats.hpp"
#include "support/webhook_payloads.hpp"

namespace net = boost::asio;
using tcp = net::ip::tcp;
using clock_type = std::chrono::steady_clock;
constexpr auto token = net::as_tuple(net::use_awaitable);

namespace {

struct options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string secret = "bench-app-secret";
  std::string phone_number_id = "106540352242922";
  double rate = 0;  // requests per second; 0 = closed loop
  double duration = 10;
  int connections = 32;
  std::string run_id = "r";
  // Latencies of requests started (closed loop) or due (open loop) this long after the start
  // are also reported apart: a fresh service's first seconds (new senders, cold caches) left out.
  double settle = 0;
};

std::string media_message_json(const std::string& wamid, const std::string& from, int n) {
  return R"({"from":")" + from + R"(","id":")" + wamid +
         R"(","timestamp":"1749416383","type":"image","image":{"caption":"photo )" +
         std::to_string(n) +
         R"(","mime_type":"image/jpeg","sha256":"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=","id":")" +
         std::to_string(1000000000 + n) + R"("}})";
}

// The i-th request of the mix, as raw HTTP bytes.
std::string build_request(const options& o, std::size_t i, std::vector<std::string>& bodies) {
  std::string body;
  if (i >= 20 && i % 20 == 0) {
    body = bodies[i - 10];  // a redelivery of a recent POST
  } else {
    auto n = static_cast<int>(i);
    std::string from = "1650555" + fmt::format("{:04}", n % 5000);
    std::string wamid = fmt::format("wamid.bench.{}.{}", o.run_id, i);
    switch (i % 10) {
      case 0:
      case 1:
      case 2:
      case 3:
      case 4:
        body = pons::test::simple_payload(
            o.phone_number_id,
            {pons::test::text_message_json(
                wamid, from, "Hello, is this still available? " + std::to_string(n))});
        break;
      case 5:
      case 6:
        body = pons::test::simple_payload(o.phone_number_id, {media_message_json(wamid, from, n)});
        break;
      default: {
        static const char* kinds[] = {"sent", "delivered", "read"};
        auto out = fmt::format("wamid.bench.out.{}.{}", o.run_id, i / 10);
        body = pons::test::simple_payload(o.phone_number_id, {},
                                          {pons::test::status_json(out, kinds[i % 10 - 7], from)});
      }
    }
  }
  bodies.push_back(body);
  return fmt::format(
      "POST /webhook/meta HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n"
      "X-Hub-Signature-256: {}\r\nContent-Length: {}\r\n\r\n{}",
      o.host, pons::meta::sign_body(body, o.secret), body.size(), body);
}

struct shared_state {
  const options& opt;
  std::vector<std::string> requests;
  std::size_t next = 0;
  clock_type::time_point start;
  clock_type::time_point end;
  std::vector<double> latencies_us;
  std::vector<double> settled_latencies_us;  // of requests from start + settle on
  std::map<int, std::size_t> statuses;
  std::size_t errors = 0;
  // Open loop: due times of requests not yet taken by a connection.
  std::deque<std::pair<std::size_t, clock_type::time_point>> due;
  std::vector<net::steady_timer*> idle;
  bool producing = true;
};

void record_latency(shared_state& st, clock_type::time_point from) {
  const double us = std::chrono::duration<double, std::micro>(clock_type::now() - from).count();
  st.latencies_us.push_back(us);
  if (st.opt.settle > 0 && from >= st.start + std::chrono::duration_cast<clock_type::duration>(
                                                  std::chrono::duration<double>(st.opt.settle))) {
    st.settled_latencies_us.push_back(us);
  }
}

net::awaitable<bool> round_trip(tcp::socket& s, std::string& inbuf, const std::string& req,
                                int& status) {
  auto [we, wn] = co_await net::async_write(s, net::buffer(req), token);
  if (we) co_return false;
  auto [re, rn] = co_await net::async_read_until(s, net::dynamic_buffer(inbuf), "\r\n\r\n", token);
  if (re) co_return false;
  std::string_view head(inbuf.data(), rn);
  status = std::atoi(std::string(head.substr(9, 3)).c_str());
  std::size_t len = 0;
  auto cl = head.find("Content-Length: ");
  if (cl == std::string_view::npos) cl = head.find("content-length: ");
  if (cl != std::string_view::npos) len = std::strtoul(head.data() + cl + 16, nullptr, 10);
  if (inbuf.size() < rn + len) {
    auto need = rn + len - inbuf.size();
    auto [be, bn] =
        co_await net::async_read(s, net::dynamic_buffer(inbuf), net::transfer_exactly(need), token);
    if (be) co_return false;
  }
  inbuf.erase(0, rn + len);
  co_return true;
}

net::awaitable<void> closed_loop(shared_state& st, tcp::endpoint ep) {
  tcp::socket s(co_await net::this_coro::executor);
  auto [ce] = co_await s.async_connect(ep, token);
  if (ce) {
    ++st.errors;
    co_return;
  }
  s.set_option(tcp::no_delay(true));
  std::string inbuf;
  while (clock_type::now() < st.end && st.next < st.requests.size()) {
    auto& req = st.requests[st.next++];
    auto t0 = clock_type::now();
    int status = 0;
    if (!co_await round_trip(s, inbuf, req, status)) {
      ++st.errors;
      co_return;
    }
    record_latency(st, t0);
    ++st.statuses[status];
  }
}

net::awaitable<void> open_loop_connection(shared_state& st, tcp::endpoint ep) {
  auto ex = co_await net::this_coro::executor;
  tcp::socket s(ex);
  auto [ce] = co_await s.async_connect(ep, token);
  if (ce) {
    ++st.errors;
    co_return;
  }
  s.set_option(tcp::no_delay(true));
  net::steady_timer wake(ex);
  std::string inbuf;
  for (;;) {
    while (st.due.empty() && st.producing) {
      wake.expires_at(clock_type::time_point::max());
      st.idle.push_back(&wake);
      co_await wake.async_wait(token);
    }
    if (st.due.empty()) co_return;
    auto [index, due_at] = st.due.front();
    st.due.pop_front();
    int status = 0;
    if (!co_await round_trip(s, inbuf, st.requests[index], status)) {
      ++st.errors;
      co_return;
    }
    record_latency(st, due_at);
    ++st.statuses[status];
  }
}

net::awaitable<void> producer(shared_state& st) {
  net::steady_timer t(co_await net::this_coro::executor);
  auto interval = std::chrono::duration<double>(1.0 / st.opt.rate);
  for (std::size_t k = 0; k < st.requests.size(); ++k) {
    auto due_at = st.start + std::chrono::duration_cast<clock_type::duration>(interval * k);
    if (due_at >= st.end) break;
    if (due_at > clock_type::now()) {
      t.expires_at(due_at);
      co_await t.async_wait(token);
    }
    st.due.emplace_back(k, due_at);
    if (!st.idle.empty()) {
      st.idle.back()->cancel();
      st.idle.pop_back();
    }
  }
  st.producing = false;
  for (auto* w : st.idle) w->cancel();
  st.idle.clear();
}

int usage() {
  std::fprintf(stderr,
               "usage: pons-webhook-loadgen --port N [--rate R] [--duration S] "
               "[--connections C] [--secret S] [--phone-number-id ID] [--run-id X] "
               "[--settle S]\n");
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
    else if (a == "--rate")
      o.rate = std::stod(v);
    else if (a == "--duration")
      o.duration = std::stod(v);
    else if (a == "--connections")
      o.connections = std::stoi(v);
    else if (a == "--secret")
      o.secret = v;
    else if (a == "--phone-number-id")
      o.phone_number_id = v;
    else if (a == "--run-id")
      o.run_id = v;
    else if (a == "--host")
      o.host = v;
    else if (a == "--settle")
      o.settle = std::stod(v);
    else
      return usage();
  }
  if (o.port == 0 || o.connections < 1 || o.duration <= 0 || o.settle < 0 || o.settle >= o.duration)
    return usage();

  shared_state st{o, {}, 0, {}, {}, {}, {}, {}, 0, {}, {}, true};
  // Enough requests for the run: the rate, or a generous ceiling for the closed loop.
  auto count = static_cast<std::size_t>(o.rate > 0 ? o.rate * o.duration + 1 : 60000 * o.duration);
  std::vector<std::string> bodies;
  bodies.reserve(count);
  st.requests.reserve(count);
  for (std::size_t i = 0; i < count; ++i) st.requests.push_back(build_request(o, i, bodies));
  bodies.clear();
  bodies.shrink_to_fit();

  rusage built{};
  getrusage(RUSAGE_SELF, &built);
  const double build_cpu_us =
      static_cast<double>(built.ru_utime.tv_sec + built.ru_stime.tv_sec) * 1e6 +
      static_cast<double>(built.ru_utime.tv_usec + built.ru_stime.tv_usec);

  net::io_context io{1};
  tcp::endpoint ep(net::ip::make_address(o.host), o.port);
  st.start = clock_type::now();
  st.end = st.start + std::chrono::duration_cast<clock_type::duration>(
                          std::chrono::duration<double>(o.duration));
  for (int c = 0; c < o.connections; ++c) {
    if (o.rate > 0)
      net::co_spawn(io, open_loop_connection(st, ep), net::detached);
    else
      net::co_spawn(io, closed_loop(st, ep), net::detached);
  }
  if (o.rate > 0) net::co_spawn(io, producer(st), net::detached);
  io.run();
  auto elapsed = std::chrono::duration<double>(clock_type::now() - st.start).count();

  auto n = st.latencies_us.size();
  std::string codes;
  for (auto [code, k] : st.statuses) codes += fmt::format(" {}:{}", code, k);
  using pons::test::percentile;
  auto p50 = percentile(st.latencies_us, 50);
  auto p90 = percentile(st.latencies_us, 90);
  auto p99 = percentile(st.latencies_us, 99);
  auto p999 = percentile(st.latencies_us, 99.9);
  auto max = st.latencies_us.empty()
                 ? 0.0
                 : *std::max_element(st.latencies_us.begin(), st.latencies_us.end());
  // The client's own CPU during the run (it shares the machine with the service).
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto cpu_us = [](const timeval& t) { return static_cast<double>(t.tv_sec) * 1e6 + t.tv_usec; };
  double client_cpu = cpu_us(ru.ru_utime) + cpu_us(ru.ru_stime) - build_cpu_us;
  std::string settled;
  if (o.settle > 0) {
    settled = fmt::format(
        " settle_s={:g} settled_requests={} settled_p50_ms={:.3f} "
        "settled_p90_ms={:.3f} settled_p99_ms={:.3f}",
        o.settle, st.settled_latencies_us.size(), percentile(st.settled_latencies_us, 50) / 1000,
        percentile(st.settled_latencies_us, 90) / 1000,
        percentile(st.settled_latencies_us, 99) / 1000);
  }
  std::printf(
      "mode=%s connections=%d requests=%zu seconds=%.2f rps=%.0f p50_ms=%.3f p90_ms=%.3f "
      "p99_ms=%.3f p999_ms=%.3f max_ms=%.3f%s errors=%zu statuses=%s "
      "client_cpu_us_per_request=%.1f\n",
      o.rate > 0 ? fmt::format("open@{:.0f}/s", o.rate).c_str() : "closed", o.connections, n,
      elapsed, static_cast<double>(n) / elapsed, p50 / 1000, p90 / 1000, p99 / 1000, p999 / 1000,
      max / 1000, settled.c_str(), st.errors, codes.c_str(),
      n ? client_cpu / static_cast<double>(n) : 0.0);
  return st.errors == 0 ? 0 : 1;
}
