#pragma once
// The FUSE high-level operations of the power-cut file system: each callback hands its call to
// the file_system that fuse_main's private data points at.

#define FUSE_USE_VERSION 35
#include <fuse.h>

namespace pons::power_cut {

/// The operations table for fuse_main; private_data must be a file_system*.
fuse_operations operations();

}  // namespace pons::power_cut
