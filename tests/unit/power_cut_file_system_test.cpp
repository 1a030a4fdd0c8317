// The power-cut file system's operations, without FUSE: paths inside the mount, a real backing
// folder.
#include <fcntl.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "support/power_cut_fs/file_system.hpp"
#include "unit/store_test_util.hpp"

using pons::power_cut::file_system;

namespace {

struct fixture {
  pons::store::test::temp_dir dir;
  std::string root = dir.file("backing");
  std::unique_ptr<file_system> fs;

  fixture() {
    std::filesystem::create_directory(root);
    fs = std::make_unique<file_system>(root, 1);
  }

  std::uint64_t create(const std::string& path) {
    std::uint64_t fh = 0;
    REQUIRE(fs->create(path, 0600, O_RDWR, fh) == 0);
    return fh;
  }
  std::uint64_t open(const std::string& path) {
    std::uint64_t fh = 0;
    bool direct = false;
    REQUIRE(fs->open(path, O_RDWR, fh, direct) == 0);
    return fh;
  }
  void write(std::uint64_t fh, const std::string& text, off_t at = 0) {
    REQUIRE(fs->write(fh, text.data(), text.size(), at) == static_cast<int>(text.size()));
  }
  std::string read(std::uint64_t fh) {
    char buf[256];
    const int n = fs->read(fh, buf, sizeof buf, 0);
    REQUIRE(n >= 0);
    return std::string(buf, static_cast<std::size_t>(n));
  }
  void sync_dir(const std::string& path) {
    std::uint64_t fh = 0;
    REQUIRE(fs->opendir(path, fh) == 0);
    REQUIRE(fs->fsyncdir(fh) == 0);
    fs->releasedir(fh);
  }
  // The power cut; the backing folder is what a restart finds.
  void cut() {
    REQUIRE(fs->control("cut") == 0);
    fs.reset();
  }
  bool exists(const std::string& path) const { return std::filesystem::exists(root + path); }
  std::string content(const std::string& path) const {
    std::ifstream in(root + path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
};

}  // namespace

TEST_CASE("power-cut fs: a new file whose directory was never synced vanishes", "[power_cut]") {
  fixture f;
  auto fh = f.create("/new");
  f.write(fh, "data");
  REQUIRE(f.fs->fsync(fh) == 0);
  f.fs->release(fh);
  f.cut();
  CHECK(!f.exists("/new"));
}

TEST_CASE("power-cut fs: synced data in a synced entry survives, later writes do not",
          "[power_cut]") {
  fixture f;
  auto fh = f.create("/kept");
  f.write(fh, "durable");
  REQUIRE(f.fs->fsync(fh) == 0);
  f.sync_dir("/");
  f.write(fh, "XX");
  CHECK(f.read(fh) == "XXrable");
  f.fs->release(fh);
  f.cut();
  CHECK(f.content("/kept") == "durable");
}

TEST_CASE("power-cut fs: an unsynced remove or rename is taken back", "[power_cut]") {
  fixture f;
  for (const auto* name : {"/a", "/b"}) {
    auto fh = f.create(name);
    f.write(fh, name);
    REQUIRE(f.fs->fsync(fh) == 0);
    f.fs->release(fh);
  }
  f.sync_dir("/");
  REQUIRE(f.fs->unlink("/a") == 0);
  REQUIRE(f.fs->mkdir("/d", 0700) == 0);
  REQUIRE(f.fs->rename("/b", "/d/b", 0) == 0);
  struct stat st {};
  CHECK(f.fs->getattr("/a", &st, 0) == -ENOENT);
  f.cut();
  CHECK(f.content("/a") == "/a");
  CHECK(f.content("/b") == "/b");
  CHECK(!f.exists("/d"));
}

TEST_CASE("power-cut fs: a failed fsync loses its data, and each open file hears of it once",
          "[power_cut]") {
  fixture f;
  auto fh = f.create("/db-wal");
  f.sync_dir("/");
  auto other = f.open("/db-wal");
  f.write(fh, "lost");
  REQUIRE(f.fs->control("fail-sync -wal") == 0);
  CHECK(f.fs->fsync(fh) == -EIO);
  CHECK(f.read(fh) == "lost");        // the page cache still has it
  CHECK(f.fs->fsync(other) == -EIO);  // the other descriptor hears of it once...
  CHECK(f.fs->fsync(other) == 0);     // ...then the file syncs "fine"
  f.write(fh, "late", 4);
  CHECK(f.fs->fsync(fh) == 0);
  CHECK(f.fs->status().find("failed_syncs=2") != std::string::npos);
  f.fs->release(fh);
  f.fs->release(other);
  f.cut();
  CHECK(f.content("/db-wal") == std::string(4, '\0') + "late");
}

TEST_CASE("power-cut fs: after a cut every operation fails, and unknown commands are refused",
          "[power_cut]") {
  fixture f;
  CHECK(f.fs->control("explode") == -EINVAL);
  REQUIRE(f.fs->control("cut") == 0);
  std::uint64_t fh = 0;
  CHECK(f.fs->create("/x", 0600, O_RDWR, fh) == -EIO);
  CHECK(f.fs->status().rfind("cut=1", 0) == 0);
}
