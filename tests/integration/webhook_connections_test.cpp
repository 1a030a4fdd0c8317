// pons-webhook under a flood of connections: silent ones are closed at the header deadline (the
// first request and every keep-alive follow-up alike), the waiting connection of an address
// that has waited longest makes room for a new one, a client over its limit with nothing to
// make room gets 503, and the service raises its own open-file limit. The real binary on
// loopback; 127.x.y.z source addresses play different clients.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/webhook_process.hpp"

using namespace pons::test;
using namespace std::chrono_literals;

namespace {

// Our own descriptor limit, raised to the hard limit so the test can hold thousands of sockets.
rlim_t raise_own_open_files() {
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &lim);
  return lim.rlim_cur;
}

// The value of an unlabelled (or fully labelled) metric line `name value`.
std::optional<double> metric(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
  }
  return std::nullopt;
}

// The soft and hard "Max open files" of a process, from /proc.
std::pair<std::string, std::string> open_file_limits(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/limits");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Max open files", 0) != 0) continue;
    std::istringstream fields(line.substr(std::string("Max open files").size()));
    std::string soft, hard;
    fields >> soft >> hard;
    return {soft, hard};
  }
  return {};
}

// A connected, silent socket from `source`; -1 when connecting failed.
int silent_connection(std::uint16_t port, const char* source) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  // Hang protection: a connect the server never completes gives up.
  timeval tv{20, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  ::inet_pton(AF_INET, source, &local.sin_addr);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

struct close_result {
  std::size_t closed = 0;    // end of stream or reset seen
  std::size_t answered = 0;  // the server sent bytes to a connection that sent none
};

// Waits (at most `hang_protection`) until the server has closed every socket in `fds`.
close_result wait_all_closed(const std::vector<int>& fds, std::chrono::seconds hang_protection) {
  close_result r;
  std::vector<pollfd> open;
  for (int fd : fds) open.push_back({fd, POLLIN, 0});
  auto deadline = std::chrono::steady_clock::now() + hang_protection;
  while (!open.empty() && std::chrono::steady_clock::now() < deadline) {
    if (::poll(open.data(), open.size(), 500) <= 0) continue;
    std::vector<pollfd> still;
    for (auto& p : open) {
      if (p.revents == 0) {
        still.push_back({p.fd, POLLIN, 0});
        continue;
      }
      char buf[512];
      auto n = ::recv(p.fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) {
        ++r.answered;
        still.push_back({p.fd, POLLIN, 0});
      } else {
        ++r.closed;
      }
    }
    open.swap(still);
  }
  return r;
}

// Reads /metrics from its own address, a new connection each time (an idle one would meet the
// header deadline between reads).
struct metrics_reader {
  std::uint16_t port;
  explicit metrics_reader(std::uint16_t p) : port(p) {}

  std::optional<std::string> read() {
    http_connection conn(port, "127.0.0.1", "127.0.0.2");
    if (!conn.send_request("GET", "/metrics", {}, {}, false)) return std::nullopt;
    auto r = conn.read_response(30s);
    if (!r || r->status != 200) return std::nullopt;
    return r->body;
  }

  // Reads until `done(text)` holds; nullopt when an answer is missing or the hang protection
  // runs out.
  template <class Pred>
  std::optional<std::string> until(Pred done, std::chrono::seconds hang_protection = 120s) {
    auto deadline = std::chrono::steady_clock::now() + hang_protection;
    while (std::chrono::steady_clock::now() < deadline) {
      auto text = read();
      if (!text) return std::nullopt;
      if (done(*text)) return text;
      std::this_thread::sleep_for(50ms);
    }
    return std::nullopt;
  }
};

}  // namespace

TEST_CASE(
    "5000 silent connections from one address neither lock out health nor outlive the header "
    "deadline",
    "[webhook][http][connections]") {
  constexpr std::size_t flood = 5000;
  const rlim_t ours = raise_own_open_files();
  REQUIRE(ours >= flood + 256);
  // The service starts with the soft limit most shells give (1024) and must raise it itself:
  // 5000 connections would not fit otherwise.
  webhook_process svc(default_webhook_env(), {"--no-media", "--header-timeout-ms", "3000"},
                      rlimit{1024, ours});
  REQUIRE(svc.started());
  auto [soft, hard] = open_file_limits(svc.proc().pid());
  CHECK(soft == hard);

  std::vector<int> silent;
  silent.reserve(flood);
  for (std::size_t i = 0; i < flood; ++i) {
    int fd = silent_connection(svc.port(), "127.0.0.1");
    if (fd < 0) break;
    silent.push_back(fd);
  }
  REQUIRE(silent.size() == flood);

  // Every one of them was accepted (none refused), seen through another address's connection.
  metrics_reader reader(svc.port());
  auto seen = reader.until([&](const std::string& text) {
    return metric(text, "pons_http_connections_accepted_total").value_or(0) >= flood;
  });
  REQUIRE(seen);
  CHECK(metric(*seen, "pons_http_connections_refused_total") == 0);

  // A new client from the flooding address is still served: the connection of that address that
  // has waited longest for its request makes room.
  http_connection health(svc.port(), "127.0.0.1", "127.0.0.1");
  REQUIRE(health.send_request("GET", "/health", {}));
  auto h = health.read_response(30s);
  REQUIRE(h);
  CHECK(h->status == 200);

  // The silent ones never get an answer; the server closes every one of them (made room for a
  // newer one, or at the 3 s header deadline). 120 s is hang protection only.
  auto closed = wait_all_closed(silent, 120s);
  CHECK(closed.closed == flood);
  CHECK(closed.answered == 0);
  for (int fd : silent) ::close(fd);

  auto after = reader.read();
  REQUIRE(after);
  CHECK(metric(*after, "pons_http_connections_evicted_total").value_or(0) +
            metric(*after, "pons_http_header_timeouts_total").value_or(0) >=
        flood);
  CHECK(svc.proc().running());
}

