// pons-webhook prunes webhook_log and the idempotency keys past their retention, and keeps what
// is recent: a redelivery of a recent event is still recognised as a duplicate.
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>

#include "pons/store/event_log_repository.hpp"
#include "pons/store/timestamp.hpp"
#include "support/webhook_payloads.hpp"
#include "support/webhook_process.hpp"

using namespace pons::test;
using namespace std::chrono_literals;

namespace {

std::string days_ago(int days) {
  return pons::store::format_timestamp(std::chrono::system_clock::now() -
                                       std::chrono::hours(24) * days);
}

// Logs kept 30 days, keys 10, a pruning pass every second.
const std::vector<std::string> pruning_args = {
    "--no-media", "--log-retention-days", "30", "--dedup-retention-days",
    "10",         "--prune-interval-s",   "1"};

}  // namespace

TEST_CASE("old webhook_log rows and idempotency keys are pruned, recent ones stay",
          "[webhook][prune]") {
  // Logs kept 30 days, keys 10: a row of 20 days stays in the log while its key may go.
  webhook_process svc(default_webhook_env(), pruning_args);
  REQUIRE(svc.started());
  auto body = webhook_fixture("messages/text.json");
  REQUIRE_FALSE(body.empty());
  auto first = svc.post(body);
  REQUIRE(first);
  REQUIRE(first->status == 200);

  {
    auto db = pons::store::database::open(svc.db_path());
    REQUIRE(db.has_value());
    for (auto [age, id] : {std::pair{40, "req-old"}, std::pair{20, "req-kept"}}) {
      pons::store::webhook_log_entry e;
      e.received_at = days_ago(age);
      e.request_id = id;
      e.signature = "valid";
      e.http_status = 200;
      REQUIRE(pons::store::insert_webhook_log(*db, e).has_value());
    }
    auto ago = [](int days) {
      return std::chrono::system_clock::now() - std::chrono::hours(24) * days;
    };
    REQUIRE(pons::store::mark_processed(*db, "msg:wamid.prune.old", ago(11)).value());
    REQUIRE(pons::store::mark_processed(*db, "msg:wamid.prune.recent", ago(9)).value());
  }

  // Pruning runs every second: wait until the old rows are gone.
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (
      std::chrono::steady_clock::now() < deadline &&
      (svc.count("SELECT count(*) FROM webhook_log WHERE request_id = 'req-old'") != 0 ||
       svc.count("SELECT count(*) FROM processed_events WHERE key = 'msg:wamid.prune.old'") != 0))
    std::this_thread::sleep_for(100ms);

  CHECK(svc.count("SELECT count(*) FROM webhook_log WHERE request_id = 'req-old'") == 0);
  CHECK(svc.count("SELECT count(*) FROM processed_events WHERE key = 'msg:wamid.prune.old'") == 0);
  CHECK(svc.count("SELECT count(*) FROM webhook_log WHERE request_id = 'req-kept'") == 1);
  CHECK(svc.count("SELECT count(*) FROM processed_events WHERE key = 'msg:wamid.prune.recent'") ==
        1);
  // The request just ingested keeps its log row and its key.
  CHECK(svc.count("SELECT count(*) FROM webhook_log WHERE http_status = 200 AND request_id NOT "
                  "LIKE 'req-%'") == 1);

  // A redelivery of the recent POST is still a duplicate: 200, no second message.
  auto again = svc.post(body);
  REQUIRE(again);
  CHECK(again->status == 200);
  CHECK(svc.count("SELECT count(*) FROM messages") == 1);

  auto m = svc.get("/metrics");
  REQUIRE(m);
  CHECK(m->body.find("pons_pruned_rows_total{table=\"webhook_log\"} 1") != std::string::npos);
  CHECK(m->body.find("pons_pruned_rows_total{table=\"processed_events\"} 1") != std::string::npos);
  CHECK(svc.log().find("event=prune webhook_log=1") != std::string::npos);
}

TEST_CASE("a large pruning backlog goes in chunks while webhooks keep being answered",
          "[webhook][prune]") {
  webhook_process svc(default_webhook_env(), pruning_args);
  REQUIRE(svc.started());

  // Months of rows from before an upgrade: more than two chunks (2000 rows) of each table.
  constexpr int old_rows = 5000;
  {
    auto db = pons::store::database::open(svc.db_path());
    REQUIRE(db.has_value());
    auto tx = pons::store::transaction::begin(*db);
    REQUIRE(tx.has_value());
    for (int i = 0; i < old_rows; ++i) {
      pons::store::webhook_log_entry e;
      e.received_at = days_ago(40 + i % 60);
      e.request_id = "req-backlog-" + std::to_string(i);
      e.signature = "valid";
      e.http_status = 200;
      e.body = std::string(200, 'x');
      REQUIRE(pons::store::insert_webhook_log(*db, e).has_value());
      REQUIRE(pons::store::mark_processed(
                  *db, "msg:backlog." + std::to_string(i),
                  std::chrono::system_clock::now() - std::chrono::hours(24) * (11 + i % 60))
                  .value());
    }
    REQUIRE(tx->commit().has_value());
  }

  // Webhooks keep arriving while the backlog is pruned (the next pass starts within a second).
  int posted = 0;
  int ok = 0;
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto wamid = "wamid.prune.live." + std::to_string(posted++);
    auto body = simple_payload(default_phone_number_id,
                               {text_message_json(wamid, "16505551234", "still here")});
    auto r = svc.post(body);
    if (r && r->status == 200) ++ok;
    if (svc.count("SELECT count(*) FROM webhook_log WHERE request_id LIKE 'req-backlog-%'") == 0 &&
        svc.count("SELECT count(*) FROM processed_events WHERE key LIKE 'msg:backlog.%'") == 0)
      break;
    std::this_thread::sleep_for(20ms);
  }
  CHECK(ok == posted);
  CHECK(svc.count("SELECT count(*) FROM webhook_log WHERE request_id LIKE 'req-backlog-%'") == 0);
  CHECK(svc.count("SELECT count(*) FROM processed_events WHERE key LIKE 'msg:backlog.%'") == 0);
  // Every webhook just answered keeps its log row.
  CHECK(svc.count("SELECT count(*) FROM webhook_log WHERE http_status = 200") == posted);

  // The pass ran in several commits, and says so once it is done: at the chunk after the last
  // rows went, which may still be running now.
  const std::string done_line = "event=prune webhook_log=" + std::to_string(old_rows);
  std::string log = svc.log();
  for (int i = 0; i < 300 && log.find(done_line) == std::string::npos; ++i) {
    std::this_thread::sleep_for(100ms);
    log = svc.log();
  }
  auto at = log.find(done_line);
  REQUIRE(at != std::string::npos);
  auto chunks_at = log.find("chunks=", at);
  REQUIRE(chunks_at != std::string::npos);
  CHECK(std::stoi(log.substr(chunks_at + 7)) >= 3);
  CHECK(log.find("processed_events=" + std::to_string(old_rows), at) != std::string::npos);
}
