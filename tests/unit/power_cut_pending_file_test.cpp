#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "support/power_cut_fs/pending_file.hpp"
#include "unit/store_test_util.hpp"

using pons::power_cut::pending_file;

namespace {

// The live file as readers see it: `backing` (the backing file's bytes) with the overlay.
std::string live(const pending_file& p, const std::string& backing) {
  std::string out(static_cast<std::size_t>(p.size()), '\0');
  std::copy_n(backing.begin(), std::min(backing.size(), out.size()), out.begin());
  p.overlay(0, std::span<char>(out.data(), out.size()));
  return out;
}

// A backing file holding `text`; its descriptor.
struct backing_file {
  pons::store::test::temp_dir dir;
  int fd;
  explicit backing_file(const std::string& text) {
    fd = ::open(dir.file("f").c_str(), O_RDWR | O_CREAT, 0600);
    REQUIRE(::pwrite(fd, text.data(), text.size(), 0) == static_cast<ssize_t>(text.size()));
  }
  ~backing_file() { ::close(fd); }
  std::string text() const {
    std::string out(static_cast<std::size_t>(::lseek(fd, 0, SEEK_END)), '\0');
    REQUIRE(::pread(fd, out.data(), out.size(), 0) == static_cast<ssize_t>(out.size()));
    return out;
  }
};

}  // namespace

TEST_CASE("pending_file: writes are seen by readers and reach the file only when persisted",
          "[power_cut]") {
  backing_file f("abcdef");
  pending_file p(6);
  p.write(4, "XYZ");
  CHECK(p.size() == 7);
  CHECK(live(p, f.text()) == "abcdXYZ");
  CHECK(f.text() == "abcdef");
  REQUIRE(p.persist(f.fd) == 0);
  CHECK(f.text() == "abcdXYZ");
  CHECK(p.clean());
}

TEST_CASE("pending_file: a truncation then growth reads zeros, not the old bytes", "[power_cut]") {
  backing_file f("abcdef");
  pending_file p(6);
  p.truncate(2);
  p.write(4, "Z");
  CHECK(live(p, f.text()) == std::string("ab\0\0Z", 5));
  REQUIRE(p.persist(f.fd) == 0);
  CHECK(f.text() == std::string("ab\0\0Z", 5));
}

TEST_CASE("pending_file: a lost sync keeps its bytes visible but never writes them",
          "[power_cut]") {
  backing_file f("aaaaaaaa");
  pending_file p(8);
  p.write(0, "LOST");
  p.lose();
  CHECK(!p.clean());
  CHECK(live(p, f.text()) == "LOSTaaaa");
  // A later write over part of the lost bytes is persisted; the rest stays lost.
  p.write(2, "ok");
  REQUIRE(p.persist(f.fd) == 0);
  CHECK(f.text() == "aaokaaaa");
  CHECK(live(p, f.text()) == "LOokaaaa");
  // A lost truncation hides the backing file's old tail.
  p.truncate(4);
  p.write(6, "T");
  p.lose();
  CHECK(live(p, f.text()) == std::string("LOok\0\0T", 7));
}

TEST_CASE("pending_file: a prefix cut lands the first writes and tears the next", "[power_cut]") {
  backing_file f(std::string(2048, '.'));
  pending_file p(2048);
  p.write(0, std::string(1024, 'A'));
  p.write(1024, std::string(1024, 'B'));
  p.write(0, std::string(8, 'C'));
  REQUIRE(p.persist_prefix(f.fd, 1, 512) == 0);
  CHECK(f.text() == std::string(1024, 'A') + std::string(512, 'B') + std::string(512, '.'));
  CHECK(p.clean());
}