TEST_CASE("an idle keep-alive connection is closed at the header deadline, not kept for a minute",
          "[webhook][http][connections]") {
  webhook_process svc(default_webhook_env(), {"--no-media", "--header-timeout-ms", "1000"});
  REQUIRE(svc.started());
  http_connection c(svc.port());
  REQUIRE(c.send_request("GET", "/health", {}));
  auto r = c.read_response(30s);
  REQUIRE(r);
  CHECK(r->status == 200);
  // The next request's first byte is due within the header deadline (1 s here). 30 s is hang
  // protection: well below the minute an idle connection used to be kept.
  CHECK(c.closed_by_peer(30s));
}

TEST_CASE("a client over its address's limit with nothing to make room gets 503 and a close",
          "[webhook][http][connections]") {
  webhook_process svc(default_webhook_env(), {"--no-media", "--max-connections-per-address", "4",
                                              "--request-timeout-ms", "120000"});
  REQUIRE(svc.started());
  metrics_reader reader(svc.port());

  // Four requests from 127.0.0.1 whose bodies are still on their way: busy, not silent.
  std::vector<std::unique_ptr<http_connection>> busy;
  for (int i = 0; i < 4; ++i) {
    busy.push_back(std::make_unique<http_connection>(svc.port(), "127.0.0.1", "127.0.0.1"));
    REQUIRE(busy.back()->send_raw(
        "POST /webhook/meta HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n"));
  }
  // Busy: those four and the reader's own request.
  REQUIRE(reader.until([](const std::string& text) {
    return metric(text, "pons_http_connections{state=\"busy\"}").value_or(0) == 5;
  }));

  // A fifth from the same address: refused with a short 503, and closed.
  http_connection fifth(svc.port(), "127.0.0.1", "127.0.0.1");
  auto refused = fifth.read_response(30s);
  REQUIRE(refused);
  CHECK(refused->status == 503);
  CHECK(refused->header("connection") == "close");
  CHECK(fifth.closed_by_peer(30s));

  // Another address is not affected.
  http_connection other(svc.port(), "127.0.0.1", "127.0.0.3");
  REQUIRE(other.send_request("GET", "/health", {}));
  auto ok = other.read_response(30s);
  REQUIRE(ok);
  CHECK(ok->status == 200);

  // Once one of the four is answered it waits for its next request, and a newcomer from
  // 127.0.0.1 takes its place instead of being refused.
  REQUIRE(busy.front()->send_raw("0123456789"));
  auto answered = busy.front()->read_response(30s);
  REQUIRE(answered);
  CHECK(answered->status == 404);  // unsigned
  http_connection sixth(svc.port(), "127.0.0.1", "127.0.0.1");
  REQUIRE(sixth.send_request("GET", "/health", {}));
  auto admitted = sixth.read_response(30s);
  REQUIRE(admitted);
  CHECK(admitted->status == 200);
  CHECK(busy.front()->closed_by_peer(30s));

  auto m = reader.read();
  REQUIRE(m);
  CHECK(metric(*m, "pons_http_connections_refused_total") == 1);
  CHECK(metric(*m, "pons_http_connections_evicted_total") == 1);
}

TEST_CASE("with few descriptors the connection limit shrinks to fit and the service stays up",
          "[webhook][http][connections]") {
  raise_own_open_files();
  // 256 descriptors in all, not more to be had: the default of thousands of connections cannot
  // fit, so the service lowers its limit (and says so) rather than running out mid-flood.
  webhook_process svc(default_webhook_env(), {"--no-media", "--header-timeout-ms", "3000"},
                      rlimit{256, 256});
  REQUIRE(svc.started());
  std::vector<int> silent;
  for (int i = 0; i < 600; ++i) {
    int fd = silent_connection(svc.port(), "127.0.0.1");
    if (fd < 0) break;
    silent.push_back(fd);
  }
  REQUIRE(silent.size() == 600);
  http_connection health(svc.port(), "127.0.0.1", "127.0.0.4");
  REQUIRE(health.send_request("GET", "/health", {}));
  auto h = health.read_response(30s);
  REQUIRE(h);
  CHECK(h->status == 200);
  auto closed = wait_all_closed(silent, 120s);
  CHECK(closed.closed == silent.size());
  for (int fd : silent) ::close(fd);
  CHECK(svc.proc().running());
  CHECK(svc.log().find("event=connection_limit") != std::string::npos);
}
