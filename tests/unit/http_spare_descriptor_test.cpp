#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "pons/http/spare_descriptor.hpp"

using pons::http::spare_descriptor;

namespace {

// Lowers the open-file limit to just above the highest open descriptor and fills every free
// number below it; everything is given back on destruction.
struct descriptors_used_up {
  rlimit before{};
  std::vector<int> placeholders;

  descriptors_used_up() {
    ::getrlimit(RLIMIT_NOFILE, &before);
    int highest = -1;
    for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd"))
      highest = std::max(highest, std::stoi(e.path().filename().string()));
    rlimit tight = before;
    tight.rlim_cur = static_cast<rlim_t>(highest) + 1;
    ::setrlimit(RLIMIT_NOFILE, &tight);
    for (int fd; (fd = ::open("/dev/null", O_RDONLY)) >= 0;) placeholders.push_back(fd);
  }
  ~descriptors_used_up() {
    ::setrlimit(RLIMIT_NOFILE, &before);
    for (int fd : placeholders) ::close(fd);
  }
};

}  // namespace

TEST_CASE("a spare descriptor frees exactly one number when the process has run out", "[http]") {
  spare_descriptor spare;
  REQUIRE(spare.held());
  descriptors_used_up full;
  CHECK(::open("/dev/null", O_RDONLY) == -1);

  spare.release();
  CHECK_FALSE(spare.held());
  const int taken = ::open("/dev/null", O_RDONLY);
  CHECK(taken >= 0);
  CHECK(::open("/dev/null", O_RDONLY) == -1);

  // Its number went elsewhere: the spare cannot be had back until a descriptor is closed.
  CHECK_FALSE(spare.take());
  CHECK_FALSE(spare.held());
  ::close(taken);
  CHECK(spare.take());
  CHECK(spare.held());
  CHECK(::open("/dev/null", O_RDONLY) == -1);
}

TEST_CASE("a spare descriptor is closed with its owner", "[http]") {
  auto open_count = [] {
    return std::distance(std::filesystem::directory_iterator("/proc/self/fd"),
                         std::filesystem::directory_iterator{});
  };
  const auto before = open_count();
  {
    spare_descriptor spare;
    CHECK(spare.held());
    CHECK(open_count() == before + 1);
  }
  CHECK(open_count() == before);
}
