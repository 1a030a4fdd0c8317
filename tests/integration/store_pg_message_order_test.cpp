// Messages keep commit order on PostgreSQL, where writers lock rows only: while one transaction
// that inserts messages is open, the ingest (a single batch and a group) and an outbound send on
// other connections wait for it, so no message can commit behind a reader's cursor. A throwaway
// PostgreSQL 15 cluster, several connections, the real ingest and outbound code.
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "pons/store/database.hpp"
#include "pons/store/message_repository.hpp"
#include "pons/webhook/ingest.hpp"
#include "support/inbound_batches.hpp"
#include "support/pg_cluster.hpp"

using namespace pons::store;
using namespace pons::webhook;
using namespace std::chrono_literals;
namespace domain = pons::domain;

namespace {

domain::webhook_batch one_message(const std::string& wamid, const std::string& from) {
  return pons::test::one_text_message(wamid, from, "order " + wamid);
}

domain::webhook_batch one_status(const std::string& wamid) {
  domain::webhook_batch b;
  domain::status_update s;
  s.phone_number_id = "PN1";
  s.waba_id = "WABA1";
  s.wamid = wamid;
  s.status = "delivered";
  s.recipient_id = "447700900001";
  s.timestamp_unix = 1700000001;
  b.statuses.push_back(std::move(s));
  return b;
}

database open_db(const pons::test::pg_cluster& cluster) {
  auto db = database::open(cluster.url());
  INFO(database::last_open_failure());
  REQUIRE(db.has_value());
  return std::move(*db);
}

// Waits until `count` sessions wait for an advisory lock (pg_locks; a bounded wait, not a timing
// assertion: the sessions must get there, however slowly).
bool waiting_for_lock(database& observer, std::int64_t count) {
  for (int i = 0; i < 3000; ++i) {
    auto n = observer.query_int64(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted");
    if (n && *n == count) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

// Stores wamid.first from 447700900001 (so that later writes have a number, a contact and a
// conversation to refer to); the context it used, for later requests to copy.
ingest_context store_first_message(database& db) {
  ingest_context first_context;
  first_context.request_id = "first";
  first_context.received_at = std::chrono::system_clock::now();
  REQUIRE(ingest_batch(db, one_message("wamid.first", "447700900001"), first_context).has_value());
  return first_context;
}

}  // namespace

TEST_CASE("store pg: inserting messages waits for the open transaction that inserts them",
          "[store][pg]") {
  REQUIRE(pons::test::pg_cluster_available());
  pons::test::pg_cluster cluster;
  database holder = open_db(cluster);
  database single = open_db(cluster);
  database grouped = open_db(cluster);
  database sender = open_db(cluster);
  database observer = open_db(cluster);

  // A message first, so that the statuses below have something to apply to.
  const ingest_context first_context = store_first_message(single);

  auto tx = transaction::begin(holder, transaction_mode::immediate);
  REQUIRE(tx.has_value());
  REQUIRE(hold_message_order(holder).has_value());

  // A group of statuses alone inserts no message: it does not wait (were it to, the lock
  // timeout fails it rather than the test hanging).
  REQUIRE(grouped.exec("SET lock_timeout = '20s'").has_value());
  ingest_context status_context;
  status_context.request_id = "status";
  status_context.received_at = std::chrono::system_clock::now();
  const auto statuses = one_status("wamid.first");
  const std::vector<ingest_request> status_group{{&statuses, &status_context}};
  auto status_written = ingest_batches(grouped, status_group);
  REQUIRE(status_written.has_value());
  REQUIRE(status_written->front().has_value());

  // Three writers of messages: each must wait for the holder.
  const auto batch = one_message("wamid.single", "447700900002");
  const auto group_batch = one_message("wamid.grouped", "447700900003");
  ingest_context single_context = first_context;
  single_context.request_id = "single";
  ingest_context group_context = first_context;
  group_context.request_id = "grouped";
  auto single_done = std::async(
      std::launch::async, [&] { return ingest_batch(single, batch, single_context).has_value(); });
  REQUIRE(grouped.exec("SET lock_timeout = 0").has_value());
  auto group_done = std::async(std::launch::async, [&] {
    const std::vector<ingest_request> group{{&group_batch, &group_context}};
    auto r = ingest_batches(grouped, group);
    return r.has_value() && r->size() == 1 && (*r)[0].has_value();
  });
  auto send_done = std::async(std::launch::async, [&] {
    outbound_message m;
    m.phone_number_id = "PN1";
    m.to.wa_id = "447700900004";
    m.type = "text";
    m.text = "a reply";
    return insert_outbound_pending(sender, m, std::chrono::system_clock::now()).has_value();
  });
  CHECK(waiting_for_lock(observer, 3));
  CHECK(observer.query_int64("SELECT count(*) FROM messages").value() == 1);

  // The holder's own message commits first, so it is the oldest of the four in both orders.
  const std::string stamp = "2999-01-01T00:00:00.000Z";  // later than any clock in the test
  REQUIRE(
      holder.exec("INSERT INTO messages(direction, wamid, phone_number_id, contact_id, "
                  "conversation_id, type, text, status, ts, created_at, updated_at) SELECT "
                  "'inbound', 'wamid.holder', 'PN1', contact_id, id, 'text', 'held', "
                  "'received', 0, '" +
                  stamp + "', '" + stamp + "' FROM conversations LIMIT 1"));
  REQUIRE(tx->commit().has_value());
  CHECK(single_done.get());
  CHECK(group_done.get());
  CHECK(send_done.get());

  // Every message written after the holder's sorts after it, by (created_at, id) and by id.
  auto later = observer.query_int64(
      "SELECT count(*) FROM messages m, messages h WHERE h.wamid = 'wamid.holder' AND "
      "m.wamid IS DISTINCT FROM 'wamid.holder' AND m.wamid IS DISTINCT FROM 'wamid.first' AND "
      "(m.created_at, m.id) > (h.created_at, h.id) AND m.id > h.id");
  CHECK(later.value() == 3);

  // Outside a transaction the lock would end with its statement: refused.
  CHECK(hold_message_order(observer).error() == store_errc::invalid_argument);
}

TEST_CASE("store pg: a wamid another writer commits after a group looked ahead is stored once",
          "[store][pg]") {
  REQUIRE(pons::test::pg_cluster_available());
  pons::test::pg_cluster cluster;
  database writer = open_db(cluster);
  database other = open_db(cluster);
  database observer = open_db(cluster);

  const ingest_context first_context = store_first_message(writer);

  // Another writer that does not take the message order (a foreign tool, or a race this code
  // cannot rule out) has inserted wamid.race and not committed yet: the group's lookahead does
  // not see it, and the group's own insert of it waits on the unique index.
  auto tx = transaction::begin(other, transaction_mode::immediate);
  REQUIRE(tx.has_value());
  REQUIRE(
      other.exec("INSERT INTO messages(direction, wamid, phone_number_id, contact_id, "
                 "conversation_id, type, text, status, ts, created_at, updated_at) SELECT "
                 "'inbound', 'wamid.race', 'PN1', contact_id, id, 'text', 'theirs', "
                 "'received', 0, created_at, created_at FROM messages WHERE wamid = "
                 "'wamid.first'"));

  const auto racing = one_message("wamid.race", "447700900001");
  const auto beside = one_message("wamid.beside", "447700900002");
  ingest_context race_context = first_context;
  race_context.request_id = "race";
  ingest_context beside_context = first_context;
  beside_context.request_id = "beside";
  ingest_memo memo;
  auto group_done = std::async(std::launch::async, [&] {
    const std::vector<ingest_request> group{{&racing, &race_context}, {&beside, &beside_context}};
    return ingest_batches(writer, group, &memo);
  });
  bool waiting = false;
  for (int i = 0; i < 3000 && !waiting; ++i) {
    auto n = observer.query_int64(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'transactionid' AND NOT granted");
    waiting = n && *n == 1;
    if (!waiting) std::this_thread::sleep_for(10ms);
  }
  CHECK(waiting);
  REQUIRE(tx->commit().has_value());

  // The group's insert fails on the committed wamid; the group is written again, request by
  // request, and finds it stored: a duplicate, and the other request is stored as usual.
  auto written = group_done.get();
  REQUIRE(written.has_value());
  REQUIRE(written->size() == 2);
  REQUIRE((*written)[0].has_value());
  REQUIRE((*written)[1].has_value());
  CHECK((*written)[0]->duplicates == 1);
  CHECK((*written)[0]->messages_new == 0);
  CHECK((*written)[1]->messages_new == 1);
  CHECK(memo.groups_written_again() == 1);
  CHECK(observer.query_int64("SELECT count(*) FROM messages WHERE wamid = 'wamid.race'").value() ==
        1);
  CHECK(observer
            .query_int64("SELECT count(*) FROM messages WHERE wamid = 'wamid.race' AND "
                         "text = 'theirs'")
            .value() == 1);
  CHECK(
      observer.query_int64("SELECT count(*) FROM messages WHERE wamid = 'wamid.beside'").value() ==
      1);
  CHECK(observer.query_int64("SELECT count(*) FROM webhook_log").value() == 3);
}

TEST_CASE("store pg: transactions read committed rows whatever the server's default isolation",
          "[store][pg]") {
  REQUIRE(pons::test::pg_cluster_available());
  pons::test::pg_cluster cluster;
  database db = open_db(cluster);
  // The order lock relies on each statement seeing what committed before it started.
  REQUIRE(db.exec("SET default_transaction_isolation = 'repeatable read'").has_value());
  auto tx = transaction::begin(db, transaction_mode::immediate);
  REQUIRE(tx.has_value());
  auto level = db.prepare("SELECT current_setting('transaction_isolation')");
  REQUIRE(level.has_value());
  REQUIRE(level->step().value());
  CHECK(level->column_text(0) == "read committed");
}
