#pragma once
// Test support: pons-power-cut-fs mounted on a folder, for power-loss tests. mount() starts the
// file system over a backing folder; cut() drops what was not synced and unmounts, like a power
// loss; mount() again boots on what survived. Header-only; needs /dev/fuse and root (or
// fusermount3). A missing /dev/fuse is an error, never a silent skip: the tests that need it
// must fail where it is absent.

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include "support/process_launcher.hpp"

namespace pons::test {

/// The power-cut file system over `backing`, mounted at `mountpoint` while mounted() is true.
class power_cut_mount {
 public:
  /// Nothing is mounted until mount(). `fs_bin` is pons-power-cut-fs; its stderr is appended
  /// to `log_path`; `seed` drives the random prefixes of cut(true).
  power_cut_mount(std::string fs_bin, std::string backing, std::string mountpoint,
                  std::string log_path, std::uint64_t seed)
      : fs_bin_(std::move(fs_bin)),
        backing_(std::move(backing)),
        mountpoint_(std::move(mountpoint)),
        log_path_(std::move(log_path)),
        seed_(seed) {
    ::mkdir(backing_.c_str(), 0700);
    ::mkdir(mountpoint_.c_str(), 0700);
  }
  ~power_cut_mount() { unmount(); }
  power_cut_mount(const power_cut_mount&) = delete;
  power_cut_mount& operator=(const power_cut_mount&) = delete;

  /// Mounts the file system on what the backing folder holds. Throws std::runtime_error saying
  /// why when it cannot (no /dev/fuse, no permission, the binary missing).
  void mount() {
    struct stat st {};
    if (::stat("/dev/fuse", &st) != 0)
      throw std::runtime_error(
          "/dev/fuse is missing: the power-loss tests need FUSE (load the fuse module, or run the "
          "container with --device /dev/fuse and CAP_SYS_ADMIN)");
    ++mounts_;
    daemon_ =
        process::start(fs_bin_, {backing_, mountpoint_, "--seed", std::to_string(seed_ + mounts_)},
                       {}, {}, log_path_);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!is_mounted()) {
      if (!daemon_.running() || std::chrono::steady_clock::now() > deadline) {
        daemon_ = process{};
        throw std::runtime_error("pons-power-cut-fs did not mount " + mountpoint_ + ": " +
                                 read_text_file(log_path_));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  /// True while the file system is mounted at the mount point.
  bool is_mounted() const {
    std::ifstream mounts("/proc/self/mounts");
    std::string device, dir, type, rest;
    while (mounts >> device >> dir >> type && std::getline(mounts, rest))
      if (dir == mountpoint_ && type == "fuse.pons-power-cut") return true;
    return false;
  }

  /// Writes one command to the control file (see file_system.hpp); throws when refused.
  void command(const std::string& line) {
    std::ofstream control(control_path());
    control << line << '\n';
    control.flush();
    if (!control) throw std::runtime_error("pons-power-cut-fs refused the command: " + line);
  }

  /// The control file's text ("cut=0 held=0 syncs=..."), empty when it cannot be read.
  std::string status() const { return read_text_file(control_path()); }

  /// One counter of status() (-1 when absent).
  long long counter(const std::string& name) const {
    std::istringstream in(status());
    std::string field;
    while (in >> field)
      if (field.rfind(name + "=", 0) == 0) return std::stoll(field.substr(name.size() + 1));
    return -1;
  }

  /// The power cut: drops every unsynced write and directory change (or, with `prefix`, lands
  /// a random prefix of them), then unmounts. Stop the processes using the mount first: a real
  /// power cut stops them too.
  void cut(bool prefix) {
    command(prefix ? "cut-prefix" : "cut");
    unmount();
  }

  /// Unmounts (without a cut: everything is synced first, as a clean shutdown does).
  void unmount() {
    if (daemon_.pid() > 0) {
      if (!daemon_.stop(std::chrono::seconds(10))) daemon_ = process{};
    }
    // A daemon that died leaves its mount behind ("Transport endpoint is not connected").
    if (is_mounted()) ::umount2(mountpoint_.c_str(), MNT_DETACH);
    daemon_ = process{};
  }

  /// The mount point.
  const std::string& path() const { return mountpoint_; }
  /// The backing folder (what the "disk" holds; read it only while unmounted).
  const std::string& backing() const { return backing_; }

 private:
  std::string control_path() const { return mountpoint_ + "/.power-cut-control"; }

  std::string fs_bin_;
  std::string backing_;
  std::string mountpoint_;
  std::string log_path_;
  std::uint64_t seed_;
  std::uint64_t mounts_ = 0;
  process daemon_;
};

}  // namespace pons::test
