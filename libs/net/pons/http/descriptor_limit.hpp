#pragma once
// Open-file descriptors for pons-webhook: every client connection holds one, so the usual soft
// limit of 1024 would end a flood with accept() failing (EMFILE) long before the connection
// limit. The service raises its soft limit to the hard one at start and keeps its connection
// limit below what the descriptors allow.

#include <cstddef>
#include <cstdint>

namespace pons::http {

/// Descriptors kept for everything but client connections: standard streams, the event loop,
/// the listener, SQLite files of the writer, checkpointer, media worker and deliverer, media
/// files, Graph API and forwarding connections, and answers to refused clients.
inline constexpr std::size_t reserved_descriptors = 320;

/// Raises this process's soft RLIMIT_NOFILE to its hard limit. Returns the soft limit in force
/// afterwards (unchanged when raising failed).
std::uint64_t raise_open_file_limit();

/// How many client connections fit in `open_files` descriptors: all but reserved_descriptors,
/// or half of them when there are fewer than twice that many. Pure.
std::size_t connections_that_fit(std::uint64_t open_files);

}  // namespace pons::http
