// pons-power-loss: does every acknowledged write survive a power cut? pons-webhook and pons-mcp
// run on pons-power-cut-fs (a FUSE file system that keeps unsynced writes in memory) while
// signed webhooks arrive on several connections, pons-mcp sends through the fake Graph API and
// the deliverer forwards to a loopback target. At a random moment the power goes: both processes
// are killed and everything not synced is dropped (or, in prefix cuts, a random prefix of it
// lands, the last write torn); they restart on what survived, and the load goes on. After the
// last cycle every webhook answered 200 must be stored exactly once, every send pons-mcp
// reported must be stored with its idempotency key, every forwarding event of an acknowledged
// message must be queued or delivered, and PRAGMA integrity_check must be ok.
//
//   pons-power-loss [--cycles N] [--seed S] [--mode drop|prefix|mixed] [--connections C]
//                   [--pause-ms P] [--no-sync] [--expect-loss] [--work DIR] [--verbose]
//
// --no-sync preloads a library that turns fsync and fdatasync into no-ops in the processes
// under test; with --expect-loss the run succeeds only when the check reports losses (the check
// must catch the bug it exists for). Prints one summary line; exit 0 when the verdict is as
// expected, 1 when not, 2 on bad usage, 3 when the test could not run (no FUSE, a binary that
// does not start).
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "integration/hardening_support.hpp"
#include "mcp_sends.hpp"
#include "pons/forward/target_repository.hpp"
#include "pons/store/database.hpp"
#include "support/forward_receiver.hpp"
#include "support/power_cut_mount.hpp"
#include "verdict.hpp"
#include "webhook_load.hpp"

namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
namespace test = pons::test;
namespace fwd = pons::forward_test;

struct options {
  int cycles = 10;
  std::uint64_t seed = 0;
  bool seeded = false;
  std::string mode = "mixed";
  int connections = 4;
  int pause_ms = 40;
  bool no_sync = false;
  bool expect_loss = false;
  bool verbose = false;
  std::string work;
};

// The customer pons-mcp writes to: a message from them just now opens the 24-hour window.
constexpr const char* customer = "16505550100";

int usage() {
  std::fprintf(
      stderr,
      "usage: pons-power-loss [--cycles N] [--seed S] [--mode drop|prefix|mixed] "
      "[--connections C] [--pause-ms P] [--no-sync] [--expect-loss] [--work DIR] [--verbose]\n");
  return 2;
}

// Why the run could not happen (not a verdict).
struct cannot_run : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// pons-webhook on the mounted database, restarted after each cut.
class webhook {
 public:
  webhook(std::string db_path, std::string work, std::vector<std::string> env)
      : db_path_(std::move(db_path)), work_(std::move(work)), env_(std::move(env)) {}

  // Starts it; false when it does not come up (after a cut: the disk did not keep a usable
  // database, which only a lost write explains).
  bool start() {
    const auto port_file = work_ + "/webhook.port";
    ::unlink(port_file.c_str());
    proc_ = test::process::start(PONS_WEBHOOK_BIN,
                                 {"serve", "--bind", "127.0.0.1", "--port", "0", "--port-file",
                                  port_file, "--db", db_path_, "--no-media", "--no-template-sync"},
                                 env_, {}, work_ + "/webhook.log");
    auto port = test::wait_for_port_file(port_file, proc_, 60s);
    port_ = port ? *port : 0;
    return port_ != 0;
  }

  // The last line pons-webhook logged.
  std::string last_log_line() const {
    auto log = test::read_text_file(work_ + "/webhook.log");
    while (!log.empty() && log.back() == '\n') log.pop_back();
    return log.substr(log.rfind('\n') + 1);
  }
  void kill() {
    proc_.signal(SIGKILL);
    proc_.wait_exit(10s);
    port_ = 0;
  }
  std::optional<int> stop() { return proc_.stop(30s); }
  std::uint16_t port() const { return port_; }

 private:
  std::string db_path_;
  std::string work_;
  std::vector<std::string> env_;
  test::process proc_;
  std::uint16_t port_ = 0;
};

// A message from the customer, now: pons-mcp may then send them text.
void open_window(std::uint16_t port) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const auto body = test::webhook_payload_json(
      {{"102290129340398",
        {test::messages_change_json(
            test::default_phone_number_id,
            {test::text_message_json("wamid.window.open", customer, "hello", now)}, {}, customer,
            "Power Loss")}}});
  auto r = test::http_request(port, "POST", "/webhook/meta", body,
                              test::hardening::signed_headers(body), 30s);
  if (!r || r->status != 200) throw cannot_run("the first webhook was not acknowledged");
}

