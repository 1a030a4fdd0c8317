// pons-webhook's durable acknowledgements in-process, with a WAL sync that fails on demand (a
// real disk error cannot be produced in a test): what a failed sync covered is not acknowledged,
// and nothing is after it.
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "pons/store/database.hpp"
#include "unit/webhook_service_harness.hpp"

using namespace pons::test::in_process;

TEST_CASE("webhook: a failed WAL sync is not acknowledged, and nothing is after it",
          "[webhook][sync]") {
  pons::store::test::temp_dir dir;
  boost::asio::io_context io{1};

  auto so = service_options(dir);
  std::atomic<int> syncs{0};
  // The second sync fails; every later one "succeeds" again, as a kernel may report after it
  // has dropped the pages it could not write.
  so.wal_sync = [&]() -> boost::system::error_code {
    if (++syncs == 2) return make_error_code(boost::system::errc::io_error);
    return {};
  };
  serving running(io, std::move(so));
  const auto port = running.port;

  auto post = [&](const std::string& wamid) { return post_message(port, wamid); };

  auto first = post("wamid.sync.1");
  auto second = post("wamid.sync.2");
  auto third = post("wamid.sync.3");
  const int syncs_after_posts = syncs.load();
  auto health = pons::test::http_request(port, "GET", "/health");
  running.stop();

  REQUIRE(first);
  CHECK(first->status == 200);  // its sync succeeded
  REQUIRE(second);
  CHECK(second->status == 500);  // committed, but its sync failed: Meta will deliver it again
  REQUIRE(third);
  CHECK(third->status == 500);    // after a failed sync nothing is acknowledged
  CHECK(syncs_after_posts == 2);  // the third was not even written
  REQUIRE(health);
  CHECK(health->status == 503);
  CHECK(health->body.find("restart pons-webhook") != std::string::npos);
}

TEST_CASE("webhook: a group committed while a sync fails is not acknowledged by the next one",
          "[webhook][sync]") {
  pons::store::test::temp_dir dir;
  boost::asio::io_context io{1};
  auto so = service_options(dir);
  // The first sync waits until the test lets it fail; every later one would succeed, as a
  // kernel reports a write-back error only once.
  std::mutex mu;
  std::condition_variable cv;
  int syncs = 0;
  bool fail_now = false;
  so.wal_sync = [&]() -> boost::system::error_code {
    std::unique_lock lock(mu);
    const int mine = ++syncs;
    cv.notify_all();
    if (mine != 1) return {};
    cv.wait(lock, [&] { return fail_now; });
    return make_error_code(boost::system::errc::io_error);
  };
  std::atomic<int> failures{0};
  so.on_sync_failure = [&] { ++failures; };
  serving running(io, std::move(so));
  const auto port = running.port;

  auto first = std::async(std::launch::async, [&] { return post_message(port, "wamid.held.1"); });
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return syncs == 1; });
  }
  // The writer does not wait for syncs: the second request is committed while the first sync
  // is still running, and queued for the next one.
  auto second = std::async(std::launch::async, [&] { return post_message(port, "wamid.held.2"); });
  auto reader = pons::store::database::open(dir.file("pons.db"));
  REQUIRE(reader.has_value());
  auto committed = [&] {
    auto n = reader->query_int64("SELECT count(*) FROM messages WHERE wamid = 'wamid.held.2'");
    return n && *n == 1;
  };
  while (!committed()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  {
    std::lock_guard lock(mu);
    fail_now = true;
  }
  cv.notify_all();
  auto r1 = first.get();
  auto r2 = second.get();
  auto third = post_message(port, "wamid.held.3");
  const int syncs_after = [&] {
    std::lock_guard lock(mu);
    return syncs;
  }();
  running.stop();

  REQUIRE(r1);
  CHECK(r1->status == 500);
  REQUIRE(r2);
  CHECK(r2->status == 500);  // its frames follow the pages the failed sync lost
  REQUIRE(third);
  CHECK(third->status == 500);
  CHECK(syncs_after == 1);  // nothing was synced, so nothing acknowledged, after the failure
  CHECK(failures == 1);     // the process is told once, to exit for a restart
}
