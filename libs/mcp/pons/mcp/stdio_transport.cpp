#include "pons/mcp/stdio_transport.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>

#include "pons/mcp/line_reader.hpp"

namespace pons::mcp {

void fd_sink::send(std::string message) {
  message += '\n';
  std::lock_guard lock(mutex_);
  if (closed_) return;
  const char* p = message.data();
  std::size_t left = message.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      closed_ = true;
      return;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

fd_reader::fd_reader(int fd, std::size_t max_line_bytes, engine& target,
                     std::function<void()> on_end)
    : fd_(fd), max_line_bytes_(max_line_bytes), engine_(target), on_end_(std::move(on_end)) {
  if (::pipe(wake_) != 0) wake_[0] = wake_[1] = -1;
}

fd_reader::~fd_reader() {
  stop();
  for (int fd : wake_) {
    if (fd >= 0) ::close(fd);
  }
}

void fd_reader::start() {
  thread_ = std::thread([this] { run(); });
}

void fd_reader::stop() {
  if (wake_[1] >= 0) {
    char c = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_[1], &c, 1);
  }
  if (thread_.joinable()) thread_.join();
}

void fd_reader::run() {
  line_reader lines(
      max_line_bytes_, [this](std::string_view line) { engine_.handle_text(line); },
      [this](std::size_t limit) { engine_.handle_oversized(limit); });
  char buffer[64 * 1024];
  for (;;) {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    int ready = ::poll(fds, wake_[0] >= 0 ? 2 : 1, -1);
    if (ready < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (wake_[0] >= 0 && (fds[1].revents & POLLIN)) return;  // stop(): no end callback
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = ::read(fd_, buffer, sizeof buffer);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) break;
      lines.feed(std::string_view(buffer, static_cast<std::size_t>(n)));
    }
  }
  lines.finish();
  if (on_end_) on_end_();
}

}  // namespace pons::mcp
