// A WAL fsync that fails with EIO under load, on the power-cut file system
// (tests/support/power_cut_fs). Linux reports a write-back error once per open file, so the next
// fsync returns 0 although every frame written after the lost pages now follows a gap in the WAL:
// nothing may be answered 200 after the failure, pons-webhook must exit non-zero, and after a
// power cut and a restart everything that was acknowledged must still be there. (FUSE holds the
// file's inode lock during an fsync, so no frame is written while the failing one runs; the
// in-process test in tests/unit/webhook_wal_sync_test.cpp covers that case.)
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "hardening_support.hpp"
#include "support/power_cut_mount.hpp"

using namespace pons::test;
using namespace pons::test::hardening;
using namespace std::chrono_literals;

namespace {

// pons-webhook on the mounted database; its log and port file outside the mount.
process start_webhook(const temp_dir& dir, const std::string& db_path, std::uint16_t& port) {
  const auto port_file = dir.file("port");
  ::unlink(port_file.c_str());
  auto env = default_webhook_env();
  env.push_back("HOME=" + dir.path());
  auto proc = process::start(PONS_WEBHOOK_BIN,
                             {"serve", "--bind", "127.0.0.1", "--port", "0", "--port-file",
                              port_file, "--db", db_path, "--no-media", "--no-template-sync"},
                             env, {}, dir.file("webhook.log"));
  auto p = wait_for_port_file(port_file, proc);
  port = p ? *p : 0;
  return proc;
}

// Status of a signed POST of `payload` (2 messages) on a fresh connection (0: no answer).
int post_status(std::uint16_t port, const std::string& payload) {
  const auto body = numbered_payload(payload, 2);
  auto r = http_request(port, "POST", "/webhook/meta", body, signed_headers(body), 30s);
  return r ? r->status : 0;
}

// One keep-alive connection sending payloads "<prefix>.<n>" (2 messages each) until the
// service goes away; the status of each (0: no answer).
struct sender {
  std::string prefix;
  std::vector<std::pair<std::string, int>> sent;

  void run(std::uint16_t port, const std::atomic<bool>& stop) {
    std::unique_ptr<http_connection> conn;
    for (int n = 0; !stop; ++n) {
      try {
        if (!conn) conn = std::make_unique<http_connection>(port);
      } catch (const std::exception&) {
        return;  // refused: the service has exited
      }
      const auto payload = prefix + "." + std::to_string(n);
      const auto body = numbered_payload(payload, 2);
      int status = 0;
      if (conn->send_request("POST", "/webhook/meta", body, signed_headers(body)))
        if (auto r = conn->read_response(30s)) status = r->status;
      sent.emplace_back(payload, status);
      if (status == 0 || status >= 500) conn.reset();
    }
  }
};

}  // namespace

TEST_CASE("after a WAL fsync fails with EIO nothing is acknowledged and pons-webhook exits",
          "[hardening][power]") {
  temp_dir dir;
  power_cut_mount disk(PONS_POWER_CUT_FS_BIN, dir.file("backing"), dir.file("mnt"),
                       dir.file("fs.log"), 1);
  REQUIRE_NOTHROW(disk.mount());
  const auto db_path = disk.path() + "/data/pons.db";
  std::uint16_t port = 0;
  auto service = start_webhook(dir, db_path, port);
  REQUIRE(port != 0);

  std::vector<sender> senders(4);
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < senders.size(); ++i) {
    senders[i].prefix = "wamid.eio." + std::to_string(i);
    threads.emplace_back([&, i] { senders[i].run(port, stop); });
  }
  // Under load, the next fsync of the WAL fails (whoever calls it: every descriptor open at the
  // time hears of the error).
  const auto synced_before = disk.counter("syncs");
  const auto give_up = std::chrono::steady_clock::now() + 60s;
  while (disk.counter("syncs") < synced_before + 20 && service.running() &&
         std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(1ms);
  disk.command("fail-sync -wal");
  const auto exit_code = service.wait_exit(60s);
  stop = true;  // the senders stop by themselves once the service is gone; this is for a hang
  service.signal(SIGKILL);
  for (auto& t : threads) t.join();
  CHECK(exit_code == 75);
  const auto log = read_text_file(dir.file("webhook.log"));
  CHECK(log.find("event=wal_sync_failed") != std::string::npos);
  CHECK(log.find("reason=wal_sync_failed exit_code=75") != std::string::npos);
  CHECK(disk.counter("failed_syncs") >= 1);

  // On each connection, once a request failed nothing later was acknowledged.
  int acknowledged = 0;
  for (const auto& s : senders) {
    bool failed = false;
    for (const auto& [payload, status] : s.sent) {
      INFO(payload << " answered " << status);
      if (failed) CHECK(status != 200);
      failed = failed || status == 500;
      acknowledged += status == 200;
    }
  }
  CHECK(acknowledged > 0);

  // The power goes; the service restarts on what the disk holds, and Meta's retries come in.
  disk.cut(false);
  disk.mount();
  service = start_webhook(dir, db_path, port);
  REQUIRE(port != 0);
  for (const auto& s : senders)
    for (const auto& [payload, status] : s.sent)
      if (status != 200) CHECK(post_status(port, payload) == 200);
  CHECK(service.stop(30s) == 0);
  disk.unmount();

  db_probe db(disk.backing() + "/data/pons.db");
  REQUIRE(db.ok());
  CHECK(db.column("PRAGMA integrity_check") == std::vector<std::string>{"ok"});
  // Everything acknowledged before the failure survived the cut, and every retry is stored once.
  std::map<std::string, std::int64_t> stored;
  for (const auto& wamid : db.column("SELECT wamid FROM messages WHERE wamid LIKE 'wamid.eio.%'"))
    stored[wamid.substr(0, wamid.rfind('.'))]++;
  for (const auto& s : senders)
    for (const auto& [payload, status] : s.sent) {
      INFO(payload << " answered " << status << " before the cut");
      CHECK(stored[payload] == 2);
    }
}
