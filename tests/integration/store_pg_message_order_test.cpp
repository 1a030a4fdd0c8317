// Messages and readers' cursors on PostgreSQL, where writers lock rows only: writers of messages
// (the ingest, a single batch and a group, and an outbound send) go together, and a reader's
// settled id waits for those open, so no message can commit behind a reader's cursor; two
// instances' groups with the same message wait for each other's claim rather than fail on the
// unique index. A throwaway PostgreSQL 15 cluster, several connections, the real ingest and
// outbound code.
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "pons/store/database.hpp"
#include "pons/store/insert_claims.hpp"
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

// A connection; a `waiting` one fails after 20 s on a lock where a test would otherwise hang.
database open_db(const pons::test::pg_cluster& cluster, bool waiting = false) {
  auto db = database::open(cluster.url());
  INFO(database::last_open_failure());
  REQUIRE(db.has_value());
  if (waiting) REQUIRE(db->exec("SET lock_timeout = '20s'").has_value());
  return std::move(*db);
}

// A transaction on `db` that has joined the message writers.
transaction join_writers(database& db) {
  auto tx = transaction::begin(db, transaction_mode::immediate);
  REQUIRE(tx.has_value());
  REQUIRE(hold_message_order(db).has_value());
  return std::move(*tx);
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

// Inserts a message the way another writer would, with the number, contact and conversation of
// wamid.first; `stamp` is its created_at ("" = wamid.first's).
bool insert_beside_first(database& db, const std::string& wamid, const std::string& text,
                         const std::string& stamp = "") {
  const std::string at = stamp.empty() ? "created_at" : "'" + stamp + "'";
  return db
      .exec(
          "INSERT INTO messages(direction, wamid, phone_number_id, contact_id, "
          "conversation_id, type, text, status, ts, created_at, updated_at) SELECT 'inbound', '" +
          wamid + "', 'PN1', contact_id, conversation_id, 'text', '" + text + "', 'received', 0, " +
          at + ", " + at + " FROM messages WHERE wamid = 'wamid.first'")
      .has_value();
}

// Writes a group of wamid.race and wamid.beside on `writer`, in the background.
std::future<result<std::vector<result<ingest_summary>>>> write_race_group(
    database& writer, const ingest_context& first_context, ingest_memo& memo) {
  ingest_context race_context = first_context;
  race_context.request_id = "race";
  ingest_context beside_context = first_context;
  beside_context.request_id = "beside";
  return std::async(std::launch::async, [&writer, &memo, race_context, beside_context] {
    const auto racing = one_message("wamid.race", "447700900001");
    const auto beside = one_message("wamid.beside", "447700900002");
    const std::vector<ingest_request> group{{&racing, &race_context}, {&beside, &beside_context}};
    return ingest_batches(writer, group, &memo);
  });
}

// What a group of wamid.race (stored by another writer meanwhile) and wamid.beside must come to:
// the first a duplicate, the second new, each stored once.
void check_race_written(const result<std::vector<result<ingest_summary>>>& written,
                        database& observer) {
  REQUIRE(written.has_value());
  REQUIRE(written->size() == 2);
  REQUIRE((*written)[0].has_value());
  REQUIRE((*written)[1].has_value());
  CHECK((*written)[0]->duplicates == 1);
  CHECK((*written)[0]->messages_new == 0);
  CHECK((*written)[1]->messages_new == 1);
  CHECK(observer.query_int64("SELECT count(*) FROM messages WHERE wamid = 'wamid.race'").value() ==
        1);
  CHECK(
      observer.query_int64("SELECT count(*) FROM messages WHERE wamid = 'wamid.beside'").value() ==
      1);
}

}  // namespace

