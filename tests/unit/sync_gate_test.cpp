#include "pons/webhook/sync_gate.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

using pons::webhook::sync_gate;

namespace {

// A sync the test holds until it lets it go: shows which answers each sync released.
struct held_sync {
  std::mutex mu;
  std::condition_variable cv;
  int started = 0;
  int allowed = 0;  // syncs allowed to return
  boost::system::error_code result;

  boost::system::error_code operator()() {
    std::unique_lock lock(mu);
    const int mine = ++started;
    cv.notify_all();
    cv.wait(lock, [&] { return allowed >= mine; });
    return result;
  }
  void wait_started(int n) {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return started >= n; });
  }
  void allow(int n) {
    {
      std::lock_guard lock(mu);
      allowed = n;
    }
    cv.notify_all();
  }
  int started_now() {
    std::lock_guard lock(mu);
    return started;
  }
};

// Answers as they arrive: which one, and how many syncs had started by then.
struct answer_log {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::pair<char, int>> seen;
  std::vector<boost::system::error_code> errors;

  sync_gate::answer make(char name, held_sync& sync) {
    return [this, name, &sync](const boost::system::error_code& ec) {
      std::lock_guard lock(mu);
      seen.emplace_back(name, sync.started_now());
      errors.push_back(ec);
      cv.notify_all();
    };
  }
  bool wait_for(std::size_t n) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(10), [&] { return seen.size() >= n; });
  }
  std::size_t count() {
    std::lock_guard lock(mu);
    return seen.size();
  }
};

}  // namespace

TEST_CASE("sync_gate: an answer waits for a sync that started after it was queued", "[sync]") {
  held_sync sync;
  answer_log log;
  sync_gate gate([&] { return sync(); });

  gate.after_next_sync(log.make('a', sync));
  sync.wait_started(1);
  // Queued while sync 1 runs: sync 1 may have begun before this write, so it must not count.
  gate.after_next_sync(log.make('b', sync));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(log.count() == 0);  // nothing answered while its sync is still running

  sync.allow(1);
  REQUIRE(log.wait_for(1));
  sync.wait_started(2);
  CHECK(log.count() == 1);  // b still waits: sync 2 has not returned
  sync.allow(2);
  REQUIRE(log.wait_for(2));

  REQUIRE(log.seen.size() == 2);
  CHECK(log.seen[0].first == 'a');
  CHECK(log.seen[1].first == 'b');
  CHECK(log.seen[1].second == 2);
  CHECK(!log.errors[0]);
  CHECK(!log.errors[1]);
  CHECK(gate.syncs() == 2);
}

TEST_CASE("sync_gate: one sync answers everything queued before it started", "[sync]") {
  held_sync sync;
  answer_log log;
  sync_gate gate([&] { return sync(); });
  gate.after_next_sync(log.make('a', sync));
  sync.wait_started(1);
  for (char c = 'b'; c <= 'f'; ++c) gate.after_next_sync(log.make(c, sync));
  sync.allow(2);
  REQUIRE(log.wait_for(6));
  // a took sync 1; b..f were all waiting when sync 2 started, so no third sync was needed.
  CHECK(gate.syncs() == 2);
  std::string order;
  for (auto& [c, n] : log.seen) order.push_back(c);
  CHECK(order == "abcdef");
}

TEST_CASE("sync_gate: a failed sync reaches the answers it covered", "[sync]") {
  held_sync sync;
  sync.result = make_error_code(boost::system::errc::io_error);
  sync.allow(100);
  answer_log log;
  sync_gate gate([&] { return sync(); });
  gate.after_next_sync(log.make('a', sync));
  REQUIRE(log.wait_for(1));
  CHECK(log.errors[0] == boost::system::errc::io_error);
}

TEST_CASE("sync_gate: after a failed sync nothing is synced or acknowledged again", "[sync]") {
  held_sync sync;
  sync.result = make_error_code(boost::system::errc::io_error);
  answer_log log;
  sync_gate gate([&] { return sync(); });
  gate.after_next_sync(log.make('a', sync));
  sync.wait_started(1);
  // Committed while the failing sync runs: the next sync would return 0 (Linux reports a
  // write-back error once per file), although these frames follow the pages it lost.
  gate.after_next_sync(log.make('b', sync));
  sync.allow(1);
  REQUIRE(log.wait_for(2));
  {
    std::lock_guard lock(sync.mu);
    sync.result = {};
  }
  sync.allow(100);
  gate.after_next_sync(log.make('c', sync));
  REQUIRE(log.wait_for(3));
  REQUIRE(log.errors.size() == 3);
  for (const auto& ec : log.errors) CHECK(ec == boost::system::errc::io_error);
  CHECK(sync.started_now() == 1);  // no sync after the failure
  CHECK(gate.syncs() == 1);
}

TEST_CASE("sync_gate: stop syncs and answers what is still waiting", "[sync]") {
  held_sync sync;
  answer_log log;
  std::atomic<bool> stopped{false};
  {
    sync_gate gate([&] { return sync(); });
    gate.after_next_sync(log.make('a', sync));
    sync.wait_started(1);
    gate.after_next_sync(log.make('b', sync));
    std::thread stopper([&] {
      gate.stop();
      stopped = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK(!stopped);  // stop waits for the syncs that answer a and b
    sync.allow(2);
    stopper.join();
    CHECK(gate.syncs() == 2);
  }
  CHECK(log.count() == 2);
}
