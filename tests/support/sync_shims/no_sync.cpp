// libpons_no_sync.so: preloaded (LD_PRELOAD) into a process under test, fsync and fdatasync
// return success without syncing anything. That is the bug the power-loss check exists to
// catch: a process that acknowledges writes nothing made durable. Tests only.
#include <unistd.h>

extern "C" {

int fsync(int) {
  return 0;
}

int fdatasync(int) {
  return 0;
}

}  // extern "C"
