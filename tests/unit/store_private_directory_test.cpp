#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "pons/store/private_directory.hpp"
#include "support/process_launcher.hpp"

using namespace pons;

namespace {

unsigned mode_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("private directories are 0700 whatever the umask, parents left alone", "[store]") {
  test::temp_dir dir;
  ::chmod(dir.path().c_str(), 0755);
  const auto old_mask = ::umask(022);
  REQUIRE(store::create_private_directories(dir.file("a/b/c")));
  CHECK(mode_of(dir.path()) == 0755);
  CHECK(mode_of(dir.file("a")) == 0700);
  CHECK(mode_of(dir.file("a/b")) == 0700);
  CHECK(mode_of(dir.file("a/b/c")) == 0700);

  // An existing folder keeps its mode; make_private_directory tightens the one it is given.
  ::mkdir(dir.file("shared").c_str(), 0755);
  REQUIRE(store::create_private_directories(dir.file("shared/inner")));
  CHECK(mode_of(dir.file("shared")) == 0755);
  ::chmod(dir.file("shared/inner").c_str(), 0755);
  REQUIRE(store::make_private_directory(dir.file("shared/inner")));
  CHECK(mode_of(dir.file("shared")) == 0755);
  CHECK(mode_of(dir.file("shared/inner")) == 0700);

  // Even a umask that takes the owner's bits gives a usable private folder.
  ::umask(0277);
  REQUIRE(store::create_private_directories(dir.file("strict/x")));
  CHECK(mode_of(dir.file("strict/x")) == 0700);
  ::umask(old_mask);

  // A file in the way is an error, not a crash or a silent success.
  std::ofstream(dir.file("file")) << "x";
  auto blocked = store::create_private_directories(dir.file("file/sub"));
  REQUIRE_FALSE(blocked);
  CHECK(blocked.error() == boost::system::errc::not_a_directory);
}
