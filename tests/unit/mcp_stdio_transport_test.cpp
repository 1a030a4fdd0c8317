#include <unistd.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <future>
#include <string>
#include <thread>

#include "pons/mcp/stdio_transport.hpp"

namespace json = boost::json;
using namespace pons::mcp;
using namespace std::chrono_literals;

namespace {

struct pipe_pair {
  int fds[2] = {-1, -1};
  pipe_pair() { REQUIRE(::pipe(fds) == 0); }
  ~pipe_pair() {
    for (int fd : fds) {
      if (fd >= 0) ::close(fd);
    }
  }
  void close_write() {
    ::close(fds[1]);
    fds[1] = -1;
  }
};

std::string read_lines(int fd, std::size_t count) {
  std::string out;
  char buf[4096];
  while (static_cast<std::size_t>(std::count(out.begin(), out.end(), '\n')) < count) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

}  // namespace

TEST_CASE("stdio transport answers line by line and reports end of input", "[mcp]") {
  pipe_pair in, out;
  registry reg;
  worker_pool pool(1, 4);
  fd_sink sink(out.fds[1]);
  engine session(reg, pool, sink, {});
  std::promise<void> ended;
  fd_reader reader(in.fds[0], 64, session, [&] { ended.set_value(); });
  reader.start();

  std::string input = R"({"jsonrpc":"2.0","id":1,"method":"ping"})"
                      "\n" +
                      std::string(200, 'x') + "\n" + R"({"jsonrpc":"2.0","id":2,"method":"ping"})" +
                      "\n";
  REQUIRE(::write(in.fds[1], input.data(), input.size()) == static_cast<ssize_t>(input.size()));
  std::string lines = read_lines(out.fds[0], 3);
  std::vector<json::value> messages;
  std::size_t start = 0;
  for (std::size_t nl; (nl = lines.find('\n', start)) != std::string::npos; start = nl + 1) {
    messages.push_back(json::parse(lines.substr(start, nl - start)));
  }
  REQUIRE(messages.size() == 3);
  CHECK(messages[0].at("id") == 1);
  CHECK(messages[1].at("error").at("code") == -32600);  // the 200-byte line
  CHECK(messages[2].at("id") == 2);

  in.close_write();
  CHECK(ended.get_future().wait_for(2s) == std::future_status::ready);
  reader.stop();
}

TEST_CASE("stdio reader stops on request while blocked on input", "[mcp]") {
  pipe_pair in, out;
  registry reg;
  worker_pool pool(1, 4);
  fd_sink sink(out.fds[1]);
  engine session(reg, pool, sink, {});
  bool ended = false;
  fd_reader reader(in.fds[0], 1024, session, [&] { ended = true; });
  reader.start();
  std::this_thread::sleep_for(20ms);
  reader.stop();       // returns although no input ever comes (a hang here fails by timeout)
  CHECK_FALSE(ended);  // a requested stop is not an end of input
}

TEST_CASE("stdio sink notices a closed peer instead of dying on SIGPIPE", "[mcp]") {
  std::signal(SIGPIPE, SIG_IGN);
  pipe_pair out;
  fd_sink sink(out.fds[1]);
  ::close(out.fds[0]);
  out.fds[0] = -1;
  sink.send("{}");
  CHECK(sink.closed());
}