TEST_CASE("store pg: message writers go together, and a reader waits for them to settle",
          "[store][pg]") {
  REQUIRE(pons::test::pg_cluster_available());
  pons::test::pg_cluster cluster;
  database holder = open_db(cluster);
  database single = open_db(cluster, true);
  database grouped = open_db(cluster, true);
  database sender = open_db(cluster, true);
  database reader = open_db(cluster, true);
  database late = open_db(cluster, true);
  database observer = open_db(cluster);

  const ingest_context first_context = store_first_message(single);

  // The holder draws its message's id first and keeps its transaction open.
  auto tx = join_writers(holder);
  REQUIRE(insert_beside_first(holder, "wamid.holder", "held"));

  // Three writers of messages do not wait for it: ids above the holder's commit before it.
  const auto batch = one_message("wamid.single", "447700900002");
  const auto group_batch = one_message("wamid.grouped", "447700900003");
  ingest_context single_context = first_context;
  single_context.request_id = "single";
  ingest_context group_context = first_context;
  group_context.request_id = "grouped";
  REQUIRE(ingest_batch(single, batch, single_context).has_value());
  const std::vector<ingest_request> group{{&group_batch, &group_context}};
  auto grouped_written = ingest_batches(grouped, group);
  REQUIRE(grouped_written.has_value());
  REQUIRE(grouped_written->front().has_value());
  outbound_message reply;
  reply.phone_number_id = "PN1";
  reply.to.wa_id = "447700900004";
  reply.type = "text";
  reply.text = "a reply";
  REQUIRE(insert_outbound_pending(sender, reply, std::chrono::system_clock::now()).has_value());
  CHECK(observer.query_int64("SELECT count(*) FROM messages").value() == 4);

  // A reader that went on from the newest of those would pass the holder's message: its settled
  // id waits for the holder, and a writer that comes meanwhile waits for the reader.
  auto settled = std::async(std::launch::async, [&] { return settled_message_id(reader); });
  REQUIRE(waiting_for_lock(observer, 1));
  const auto late_batch = one_message("wamid.late", "447700900005");
  ingest_context late_context = first_context;
  late_context.request_id = "late";
  auto late_done = std::async(
      std::launch::async, [&] { return ingest_batch(late, late_batch, late_context).has_value(); });
  REQUIRE(waiting_for_lock(observer, 2));
  // A group of statuses alone inserts no message: it joins no writers and does not wait.
  ingest_context status_context = first_context;
  status_context.request_id = "status";
  const auto statuses = one_status("wamid.first");
  const std::vector<ingest_request> status_group{{&statuses, &status_context}};
  auto status_written = ingest_batches(grouped, status_group);
  REQUIRE(status_written.has_value());
  CHECK(status_written->front().has_value());
  REQUIRE(tx.commit().has_value());

  auto bound = settled.get();
  REQUIRE(bound.has_value());
  REQUIRE(bound->has_value());
  CHECK(late_done.get());
  // The bound covers all five committed before it, the holder's included, and the late writer's
  // id comes after it.
  CHECK(**bound == observer
                       .query_int64("SELECT max(id) FROM messages WHERE wamid IS DISTINCT FROM "
                                    "'wamid.late'")
                       .value());
  CHECK(observer.query_int64("SELECT count(*) FROM messages WHERE id <= " + std::to_string(**bound))
            .value() == 5);
  CHECK(observer.query_int64("SELECT id FROM messages WHERE wamid = 'wamid.late'").value() >
        **bound);

  // Outside a transaction the writers' lock would end with its statement: refused.
  CHECK(hold_message_order(observer).error() == store_errc::invalid_argument);
}

TEST_CASE("store pg: a reader's settled id covers what open writers commit while it waits",
          "[store][pg]") {
  REQUIRE(pons::test::pg_cluster_available());
  pons::test::pg_cluster cluster;
  database holder = open_db(cluster);
  database other = open_db(cluster);
  database reader = open_db(cluster, true);
  database observer = open_db(cluster);

  const ingest_context first_context = store_first_message(other);

  // The holder joins the writers first and draws nothing yet; another writer then commits.
  auto tx = join_writers(holder);
  ingest_context early_context = first_context;
  early_context.request_id = "early";
  REQUIRE(
      ingest_batch(other, one_message("wamid.early", "447700900002"), early_context).has_value());

  // The reader starts before the holder writes, and waits for it.
  auto settled = std::async(std::launch::async, [&] { return settled_message_id(reader); });
  REQUIRE(waiting_for_lock(observer, 1));
  // Only now does the holder draw its id, stamped earlier than wamid.early: a reader that had
  // shown wamid.early and went on from it would never see this one, unless the bound it got
  // stopped it short of wamid.early until this one committed.
  REQUIRE(insert_beside_first(holder, "wamid.holder", "held", "2000-01-01T00:00:00.000Z"));
  REQUIRE(tx.commit().has_value());

  auto bound = settled.get();
  REQUIRE(bound.has_value());
  REQUIRE(bound->has_value());
  CHECK(observer.query_int64("SELECT id FROM messages WHERE wamid = 'wamid.holder'").value() <=
        **bound);

  // Inside a transaction the lock would hold writers back until it ends: refused.
  auto open = transaction::begin(reader, transaction_mode::immediate);
  REQUIRE(open.has_value());
  CHECK(settled_message_id(reader).error() == store_errc::invalid_argument);
}

TEST_CASE("store pg: a group waits for another writer's claim on its message and counts it once",
          "[store][pg]") {
  REQUIRE(pons::test::pg_cluster_available());
  pons::test::pg_cluster cluster;
  database writer = open_db(cluster, true);
  database other = open_db(cluster);
  database observer = open_db(cluster);

  const ingest_context first_context = store_first_message(writer);

  // Another instance's group has claimed wamid.race and inserted it, not committed yet.
  auto tx = join_writers(other);
  REQUIRE(claim_keys(other, {claim_key('m', "wamid.race")}).has_value());
  REQUIRE(insert_beside_first(other, "wamid.race", "theirs"));

  ingest_memo memo;
  auto group_done = write_race_group(writer, first_context, memo);
  // The group waits on the claim, before its lookahead, not on the unique index after it.
  REQUIRE(waiting_for_lock(observer, 1));
  REQUIRE(tx.commit().has_value());

  auto written = group_done.get();
  check_race_written(written, observer);
  CHECK(memo.groups_written_again() == 0);
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
  REQUIRE(insert_beside_first(other, "wamid.race", "theirs"));

  ingest_memo memo;
  auto group_done = write_race_group(writer, first_context, memo);
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
  check_race_written(written, observer);
  CHECK(memo.groups_written_again() == 1);
  CHECK(observer
            .query_int64("SELECT count(*) FROM messages WHERE wamid = 'wamid.race' AND "
                         "text = 'theirs'")
            .value() == 1);
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
