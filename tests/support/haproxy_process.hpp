#pragma once
// Test support: Debian's HAProxy as the load balancer in front of several pons-webhook
// instances, on loopback. Round robin; each instance's /health is checked every 100 ms, so one
// that stops answering (or whose database is down) is taken out of rotation at once, and a
// request whose connection is refused is tried on another instance. Stopped with the object.
// Header-only.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "support/process_http_client.hpp"
#include "support/process_launcher.hpp"

namespace pons::test {

/// Where Debian installs HAProxy.
inline const std::string haproxy_bin = "/usr/sbin/haproxy";

/// True when this machine has HAProxy.
inline bool haproxy_available() {
  return std::filesystem::exists(haproxy_bin);
}

/// A loopback port nobody listens on right now (the kernel's choice for a socket bound to 0).
inline std::uint16_t unused_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  std::uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

class haproxy_process {
 public:
  /// Balances 127.0.0.1:port() over the instances listening on `backends`; started() tells
  /// whether it came up and routed one /health through.
  explicit haproxy_process(const std::vector<std::uint16_t>& backends) {
    port_ = unused_loopback_port();
    std::ofstream cfg(dir_.file("haproxy.cfg"));
    cfg << "global\n"
           "  maxconn 512\n"
           "defaults\n"
           "  mode http\n"
           "  timeout connect 1s\n"
           "  timeout client 30s\n"
           "  timeout server 30s\n"
           "  retries 3\n"
           "  option redispatch 1\n"
           "frontend webhooks\n"
           "  bind 127.0.0.1:"
        << port_
        << "\n"
           "  default_backend pons\n"
           "backend pons\n"
           "  balance roundrobin\n"
           "  option httpchk GET /health\n"
           "  http-check expect status 200\n";
    for (std::size_t i = 0; i < backends.size(); ++i) {
      cfg << "  server pons" << i << " 127.0.0.1:" << backends[i]
          << " check inter 100ms fall 1 rise 1\n";
    }
    cfg.close();
    proc_ = process::start(haproxy_bin, {"-db", "-f", dir_.file("haproxy.cfg")}, {}, {},
                           dir_.file("stderr.log"));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline && proc_.running()) {
      if (answers_health()) {
        started_ = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  /// True once a request went through to an instance.
  bool started() const { return started_; }
  /// The balancer's port.
  std::uint16_t port() const { return port_; }
  /// What HAProxy wrote to stderr.
  std::string log() const { return read_text_file(dir_.file("stderr.log")); }

 private:
  // Whether /health comes back 200 through the balancer (not listening yet: no).
  bool answers_health() const {
    try {
      auto r = http_request(port_, "GET", "/health", {}, {}, std::chrono::seconds(2));
      return r && r->status == 200;
    } catch (const std::exception&) {
      return false;
    }
  }

  temp_dir dir_;
  process proc_;
  std::uint16_t port_ = 0;
  bool started_ = false;
};

}  // namespace pons::test
