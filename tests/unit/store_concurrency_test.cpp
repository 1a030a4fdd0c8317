#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "pons/store/database.hpp"
#include "pons/store/message_repository.hpp"
#include "pons/webhook/ingest.hpp"
#include "support/inbound_batches.hpp"
#include "unit/store_test_util.hpp"

using namespace pons::store;
using namespace pons::webhook;
using pons::store::test::temp_dir;
namespace domain = pons::domain;

namespace {

domain::webhook_batch one_message(const std::string& wamid, const std::string& from) {
  return pons::test::one_text_message(wamid, from, "load " + wamid);
}

// Reports why a writer stopped (the child's stderr shows in the test log).
std::int64_t failed(database* db, const char* step, const boost::system::error_code& ec) {
  std::fprintf(stderr, "writer failed at %s: %s (%s)\n", step, ec.message().c_str(),
               db ? db->last_error_message().c_str() : "");
  return -1;
}

// Writes as fast as it can for `duration`: single ingests, group commits of 5 and outbound
// sends. Returns the number of messages it stored, or -1 on the first error.
std::int64_t write_for(const std::string& path, int writer, std::chrono::milliseconds duration) {
  auto db = database::open(path);
  if (!db) return failed(nullptr, "open", db.error());
  // The clock starts after open: on a loaded machine a fork can start late.
  const auto deadline = std::chrono::steady_clock::now() + duration;
  std::int64_t stored = 0;
  for (int i = 0; i == 0 || std::chrono::steady_clock::now() < deadline; ++i) {
    const std::string tag = "w" + std::to_string(writer) + "." + std::to_string(i);
    const auto now = std::chrono::system_clock::now();
    ingest_context ctx;
    ctx.request_id = tag;
    ctx.received_at = now;
    switch (i % 3) {
      case 0: {
        auto r =
            ingest_batch(*db, one_message("wamid." + tag, "4477009" + std::to_string(writer)), ctx);
        if (!r) return failed(&*db, "ingest_batch", r.error());
        if (r->messages_new != 1) return -1;
        stored += 1;
        break;
      }
      case 1: {
        std::vector<domain::webhook_batch> batches;
        for (int k = 0; k < 5; ++k) {
          batches.push_back(
              one_message("wamid." + tag + "." + std::to_string(k), "4477008" + std::to_string(k)));
        }
        std::vector<ingest_request> reqs;
        for (auto& b : batches) reqs.push_back({&b, &ctx});
        auto r = ingest_batches(*db, reqs);
        if (!r) return failed(&*db, "ingest_batches", r.error());
        for (auto& one : *r) {
          if (!one) return failed(&*db, "ingest_batches item", one.error());
          if (one->messages_new != 1) return -1;
        }
        stored += 5;
        break;
      }
      default: {
        outbound_message m;
        m.phone_number_id = "PN1";
        m.waba_id = "WABA1";
        m.to.wa_id = "447700900123";
        m.type = "text";
        m.text = "reply " + tag;
        auto ins = insert_outbound_pending(*db, m, now);
        if (!ins) return failed(&*db, "insert_outbound_pending", ins.error());
        auto sent = mark_outbound_sent(*db, ins->position.id, "wamid.out." + tag, now);
        if (!sent) return failed(&*db, "mark_outbound_sent", sent.error());
        stored += 1;
        break;
      }
    }
  }
  return stored;
}

}  // namespace

TEST_CASE("store: two processes writing at once lose nothing and see no errors",
          "[store][concurrency]") {
  temp_dir dir;
  const auto path = dir.file("shared.db");

  struct child {
    pid_t pid;
    int read_fd;
  };
  std::vector<child> children;
  for (int writer = 0; writer < 2; ++writer) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(fds[0]);
      const std::int64_t stored = write_for(path, writer, std::chrono::milliseconds(2500));
      const bool written = ::write(fds[1], &stored, sizeof stored) == sizeof stored;
      ::_exit(written && stored >= 0 ? 0 : 1);
    }
    ::close(fds[1]);
    children.push_back({pid, fds[0]});
  }

  std::int64_t total = 0;
  for (const auto& c : children) {
    std::int64_t stored = -1;
    CHECK(::read(c.read_fd, &stored, sizeof stored) == sizeof stored);
    ::close(c.read_fd);
    int status = 0;
    REQUIRE(::waitpid(c.pid, &status, 0) == c.pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(stored > 0);
    total += stored;
  }

  auto db = database::open(path);
  REQUIRE(db.has_value());
  CHECK(db->query_int64("SELECT count(*) FROM messages").value() == total);
  CHECK(db->query_int64("SELECT count(*) FROM messages WHERE direction = 'outbound' "
                        "AND status <> 'sent'")
            .value() == 0);
  // created_at follows commit order across both processes: ids and times never disagree.
  CHECK(db->query_int64("SELECT count(*) FROM messages a JOIN messages b ON b.id = a.id + 1 "
                        "WHERE b.created_at < a.created_at")
            .value() == 0);
  auto check = db->prepare("PRAGMA integrity_check").value();
  REQUIRE(check.step().value());
  CHECK(check.column_text(0) == "ok");
  WARN("messages stored by two processes in 2.5 s: " << total);
}
