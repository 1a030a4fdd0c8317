#pragma once
// How many connections wait in a listening socket's accept queue, as the kernel counts them.
// Readiness alone cannot say: epoll may report a listener readable for a connection that an
// earlier accept already took (the kernel queues a connection before it wakes the listener),
// and accept() fails with EMFILE before it looks at the queue at all.

#include <cstddef>
#include <optional>

namespace pons::http {

/// Connections that completed their handshake and wait to be accepted on `listener` (a
/// listening TCP socket's descriptor); nullopt when the kernel does not say.
std::optional<std::size_t> queued_connections(int listener);

}  // namespace pons::http
