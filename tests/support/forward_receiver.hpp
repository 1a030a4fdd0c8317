#pragma once
// A real HTTP receiver on loopback for the forwarding tests and the forwarding benchmark: it
// records every request it gets and answers with what the caller programs (status, delay).
// Synchronous Beast, one thread per connection; port 0, so tests can run in parallel. Also the
// one independent check of a delivery's signature (OpenSSL directly, not pons/meta).

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace pons::forward_test {

/// One request as the receiver saw it.
struct received {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;
  std::chrono::steady_clock::time_point at;
};

/// Lowercase hex HMAC-SHA256 of `data` under `key`. Written independently of pons/meta/signature:
/// a test must not trust the code it checks.
inline std::string hmac_sha256_hex(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  std::string hex;
  char buf[3];
  for (unsigned i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", out[i]);
    hex += buf;
  }
  return hex;
}

/// The X-Pons-Signature a delivery signed with `secret` must carry: HMAC of "<timestamp>.<body>".
inline std::string expected_signature(const std::string& secret, const received& r) {
  auto ts = r.headers.find("x-pons-timestamp");
  return hmac_sha256_hex(secret,
                         (ts == r.headers.end() ? std::string() : ts->second) + "." + r.body);
}

/// True when `r` carries a timestamp and a signature that matches it and its body under `secret`.
inline bool signature_valid(const std::string& secret, const received& r) {
  auto sig = r.headers.find("x-pons-signature");
  return r.headers.count("x-pons-timestamp") == 1 && sig != r.headers.end() &&
         sig->second == expected_signature(secret, r);
}

/// What to answer.
struct reply {
  reply(int s = 200, std::chrono::milliseconds d = std::chrono::milliseconds(0),
        std::string where = {})
      : status(s), delay(d), location(std::move(where)) {}
  int status;
  std::chrono::milliseconds delay;
  std::string location;  // for redirects
};

/// The loopback receiver.
class receiver {
 public:
  /// Answers every request with handler(request, index) where index counts from 0.
  explicit receiver(std::function<reply(const received&, std::size_t)> handler)
      : handler_(std::move(handler)), acceptor_(ioc_) {
    namespace net = boost::asio;
    using tcp = net::ip::tcp;
    tcp::endpoint ep(net::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    accept_thread_ = std::thread([this] { accept_loop(); });
  }

  ~receiver() { stop(); }
  receiver(const receiver&) = delete;
  receiver& operator=(const receiver&) = delete;

  /// The URL of `path` on this receiver.
  std::string url(const std::string& path = "/hook") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  /// Everything received so far.
  std::vector<received> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }

  /// How many TCP connections were accepted so far (to observe keep-alive reuse).
  std::size_t connections() const {
    std::lock_guard lock(mu_);
    return sockets_.size();
  }

  /// Waits until at least `n` requests arrived or `timeout` passed; returns the count.
  std::size_t wait_for(std::size_t n, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
    return requests_.size();
  }

  /// Stops accepting and closes every connection.
  void stop() {
    {
      std::lock_guard lock(mu_);
      if (stopped_) return;
      stopped_ = true;
      boost::system::error_code ec;
      for (auto& s : sockets_) {
        s->shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
      }
    }
    // Closing a listening socket does not wake a blocked accept() on Linux; shutdown does.
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
    if (accept_thread_.joinable()) accept_thread_.join();
    boost::system::error_code ec;
    acceptor_.close(ec);
    for (auto& t : connection_threads_) t.join();
  }

 private:
  void accept_loop() {
    for (;;) {
      auto socket = std::make_shared<boost::asio::ip::tcp::socket>(ioc_);
      boost::system::error_code ec;
      acceptor_.accept(*socket, ec);
      std::lock_guard lock(mu_);
      if (ec || stopped_) return;
      sockets_.push_back(socket);
      connection_threads_.emplace_back([this, socket] { serve(*socket); });
    }
  }

  void serve(boost::asio::ip::tcp::socket& socket) {
    namespace http = boost::beast::http;
    boost::beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> req;
      boost::system::error_code ec;
      http::read(socket, buffer, req, ec);
      if (ec) return;
      received r;
      r.method = std::string(req.method_string());
      r.target = std::string(req.target());
      for (const auto& f : req) {
        std::string name(f.name_string());
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        r.headers[name] = std::string(f.value());
      }
      r.body = req.body();
      r.at = std::chrono::steady_clock::now();
      std::size_t index = 0;
      {
        std::lock_guard lock(mu_);
        index = requests_.size();
        requests_.push_back(r);
      }
      cv_.notify_all();
      const reply answer = handler_(r, index);
      if (answer.delay.count() > 0) std::this_thread::sleep_for(answer.delay);
      http::response<http::string_body> res{static_cast<http::status>(answer.status), 11};
      res.set(http::field::content_type, "text/plain");
      if (!answer.location.empty()) res.set(http::field::location, answer.location);
      if (answer.status != 204 && answer.status != 304) res.body() = "ok";
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      http::write(socket, res, ec);
      if (ec || !req.keep_alive()) return;
    }
  }

  std::function<reply(const received&, std::size_t)> handler_;
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<received> requests_;
  std::vector<std::shared_ptr<boost::asio::ip::tcp::socket>> sockets_;
  std::vector<std::thread> connection_threads_;
  std::thread accept_thread_;
  bool stopped_ = false;
};

}  // namespace pons::forward_test
