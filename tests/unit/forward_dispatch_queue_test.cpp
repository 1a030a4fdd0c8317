#include <algorithm>
#include <catch2/catch.hpp>

#include "pons/forward/dispatch_queue.hpp"

using namespace pons::forward;

namespace {

delivery_job job(std::int64_t delivery_id, std::int64_t target_id) {
  delivery_job j;
  j.delivery_id = delivery_id;
  j.target_id = target_id;
  return j;
}

}  // namespace

TEST_CASE("forward: dispatch queue sends at most per_target of a target at a time", "[forward]") {
  dispatch_queue q(2);
  REQUIRE(q.add({job(1, 7), job(2, 7), job(3, 7)}) == 3);
  auto a = q.take();
  auto b = q.take();
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->delivery_id == 1);
  CHECK(b->delivery_id == 2);
  CHECK_FALSE(q.take());  // target 7 has two out
  CHECK(q.waiting() == 1);
  q.sent(7);
  auto c = q.take();
  REQUIRE(c);
  CHECK(c->delivery_id == 3);
  // Sent is not recorded: all three stay held until recorded.
  q.sent(7);
  q.sent(7);
  CHECK(q.held() == 3);
  q.recorded(1);
  q.recorded(2);
  q.recorded(3);
  CHECK(q.held() == 0);
}

TEST_CASE("forward: dispatch queue serves targets in turn", "[forward]") {
  dispatch_queue q(8);
  q.add({job(1, 1), job(2, 1), job(3, 1), job(4, 2), job(5, 2), job(6, 3)});
  std::vector<std::int64_t> targets;
  while (auto j = q.take()) targets.push_back(j->target_id);
  CHECK(targets == std::vector<std::int64_t>{1, 2, 3, 1, 2, 1});
}

TEST_CASE("forward: a re-claimed delivery still held is not queued twice", "[forward]") {
  dispatch_queue q(4);
  REQUIRE(q.add({job(1, 1), job(2, 1)}) == 2);
  auto first = q.take();
  REQUIRE(first);
  q.sent(1);
  // Lease renewed by a second claim while 1 waits for its record and 2 waits to be sent.
  CHECK(q.add({job(1, 1), job(2, 1), job(3, 1)}) == 1);
  CHECK(q.waiting() == 2);
  q.recorded(1);
  CHECK(q.add({job(1, 1)}) == 1);  // after recording it may come back (a retry)
}

TEST_CASE("forward: draining hands back only what no worker took", "[forward]") {
  dispatch_queue q(1);
  q.add({job(1, 1), job(2, 1), job(3, 2)});
  auto taken = q.take();
  REQUIRE(taken);
  auto ids = q.drain_waiting();
  std::sort(ids.begin(), ids.end());
  CHECK(ids.size() == 2);
  CHECK(std::find(ids.begin(), ids.end(), taken->delivery_id) == ids.end());
  CHECK(q.held() == 1);  // the taken one is still out
  CHECK_FALSE(q.take());
}
