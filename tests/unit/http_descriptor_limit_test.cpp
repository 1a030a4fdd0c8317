#include <sys/resource.h>

#include <catch2/catch.hpp>

#include "pons/http/descriptor_limit.hpp"

using namespace pons::http;

TEST_CASE("connections keep clear of the descriptors the rest of the service needs", "[http]") {
  CHECK(connections_that_fit(1'048'576) == 1'048'576 - reserved_descriptors);
  CHECK(connections_that_fit(4096) == 4096 - reserved_descriptors);
  CHECK(connections_that_fit(1024) == 1024 - reserved_descriptors);
  CHECK(connections_that_fit(256) == 128);
  CHECK(connections_that_fit(2) == 1);
}

TEST_CASE("the soft open-file limit is raised to the hard one", "[http]") {
  rlimit before{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &before) == 0);
  REQUIRE(before.rlim_max >= 64);
  rlimit lowered = before;
  lowered.rlim_cur = 32;
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &lowered) == 0);
  auto now = raise_open_file_limit();
  rlimit after{};
  ::getrlimit(RLIMIT_NOFILE, &after);
  ::setrlimit(RLIMIT_NOFILE, &before);
  CHECK(after.rlim_cur == before.rlim_max);
  CHECK(now == static_cast<std::uint64_t>(before.rlim_max));
}
