#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <future>
#include <thread>

#include "pons/mcp/worker_pool.hpp"

using pons::mcp::worker_pool;

namespace {

int own_niceness() {
  return getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
}

}  // namespace

TEST_CASE("mcp worker_pool runs every queued job before it stops", "[mcp][worker_pool]") {
  std::atomic<int> ran{0};
  {
    worker_pool pool(2, 64);
    for (int i = 0; i < 50; ++i) REQUIRE(pool.post([&] { ++ran; }));
  }
  CHECK(ran == 50);
}

TEST_CASE("mcp worker_pool refuses a job beyond its queue and after stop", "[mcp][worker_pool]") {
  std::promise<void> release;
  auto released = release.get_future().share();
  std::promise<void> started;
  worker_pool pool(1, 1);
  REQUIRE(pool.post([&, released] {
    started.set_value();
    released.wait();
  }));
  started.get_future().wait();  // the one thread is busy: the queue holds one job
  CHECK(pool.post([] {}));
  CHECK_FALSE(pool.post([] {}));
  release.set_value();
  pool.stop();
  CHECK_FALSE(pool.post([] {}));
}

TEST_CASE("mcp worker_pool threads run at the asked niceness above their creator's, capped at 19",
          "[mcp][worker_pool]") {
  const int creator = own_niceness();
  for (int niceness : {0, 3, 10, 40}) {
    CAPTURE(niceness);
    std::promise<int> seen;
    auto got = seen.get_future();
    {
      worker_pool pool(1, 4, niceness);
      REQUIRE(pool.post([&] { seen.set_value(own_niceness()); }));
    }
    CHECK(got.get() == std::min(creator + niceness, 19));
    // Only the pool's threads: the creating thread keeps its priority.
    CHECK(own_niceness() == creator);
  }
}

TEST_CASE("mcp worker_pool runs its before_job hook on the worker thread before each job",
          "[mcp][worker_pool]") {
  std::atomic<int> hooks{0};
  std::atomic<int> jobs_seeing_their_hook{0};
  {
    worker_pool pool(1, 64, 0, [&] { ++hooks; });
    for (int i = 1; i <= 20; ++i) {
      REQUIRE(pool.post([&, i] {
        if (hooks.load() == i) ++jobs_seeing_their_hook;
      }));
    }
  }
  CHECK(hooks == 20);
  CHECK(jobs_seeing_their_hook == 20);  // one thread: the i-th job follows the i-th hook
}

TEST_CASE("quick tool workers number one fewer than the cores a thread may use, at least one",
          "[mcp][worker_pool]") {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  REQUIRE(sched_getaffinity(0, sizeof allowed, &allowed) == 0);
  CHECK(pons::mcp::quick_workers_for(0) == 1);
  CHECK(pons::mcp::quick_workers_for(1) == 1);
  CHECK(pons::mcp::quick_workers_for(2) == 1);
  CHECK(pons::mcp::quick_workers_for(3) == 2);
  CHECK(pons::mcp::quick_workers_for(8) == 7);
  CHECK(pons::mcp::quick_workers_for(17) == 16);
  CHECK(pons::mcp::quick_workers_for(128) == 16);
  const auto cores = static_cast<std::size_t>(CPU_COUNT(&allowed));
  CHECK(pons::mcp::quick_worker_count() == pons::mcp::quick_workers_for(cores));
  // A thread held to one core (as a taskset or a cpuset would hold the process) gets one.
  int first = 0;
  while (!CPU_ISSET(first, &allowed)) ++first;
  std::size_t on_one_core = 0;
  std::thread([&] {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    if (sched_setaffinity(0, sizeof one, &one) == 0) on_one_core = pons::mcp::quick_worker_count();
  }).join();
  CHECK(on_one_core == 1);
}