int run(const options& o) {
  std::optional<test::temp_dir> scratch;
  std::string work = o.work;
  if (work.empty()) {
    scratch.emplace();
    work = scratch->path();
  }
  std::filesystem::create_directories(work);
  std::mt19937_64 rng(o.seed);

  // The target receives every forwarded event; it outlives all incarnations.
  std::mutex received_mu;
  std::vector<std::string> received;
  fwd::receiver target([&](const fwd::received& r, std::size_t) {
    std::lock_guard lock(received_mu);
    received.push_back(r.body);
    return fwd::reply{200};
  });
  // The fake Graph API pons-mcp sends through.
  auto fake = test::process::start(
      PONS_FAKE_GRAPH_BIN,
      {"--port", "0", "--port-file", work + "/fake.port", "--token", "power-loss-token"}, {},
      work + "/fake.log", work + "/fake.log");
  const auto fake_port = test::wait_for_port_file(work + "/fake.port", fake);
  if (!fake_port) throw cannot_run("the fake Graph API did not start: " + work + "/fake.log");
  const std::string graph_url = "http://127.0.0.1:" + std::to_string(*fake_port);

  test::power_cut_mount disk(PONS_POWER_CUT_FS_BIN, work + "/backing", work + "/mnt",
                             work + "/fs.log", o.seed);
  try {
    disk.mount();
  } catch (const std::runtime_error& e) {
    throw cannot_run(e.what());
  }
  // In a folder pons-webhook creates itself, so its directory entry must be made durable too.
  const std::string db_path = disk.path() + "/data/pons.db";

  std::vector<std::string> preload;
  if (o.no_sync) {
    preload = {std::string("LD_PRELOAD=") + PONS_NO_SYNC_LIB,
               // A sanitizer runtime wants to be first in the preload list; ours does not care.
               "ASAN_OPTIONS=verify_asan_link_order=0"};
  }
  auto webhook_env = test::default_webhook_env();
  webhook_env.push_back("HOME=" + work);
  webhook_env.push_back("WA_GRAPH_BASE_URL=" + graph_url);
  webhook_env.insert(webhook_env.end(), preload.begin(), preload.end());
  webhook service(db_path, work, webhook_env);
  if (!service.start())
    throw cannot_run("pons-webhook did not start; see " + work +
                     "/webhook.log: " + service.last_log_line());
  open_window(service.port());
  {
    // The forwarding target, written by this process (durably: synchronous=FULL, real fsyncs).
    auto db = pons::store::database::open(db_path);
    if (!db) throw cannot_run("cannot open the database: " + db.error().message());
    pons::forward::target_spec spec;
    spec.url = target.url();
    spec.description = "power-loss target";
    spec.event_types = {"message.inbound.received"};
    if (auto added = pons::forward::add_target(*db, spec, std::chrono::system_clock::now()); !added)
      throw cannot_run("cannot add the forwarding target: " + added.error().message());
  }

  std::vector<std::string> mcp_env{
      "WA_ACCESS_TOKEN=power-loss-token", "WA_GRAPH_BASE_URL=" + graph_url,
      std::string("WA_PHONE_NUMBER_ID=") + test::default_phone_number_id,
      "WA_WABA_ID=102290129340398", "HOME=" + work};
  mcp_env.insert(mcp_env.end(), preload.begin(), preload.end());
  pons::power_loss::mcp_sends sends(std::string("+") + customer, mcp_env, work + "/mcp.log");
  pons::power_loss::webhook_load load(o.connections, o.pause_ms, o.seed);
  load.serve_on(service.port());

  const auto started = steady::now();
  int cycles = 0, drop_cuts = 0, prefix_cuts = 0;
  std::string unusable;  // why the disk's database could not be used after a cut
  for (int cycle = 1; cycle <= o.cycles && unusable.empty(); ++cycle) {
    ++cycles;
    sends.start(db_path);
    // The power goes at a random moment once this incarnation has acknowledged a webhook and a
    // send (so every cycle has something to lose).
    const auto cycle_start = steady::now();
    const auto acked_before = load.acknowledged();
    const auto sent_before = sends.done();
    const auto earliest = cycle_start + std::chrono::milliseconds(rng() % 400);
    const auto give_up = cycle_start + 60s;
    while (steady::now() < earliest || load.acknowledged() == acked_before ||
           (sends.done() == sent_before && !o.no_sync)) {
      if (steady::now() > give_up)
        throw cannot_run("nothing was acknowledged for 60 s; see " + work + "/webhook.log and " +
                         work + "/mcp.log");
      std::this_thread::sleep_for(1ms);
    }
    if (o.verbose)
      std::fprintf(stderr, "power-loss: cycle %d: cut after %.0f ms, %llu webhooks, %llu sends\n",
                   cycle,
                   std::chrono::duration<double, std::milli>(steady::now() - cycle_start).count(),
                   static_cast<unsigned long long>(load.acknowledged() - acked_before),
                   static_cast<unsigned long long>(sends.done() - sent_before));
    const bool prefix = o.mode == "prefix" || (o.mode == "mixed" && cycle % 2 == 0);
    load.serve_on(0);
    if (cycle == o.cycles) load.finish();  // nothing more after the last cut
    service.kill();
    sends.kill();
    disk.cut(prefix);
    (prefix ? prefix_cuts : drop_cuts)++;
    disk.mount();
    if (!service.start()) {
      unusable = "pons-webhook did not start after cut " + std::to_string(cycle) + ": " +
                 service.last_log_line();
      break;
    }
    if (cycle < o.cycles) load.serve_on(service.port());
  }
  load.finish();
  const double seconds = std::chrono::duration<double>(steady::now() - started).count();

  // Stop cleanly and judge what the disk holds.
  const auto stopped = service.stop();
  disk.unmount();
  const std::string judged = disk.backing() + "/data/pons.db";
  std::vector<std::string> bodies;
  {
    std::lock_guard lock(received_mu);
    bodies = received;
  }
  target.stop();
  const auto payloads = load.payloads();
  const auto records = sends.records();
  auto v = pons::power_loss::judge(judged, payloads, records, bodies);
  if (!unusable.empty()) {
    // Nothing acknowledged can be read back when the service cannot even open the database.
    v.integrity = pons::power_loss::one_line(unusable, 240);
    v.lost = std::max(v.lost, v.checked());
  } else if (stopped != 0) {
    v.integrity += " (the last pons-webhook did not stop cleanly)";
  }

  std::printf(
      "power-loss: cycles=%d cuts_drop=%d cuts_prefix=%d sync=%s webhooks_acknowledged=%llu "
      "sends_acknowledged=%llu forward_events=%llu (delivered=%llu queued=%llu) "
      "acknowledged_writes_checked=%llu lost=%llu duplicated=%llu partial=%llu "
      "unacknowledged_stored=%llu integrity=%s seconds=%.1f seed=%llu\n",
      cycles, drop_cuts, prefix_cuts, o.no_sync ? "no-op" : "real",
      static_cast<unsigned long long>(v.webhooks_checked),
      static_cast<unsigned long long>(v.sends_checked),
      static_cast<unsigned long long>(v.events_checked),
      static_cast<unsigned long long>(v.events_delivered),
      static_cast<unsigned long long>(v.events_queued),
      static_cast<unsigned long long>(v.checked()), static_cast<unsigned long long>(v.lost),
      static_cast<unsigned long long>(v.duplicated), static_cast<unsigned long long>(v.partial),
      static_cast<unsigned long long>(v.unknown_stored), v.integrity.c_str(), seconds,
      static_cast<unsigned long long>(o.seed));
  for (const auto& e : v.examples) std::fprintf(stderr, "power-loss: %s\n", e.c_str());
  if (o.expect_loss) {
    if (v.lost > 0) return 0;
    std::fprintf(stderr, "power-loss: expected lost writes with syncs turned off, found none\n");
    return 1;
  }
  if (!v.clean() && !o.work.empty())
    std::fprintf(stderr, "power-loss: logs and the disk are in %s\n", work.c_str());
  return v.clean() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (a == "--cycles" && (v = next())) {
      o.cycles = std::atoi(v);
    } else if (a == "--seed" && (v = next())) {
      o.seed = std::strtoull(v, nullptr, 10);
      o.seeded = true;
    } else if (a == "--mode" && (v = next())) {
      o.mode = v;
    } else if (a == "--connections" && (v = next())) {
      o.connections = std::atoi(v);
    } else if (a == "--pause-ms" && (v = next())) {
      o.pause_ms = std::atoi(v);
    } else if (a == "--work" && (v = next())) {
      o.work = v;
    } else if (a == "--no-sync") {
      o.no_sync = true;
    } else if (a == "--expect-loss") {
      o.expect_loss = true;
    } else if (a == "--verbose") {
      o.verbose = true;
    } else {
      return usage();
    }
  }
  if (o.cycles < 1 || o.connections < 1 || o.pause_ms < 0 ||
      (o.mode != "drop" && o.mode != "prefix" && o.mode != "mixed"))
    return usage();
  if (!o.seeded) o.seed = std::random_device{}() % 1000000;
  // A pons-mcp killed by a cut closes the pipe this process writes its requests to.
  ::signal(SIGPIPE, SIG_IGN);
  try {
    return run(o);
  } catch (const cannot_run& e) {
    std::fprintf(stderr, "power-loss: cannot run (seed %llu): %s\n",
                 static_cast<unsigned long long>(o.seed), e.what());
    return 3;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "power-loss: cannot run (seed %llu): %s\n",
                 static_cast<unsigned long long>(o.seed), e.what());
    return 3;
  }
}
