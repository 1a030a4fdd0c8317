#pragma once
// Test support: a tiny blocking HTTP/1.1 client over plain loopback sockets, with the control a
// test needs (raw bytes, slow sending, keep-alive, seeing the server close). Header-only.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace pons::test {

/// A parsed HTTP response.
struct http_response {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;

  /// A header's value, empty when absent (name in any case).
  std::string header(std::string name) const {
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto it = headers.find(name);
    return it == headers.end() ? std::string{} : it->second;
  }
};

/// One TCP connection to 127.0.0.1:port.
class http_connection {
 public:
  /// Connect; throws when the connection is refused. `source` picks the local address (any
  /// 127.x.y.z works on loopback), so a test can play several clients.
  explicit http_connection(std::uint16_t port, const std::string& host = "127.0.0.1",
                           const std::string& source = {}) {
    open_socket();
    if (!source.empty()) {
      sockaddr_in local{};
      local.sin_family = AF_INET;
      ::inet_pton(AF_INET, source.c_str(), &local.sin_addr);
      if (::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
        ::close(fd_);
        fd_ = -1;
        throw std::runtime_error("bind failed");
      }
    }
    connect(port, host);
  }

  /// A socket that is not connected yet (connect() later): a test that must know which
  /// descriptors exist when it connects opens them first.
  struct unconnected_t {};
  explicit http_connection(unconnected_t) { open_socket(); }

  /// Connect the socket; throws when the connection is refused.
  void connect(std::uint16_t port, const std::string& host = "127.0.0.1") {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    ::inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      fd_ = -1;
      throw std::runtime_error("connect failed");
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }

  /// The socket's descriptor number.
  int fd() const { return fd_; }

  ~http_connection() {
    if (fd_ >= 0) ::close(fd_);
  }
  http_connection(const http_connection&) = delete;
  http_connection& operator=(const http_connection&) = delete;

  /// Send raw bytes; false when the peer has closed (EPIPE/ECONNRESET).
  bool send_raw(std::string_view data) {
    while (!data.empty()) {
      auto n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  /// Send a request (Content-Length added when a body is given or the method is POST).
  bool send_request(const std::string& method, const std::string& target, std::string_view body,
                    const std::vector<std::pair<std::string, std::string>>& headers = {},
                    bool keep_alive = true) {
    std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
    if (!body.empty() || method == "POST")
      req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    if (!keep_alive) req += "Connection: close\r\n";
    req += "\r\n";
    req += body;
    return send_raw(req);
  }

  /// Read one response (Content-Length framing, or until close); nullopt on timeout or when the
  /// connection closed before a full response.
  std::optional<http_response> read_response(
      std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::size_t header_end;
    while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos)
      if (!fill(deadline)) return std::nullopt;
    http_response res;
    std::string head = buffer_.substr(0, header_end);
    buffer_.erase(0, header_end + 4);
    auto line_end = head.find("\r\n");
    std::string status_line = head.substr(0, line_end);
    if (status_line.size() < 12) return std::nullopt;
    res.status = std::stoi(status_line.substr(9, 3));
    std::size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      auto e = head.find("\r\n", pos);
      if (e == std::string::npos) e = head.size();
      auto line = head.substr(pos, e - pos);
      auto colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        res.headers[name] = value;
      }
      pos = e + 2;
    }
    if (res.status == 100) return read_response(timeout);
    auto cl = res.headers.find("content-length");
    if (cl != res.headers.end()) {
      std::size_t len = std::stoul(cl->second);
      while (buffer_.size() < len)
        if (!fill(deadline)) return std::nullopt;
      res.body = buffer_.substr(0, len);
      buffer_.erase(0, len);
    } else {
      while (fill(deadline)) {
      }
      res.body = std::move(buffer_);
      buffer_.clear();
    }
    return res;
  }

  /// Reads until `needle` has arrived (true) or `timeout` passed or the peer closed (false);
  /// received() holds everything read so far. For streamed answers, read raw.
  bool read_until(std::string_view needle, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (buffer_.find(needle) == std::string::npos)
      if (!fill(deadline)) return false;
    return true;
  }

  /// The bytes read and not yet consumed by read_response.
  const std::string& received() const { return buffer_; }

  /// True when the server closes the connection (EOF or reset) within `timeout`; data that
  /// arrives meanwhile is kept for read_response.
  bool closed_by_peer(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto before = buffer_.size();
      if (!fill(deadline)) return !timed_out_;
      if (buffer_.size() == before) return true;
    }
  }

 private:
  void open_socket() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) throw std::runtime_error("socket failed");
  }

  // Read more into buffer_; false on EOF, error or deadline (timed_out_ says which).
  bool fill(std::chrono::steady_clock::time_point deadline) {
    timed_out_ = false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out_ = true;
      return false;
    }
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r == 0) {
      timed_out_ = true;
      return false;
    }
    if (r < 0) return false;
    char buf[16384];
    auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return false;
    buffer_.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  std::string buffer_;
  bool timed_out_ = false;
};

/// One request on a fresh connection; nullopt when no full response arrived.
inline std::optional<http_response> http_request(
    std::uint16_t port, const std::string& method, const std::string& target,
    std::string_view body = {},
    const std::vector<std::pair<std::string, std::string>>& headers = {},
    std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
  http_connection c(port);
  if (!c.send_request(method, target, body, headers, false)) return std::nullopt;
  return c.read_response(timeout);
}

}  // namespace pons::test
