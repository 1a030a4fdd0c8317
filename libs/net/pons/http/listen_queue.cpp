#include "pons/http/listen_queue.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace pons::http {

std::optional<std::size_t> queued_connections(int listener) {
  // For a socket in LISTEN state Linux reports the accept queue's length in tcpi_unacked (the
  // same figure `ss -l` shows as Recv-Q).
  tcp_info info{};
  socklen_t len = sizeof info;
  if (::getsockopt(listener, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return std::nullopt;
  if (info.tcpi_state != TCP_LISTEN) return std::nullopt;
  return static_cast<std::size_t>(info.tcpi_unacked);
}

}  // namespace pons::http
