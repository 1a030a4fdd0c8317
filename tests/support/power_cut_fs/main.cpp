// pons-power-cut-fs BACKING MOUNTPOINT [--seed N]: a FUSE file system for power-loss tests. It
// passes through to BACKING but keeps every write since a file's last fsync in memory, and
// directory changes revocable until their directory is fsynced; writing "cut" (or "cut-prefix")
// to MOUNTPOINT/.power-cut-control drops what was not synced, as a power loss does. See
// file_system.hpp for the commands and docs/hardening.md for how the tests use it. Runs in the
// foreground until unmounted or sent SIGTERM.
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "file_system.hpp"
#include "fuse_glue.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> positional;
  std::uint64_t seed = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--seed" && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else {
      positional.push_back(a);
    }
  }
  if (positional.size() != 2) {
    std::fprintf(stderr, "usage: pons-power-cut-fs BACKING MOUNTPOINT [--seed N]\n");
    return 2;
  }
  struct stat st {};
  if (::stat("/dev/fuse", &st) != 0) {
    std::fprintf(stderr,
                 "pons-power-cut-fs: /dev/fuse is missing: the power-loss tests need FUSE (load "
                 "the fuse module, or give the container --device /dev/fuse)\n");
    return 3;
  }
  char* backing = ::realpath(positional[0].c_str(), nullptr);
  if (!backing) {
    std::fprintf(stderr, "pons-power-cut-fs: cannot resolve the backing folder %s\n",
                 positional[0].c_str());
    return 2;
  }
  pons::power_cut::file_system fs(backing, seed);
  std::free(backing);

  // Foreground, multithreaded.
  std::vector<std::string> args{argv[0], positional[1], "-f", "-o",
                                "fsname=pons-power-cut,subtype=pons-power-cut,max_threads=16"};
  std::vector<char*> fuse_argv;
  for (auto& a : args) fuse_argv.push_back(a.data());
  const auto ops = pons::power_cut::operations();
  return fuse_main(static_cast<int>(fuse_argv.size()), fuse_argv.data(), &ops, &fs);
}
