// pons-fake-graph: serves the fake Graph API over HTTP or HTTPS on loopback.
//
//   pons-fake-graph [--host 127.0.0.1] [--port 0] [--port-file F] [--tls-cert C --tls-key K]
//                   [--token T] [--app-secret S] [--webhook-url U] [--waba-id W]
//                   [--display-phone-number N] [--time-scale X] [--auto-status-ms N]
//
// Prints "listening on <base-url>" on stderr and writes the port to --port-file once bound.

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>

#include "fake_graph.hpp"
#include "pons/http/client.hpp"

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
namespace json = boost::json;

namespace {

constexpr auto token = net::as_tuple(net::use_awaitable);

struct server_state {
  pons::fake_graph::fake_graph app;
  std::unique_ptr<ssl::context> tls;
};

// Delivers signed webhooks on a helper thread (the receiver may call back into this server,
// e.g. to download media) and resumes the coroutine when done.
net::awaitable<std::vector<int>> deliver(std::string url,
                                         std::vector<pons::fake_graph::webhook_post> posts) {
  auto ex = co_await net::this_coro::executor;
  auto timer =
      std::make_shared<net::steady_timer>(ex, std::chrono::steady_clock::time_point::max());
  auto result = std::make_shared<std::vector<int>>();
  std::thread([ex, timer, result, url, posts = std::move(posts)] {
    std::vector<int> statuses;
    pons::http::client_options options;
    options.timeout = std::chrono::seconds(10);
    pons::http::client client(options);
    for (const auto& post : posts) {
      pons::http::request req;
      req.method = "POST";
      req.url = url;
      req.headers = {{"Content-Type", "application/json"}, {"X-Hub-Signature-256", post.signature}};
      req.body = post.body;
      auto res = client.send(req);
      statuses.push_back(res ? res->status : 0);
    }
    net::post(ex, [timer, result, statuses = std::move(statuses)]() mutable {
      *result = std::move(statuses);
      timer->cancel();
    });
  }).detach();
  co_await timer->async_wait(token);
  co_return *result;
}

// Delivers webhooks some time after an answer (automatic status updates), in order, each on
// the schedule it was given.
net::awaitable<void> deliver_later(std::string url,
                                   std::vector<pons::fake_graph::delayed_webhook> posts) {
  net::steady_timer timer(co_await net::this_coro::executor);
  const auto start = std::chrono::steady_clock::now();
  for (auto& p : posts) {
    timer.expires_at(start + p.after);
    co_await timer.async_wait(token);
    std::vector<pons::fake_graph::webhook_post> one;
    one.push_back(std::move(p.post));
    auto statuses = co_await deliver(url, std::move(one));
    std::cerr << "pons-fake-graph: automatic status webhook -> "
              << (statuses.empty() ? 0 : statuses.front()) << "\n";
  }
}

template <class Stream>
net::awaitable<void> serve(Stream& stream, server_state& state) {
  beast::flat_buffer buffer;
  for (;;) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.body_limit(128 * 1024 * 1024);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(120));
    auto [ec, n] = co_await bhttp::async_read(stream, buffer, parser, token);
    (void)n;
    if (ec) co_return;
    auto req = parser.release();

    pons::fake_graph::http_request in;
    in.method = std::string(req.method_string());
    in.target = std::string(req.target());
    in.content_type = std::string(req[bhttp::field::content_type]);
    in.authorization = std::string(req[bhttp::field::authorization]);
    in.body = std::move(req.body());
    auto out = state.app.handle(in, std::chrono::system_clock::now());
    // One line per request on stderr (path only: media URLs carry keys in their query).
    std::cerr << "pons-fake-graph: " << in.method << " " << in.target.substr(0, in.target.find('?'))
              << " -> " << out.status << "\n";

    if (out.delay.count() > 0) {
      net::steady_timer timer(co_await net::this_coro::executor, out.delay);
      co_await timer.async_wait(token);
    }
    if (!out.webhooks.empty()) {
      std::vector<int> statuses;
      if (!out.webhook_url.empty()) {
        statuses = co_await deliver(out.webhook_url, std::move(out.webhooks));
      }
      boost::system::error_code jec;
      auto body = json::parse(out.body, jec);
      if (!jec && body.is_object()) {
        json::array codes;
        for (int s : statuses) codes.push_back(s);
        body.get_object()["webhook_statuses"] = std::move(codes);
        if (out.webhook_url.empty()) body.get_object()["webhook_error"] = "no --webhook-url set";
        out.body = json::serialize(body);
      }
    }

