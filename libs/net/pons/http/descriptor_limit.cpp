#include "pons/http/descriptor_limit.hpp"

#include <sys/resource.h>

#include <algorithm>

namespace pons::http {

std::uint64_t raise_open_file_limit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return 0;
  if (lim.rlim_cur != lim.rlim_max) {
    rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
  }
  return lim.rlim_cur == RLIM_INFINITY ? UINT64_MAX : static_cast<std::uint64_t>(lim.rlim_cur);
}

std::size_t connections_that_fit(std::uint64_t open_files) {
  const std::uint64_t reserve = std::min<std::uint64_t>(reserved_descriptors, open_files / 2);
  const std::uint64_t fit = open_files - reserve;
  return static_cast<std::size_t>(std::min<std::uint64_t>(fit, SIZE_MAX));
}

}  // namespace pons::http
