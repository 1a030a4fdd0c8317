#include "pons/http/spare_descriptor.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace pons::http {

spare_descriptor::spare_descriptor() {
  take();
}

spare_descriptor::~spare_descriptor() {
  release();
}

void spare_descriptor::release() {
  if (fd_ < 0) return;
  ::close(fd_);
  fd_ = -1;
}

bool spare_descriptor::take() {
  if (fd_ < 0) fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  return fd_ >= 0;
}

}  // namespace pons::http
