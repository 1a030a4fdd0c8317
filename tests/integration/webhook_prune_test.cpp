// pons-webhook prunes webhook_log and the idempotency keys past their retention, and keeps what
// is recent: a redelivery of a recent event is still recognised as a duplicate.
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>

#include "core/store/event_log_repository.hpp"
#include "core/store/timestamp.hpp"
#include "support/webhook_process.hpp"

using namespace pons::test;
using namespace std::chrono_literals;

namespace {

std::string days_ago(int days) {
  return pons::store::format_timestamp(std::chrono::system_clock::now() -
                                       std::chrono::hours(24) * days);
}

}  // namespace

TEST_CASE("old webhook_log rows and idempotency keys are pruned, recent ones stay",
          "[webhook][prune]") {
  // Logs kept 30 days, keys 10: a row of 20 days stays in the log while its key may go.
  webhook_process svc(default_webhook_env(),
                      {"--no-media", "--log-retention-days", "30", "--dedup-retention-days", "10",
                       "--prune-interval-s", "1"});
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