    auto later = std::move(out.later);
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(out.status), 11};
    res.set(bhttp::field::server, "pons-fake-graph");
    res.set(bhttp::field::content_type, out.content_type);
    res.keep_alive(req.keep_alive());
    res.body() = std::move(out.body);
    res.prepare_payload();
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(120));
    auto [wec, wn] = co_await bhttp::async_write(stream, res, token);
    (void)wn;
    if (!later.empty()) {
      if (out.webhook_url.empty()) {
        std::cerr << "pons-fake-graph: no --webhook-url set, automatic statuses dropped\n";
      } else {
        net::co_spawn(co_await net::this_coro::executor,
                      deliver_later(out.webhook_url, std::move(later)), net::detached);
      }
    }
    if (wec || !res.keep_alive()) co_return;
  }
}

net::awaitable<void> session(tcp::socket socket, server_state& state) {
  if (state.tls) {
    beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *state.tls);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
    auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, token);
    if (ec) co_return;  // e.g. the client rejected our certificate
    co_await serve(stream, state);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(5));
    co_await stream.async_shutdown(token);
  } else {
    beast::tcp_stream stream(std::move(socket));
    co_await serve(stream, state);
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }
}

net::awaitable<void> listen(tcp::acceptor& acceptor, server_state& state) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(token);
    if (ec) co_return;
    net::co_spawn(acceptor.get_executor(), session(std::move(socket), state), net::detached);
  }
}

int usage() {
  std::cerr << "usage: pons-fake-graph [--host H] [--port P] [--port-file F] [--tls-cert C "
               "--tls-key K] [--token T] [--app-secret S] [--webhook-url U] [--waba-id W] "
               "[--display-phone-number N] [--time-scale X] [--auto-status-ms N]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) try {
  pons::fake_graph::options opts;
  std::string host = "127.0.0.1", port_file, cert, key;
  unsigned short port = 0;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help") return usage();
    if (i + 1 >= argc) return usage();
    std::string value = argv[++i];
    if (arg == "--host")
      host = value;
    else if (arg == "--port")
      port = static_cast<unsigned short>(std::stoi(value));
    else if (arg == "--port-file")
      port_file = value;
    else if (arg == "--tls-cert")
      cert = value;
    else if (arg == "--tls-key")
      key = value;
    else if (arg == "--token")
      opts.token = value;
    else if (arg == "--app-secret")
      opts.app_secret = value;
    else if (arg == "--webhook-url")
      opts.webhook_url = value;
    else if (arg == "--waba-id")
      opts.waba_id = value;
    else if (arg == "--display-phone-number")
      opts.display_phone_number = value;
    else if (arg == "--time-scale")
      opts.time_scale = std::stod(value);
    else if (arg == "--auto-status-ms")
      opts.auto_status_delay = std::chrono::milliseconds(std::stoul(value));
    else
      return usage();
  }
  if (cert.empty() != key.empty()) return usage();

  net::io_context ioc;
  tcp::acceptor acceptor(ioc, {net::ip::make_address(host), port});
  auto bound = acceptor.local_endpoint().port();
  const bool tls = !cert.empty();
  auto host_part = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  opts.self_base_url = fmt::format("{}://{}:{}", tls ? "https" : "http", host_part, bound);

  server_state state{pons::fake_graph::fake_graph(opts), nullptr};
  if (tls) {
    state.tls = std::make_unique<ssl::context>(ssl::context::tls_server);
    state.tls->use_certificate_chain_file(cert);
    state.tls->use_private_key_file(key, ssl::context::pem);
  }

  net::co_spawn(ioc, listen(acceptor, state), net::detached);
  net::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](auto, int) { ioc.stop(); });

  std::cerr << "pons-fake-graph listening on " << opts.self_base_url << std::endl;
  if (!port_file.empty()) {
    // Write then rename so a reader never sees a partial port number.
    auto tmp = port_file + ".tmp";
    std::ofstream(tmp) << bound << "\n";
    std::rename(tmp.c_str(), port_file.c_str());
  }
  ioc.run();
  return 0;
} catch (const std::exception& e) {
  std::cerr << "pons-fake-graph: " << e.what() << "\n";
  return 1;
}
