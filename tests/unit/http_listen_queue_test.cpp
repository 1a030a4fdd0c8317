#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "pons/http/listen_queue.hpp"
#include "support/process_http_client.hpp"

using boost::asio::ip::tcp;
using pons::http::queued_connections;
using namespace std::chrono_literals;

namespace {

// The server's side of a loopback handshake may finish just after connect() returns: waits until
// the queue holds `n`, giving up after the hang protection.
bool queue_reaches(tcp::acceptor& listener, std::size_t n) {
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (queued_connections(listener.native_handle()) == n) return true;
    std::this_thread::sleep_for(1ms);
  }
  return false;
}

}  // namespace

TEST_CASE("a listener's queue counts connections accepted by nobody yet", "[http]") {
  boost::asio::io_context io;
  tcp::acceptor listener(io, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  const auto port = listener.local_endpoint().port();
  CHECK(queued_connections(listener.native_handle()) == std::size_t{0});

  pons::test::http_connection first(port);
  pons::test::http_connection second(port);
  CHECK(queue_reaches(listener, 2));

  tcp::socket taken = listener.accept();
  CHECK(queued_connections(listener.native_handle()) == std::size_t{1});
  tcp::socket taken_too = listener.accept();
  CHECK(queued_connections(listener.native_handle()) == std::size_t{0});
}

TEST_CASE("a socket that is not listening has no queue to count", "[http]") {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  CHECK_FALSE(queued_connections(fd).has_value());
  ::close(fd);
  CHECK_FALSE(queued_connections(-1).has_value());
}
