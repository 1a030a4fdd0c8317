#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "pons/forward/outbox.hpp"
#include "pons/meta/json_reader.hpp"
#include "pons/meta/webhook_normaliser.hpp"
#include "pons/store/conversation_repository.hpp"
#include "pons/store/database.hpp"
#include "pons/store/event_log_repository.hpp"
#include "pons/store/media_repository.hpp"
#include "pons/store/message_repository.hpp"
#include "pons/store/status_repository.hpp"
#include "pons/store/template_repository.hpp"
#include "pons/webhook/ingest.hpp"
#include "unit/store_test_util.hpp"

using namespace pons::store;
using namespace pons::webhook;
using pons::store::test::temp_dir;
namespace domain = pons::domain;
namespace fs = std::filesystem;

namespace {

domain::inbound_message text_message(const std::string& wamid, const std::string& from,
                                     const std::string& text, std::int64_t ts,
                                     const std::string& pnid = "PN1") {
  domain::inbound_message m;
  m.phone_number_id = pnid;
  m.display_phone_number = "15550001111";
  m.waba_id = "WABA1";
  m.wamid = wamid;
  m.from = from;
  m.sender = {from, "", "", "Alice", ""};
  m.timestamp = std::to_string(ts);
  m.timestamp_unix = ts;
  m.type = "text";
  m.text = text;
  m.raw_json = R"({"id":")" + wamid + R"("})";
  return m;
}

domain::status_update status_of(const std::string& wamid, const std::string& status,
                                std::int64_t ts) {
  domain::status_update s;
  s.phone_number_id = "PN1";
  s.waba_id = "WABA1";
  s.wamid = wamid;
  s.status = status;
  s.timestamp = std::to_string(ts);
  s.timestamp_unix = ts;
  s.recipient_id = "447700900123";
  return s;
}

ingest_context context(const std::string& request_id) {
  ingest_context c;
  c.request_id = request_id;
  c.received_at = *parse_timestamp("2026-11-25T14:00:00.000Z");
  c.redacted_body = R"({"object":"whatsapp_business_account"})";
  return c;
}

// An empty batch from number PN1 of a WhatsApp Business Account, as the normaliser makes it.
domain::webhook_batch batch_from_pn1() {
  domain::webhook_batch b;
  b.object = "whatsapp_business_account";
  b.phone_number_ids = {"PN1"};
  return b;
}

std::int64_t count(database& db, const std::string& table) {
  return db.query_int64("SELECT count(*) FROM " + table).value();
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  REQUIRE(in);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("store: a message is a duplicate while its wamid is stored, whatever the key retention",
          "[store][ingest][backends]") {
  temp_dir dir;
  auto db = database::open(pons::store::test::test_database_location(dir)).value();
  auto batch = batch_from_pn1();
  batch.messages.push_back(text_message("wamid.kept", "447700900123", "hello", 1700000000));
  REQUIRE(ingest_batch(db, batch, context("req-1")).value().messages_new == 1);

  // Meta retries for up to 7 days; keys are pruned after 30. Even with every key gone, a late
  // redelivery finds the stored wamid and adds nothing.
  REQUIRE(db.exec("DELETE FROM processed_events").has_value());
  auto again = ingest_batch(db, batch, context("req-2")).value();
  CHECK(again.messages_new == 0);
  CHECK(again.duplicates == 1);
  CHECK(count(db, "messages") == 1);
  CHECK(list_conversations(db, {}).value().at(0).unread_count == 1);

  // A reaction change reuses the reaction's wamid: it is told apart by its key, not its wamid.
  auto react = batch_from_pn1();
  auto like = text_message("wamid.react", "447700900123", "", 1700000010);
  like.type = "reaction";
  like.reacted = domain::reaction{"wamid.kept", "\xF0\x9F\x91\x8D"};
  react.messages.push_back(like);
  REQUIRE(ingest_batch(db, react, context("req-3")).value().messages_new == 1);
  react.messages[0].reacted->emoji = "";  // removed: same wamid, a new event
  CHECK(ingest_batch(db, react, context("req-4")).value().messages_new == 1);
  CHECK(ingest_batch(db, react, context("req-5")).value().duplicates == 1);
}

TEST_CASE("store: ingest writes a batch in one transaction and a replay adds nothing",
          "[store][ingest][backends]") {
  temp_dir dir;
  auto db = database::open(pons::store::test::test_database_location(dir)).value();
  auto batch = batch_from_pn1();
  batch.contacts = {{"447700900123", "", "", "Alice", ""}};
  batch.contact_phone_number_ids = {"PN1"};
  batch.messages.push_back(text_message("wamid.1", "447700900123", "hello there", 1700000000));
  auto img = text_message("wamid.2", "447700900123", "look", 1700000005);
  img.type = "image";
  img.media = domain::media_ref{"MEDIA1", "image/jpeg", "c2hh", "look", "", "", false, false};
  batch.messages.push_back(img);

  auto first = ingest_batch(db, batch, context("req-1")).value();
  CHECK(first.messages_new == 2);
  CHECK(first.duplicates == 0);
  CHECK(first.media_jobs == 1);
  CHECK(first.new_message_ids.size() == 2);
  CHECK(count(db, "messages") == 2);
  CHECK(count(db, "contacts") == 1);
  CHECK(count(db, "conversations") == 1);
  CHECK(count(db, "processed_events") == 0);  // messages are deduplicated by their wamids
  CHECK(count(db, "media") == 1);
  CHECK(count(db, "webhook_log") == 1);

  auto conv = list_conversations(db, {}).value().at(0);
  CHECK(conv.unread_count == 2);
  CHECK(conv.preview == "look");
  CHECK(conv.window_expires_at == format_unix_seconds(1700000005 + 24 * 3600));
  CHECK(conv.contact_profile_name == "Alice");
  auto stored = find_message_by_wamid(db, "wamid.2").value().value();
  CHECK(stored.media_state == "queued");
  CHECK(stored.media_caption == "look");

  // Meta redelivers the same POST: only the log row is added.
  auto replay = ingest_batch(db, batch, context("req-2")).value();
  CHECK(replay.messages_new == 0);
  CHECK(replay.duplicates == 2);
  CHECK(count(db, "messages") == 2);
  CHECK(count(db, "media") == 1);
  CHECK(list_conversations(db, {}).value().at(0).unread_count == 2);
  CHECK(count(db, "webhook_log") == 2);
  CHECK(recent_webhook_log(db, 1).value().at(0).duplicates == 2);
}

TEST_CASE("store: ingest of statuses is monotonic and keeps early statuses",
          "[store][ingest][backends]") {
  temp_dir dir;
  auto db = database::open(pons::store::test::test_database_location(dir)).value();
  const auto now = *parse_timestamp("2026-11-25T14:00:00.000Z");
  // An outbound message already sent through the API.
  outbound_message out;
  out.phone_number_id = "PN1";
  out.waba_id = "WABA1";
  out.to.wa_id = "447700900123";
  out.type = "text";
  out.text = "your code is 1234";
  auto sent = insert_outbound_pending(db, out, now).value();
  REQUIRE(mark_outbound_sent(db, sent.position.id, "wamid.OUT", now).has_value());

  domain::webhook_batch read_first;
  read_first.statuses = {status_of("wamid.OUT", "read", 1700000010),
                         status_of("wamid.OUT", "delivered", 1700000005)};
  auto sum = ingest_batch(db, read_first, context("r1")).value();
  CHECK(sum.statuses_recorded == 2);
  CHECK(sum.statuses_applied == 1);
  CHECK(get_message(db, sent.position.id).value()->status == "read");
  auto replay = ingest_batch(db, read_first, context("r2")).value();
  CHECK(replay.duplicates == 2);
  CHECK(replay.statuses_recorded == 0);
  CHECK(list_status_events(db, "wamid.OUT").value().size() == 2);

  // Statuses for a message whose send response has not been recorded yet.
  domain::webhook_batch early;
  early.statuses = {status_of("wamid.LATE", "delivered", 1700000020)};
  CHECK(ingest_batch(db, early, context("r3")).value().statuses_applied == 0);
  auto pending = insert_outbound_pending(db, out, now).value();
  REQUIRE(mark_outbound_sent(db, pending.position.id, "wamid.LATE", now).has_value());
  CHECK(get_message(db, pending.position.id).value()->status == "delivered");
}

TEST_CASE("store: ingest_batches group-commits and isolates a failing batch",
          "[store][ingest][backends]") {
  temp_dir dir;
  auto db = database::open(pons::store::test::test_database_location(dir)).value();
  std::vector<domain::webhook_batch> batches(4);
  std::vector<ingest_context> contexts;
  for (int i = 0; i < 4; ++i) {
    batches[i].messages.push_back(text_message(
        "wamid.G" + std::to_string(i), "4477009001" + std::to_string(i), "hi", 1700000000 + i));
    contexts.push_back(context("req-" + std::to_string(i)));
  }
  batches[3].messages.push_back(batches[0].messages[0]);  // duplicate of batch 0, same group
  // Batch 2 cannot be stored: a test-only trigger refuses its message.
  batches[2].messages[0].text = "boom";
  pons::store::test::refuse_boom_messages(db);

  std::vector<ingest_request> reqs;
  for (int i = 0; i < 4; ++i) reqs.push_back({&batches[i], &contexts[i]});
  auto results = ingest_batches(db, reqs).value();
  REQUIRE(results.size() == 4);
  CHECK(results[0].has_value());
  CHECK(results[1].has_value());
  CHECK(results[3].has_value());
  CHECK(results[3]->duplicates == 1);
  CHECK(results[3]->messages_new == 1);
  REQUIRE_FALSE(results[2].has_value());
  CHECK(results[2].error() == store_errc::constraint);
  // The failed batch left nothing behind (not even its idempotency key, so Meta's retry works);
  // the others committed.
  CHECK(count(db, "messages") == 3);
  CHECK(count(db, "webhook_log") == 3);
  CHECK_FALSE(wamid_exists(db, "wamid.G2").value());
  CHECK(wamid_exists(db, "wamid.G1").value());
}

TEST_CASE("store: a new sender gets one conversation per number, however the group meets them",
          "[store][ingest][backends]") {
  temp_dir dir;
  auto db = database::open(pons::store::test::test_database_location(dir)).value();
  ingest_memo memo;
  // Someone new writes to two of our numbers in one group, and the first is delivered twice.
  std::vector<domain::webhook_batch> batches(3, batch_from_pn1());
  batches[0].contacts = {{"447700900777", "", "", "Nia", ""}};
  batches[0].contact_phone_number_ids = {"PN1"};
  batches[0].messages.push_back(text_message("wamid.N1", "447700900777", "hi one", 1700000000));
  batches[1].messages.push_back(
      text_message("wamid.N2", "447700900777", "hi two", 1700000001, "PN2"));
  batches[2] = batches[0];
  std::vector<ingest_context> contexts{context("req-1"), context("req-2"), context("req-3")};
  std::vector<ingest_request> reqs;
  for (int i = 0; i < 3; ++i) reqs.push_back({&batches[i], &contexts[i]});
  auto results = ingest_batches(db, reqs, &memo).value();
  REQUIRE(results.size() == 3);
  CHECK(results[0].value().messages_new == 1);
  CHECK(results[1].value().messages_new == 1);
  CHECK(results[2].value().duplicates == 1);
  CHECK(count(db, "contacts") == 1);
  CHECK(count(db, "conversations") == 2);
  CHECK(count(db, "messages") == 2);
  // A later group: the same person, now known, writes to a third number and to the first again.
  std::vector<domain::webhook_batch> later(2, batch_from_pn1());
  later[0].messages.push_back(
      text_message("wamid.N3", "447700900777", "hi three", 1700000002, "PN3"));
  later[1].messages.push_back(text_message("wamid.N4", "447700900777", "again", 1700000003));
  std::vector<ingest_context> later_contexts{context("req-4"), context("req-5")};
  std::vector<ingest_request> later_reqs{{&later[0], &later_contexts[0]},
                                         {&later[1], &later_contexts[1]}};
  for (const auto& r : ingest_batches(db, later_reqs, &memo).value()) CHECK(r.has_value());
  CHECK(count(db, "contacts") == 1);
  CHECK(count(db, "conversations") == 3);
  conversation_filter first_number;
  first_number.phone_number_id = "PN1";
  auto pn1 = list_conversations(db, first_number).value();
  REQUIRE(pn1.size() == 1);
  CHECK(pn1[0].unread_count == 2);
  CHECK(pn1[0].preview == "again");
}

TEST_CASE("store: an ingest_memo forgets what another connection or a rollback changed",
          "[store][ingest][backends]") {
  temp_dir dir;
  const auto path = pons::store::test::test_database_location(dir);
  auto db = database::open(path).value();
  ingest_memo memo;
  int n = 0;
  auto group = [&](const std::string& profile, const std::string& text = "hi",
                   const std::string& from = "447700900123") {
    const int k = ++n;
    auto b = batch_from_pn1();
    auto m = text_message("wamid.memo." + std::to_string(k), from, text, 1700000000 + k);
    m.sender.profile_name = profile;
    b.messages.push_back(m);
    auto ctx = context("req-" + std::to_string(k));
    std::vector<ingest_request> reqs{{&b, &ctx}};
    return ingest_batches(db, reqs, &memo).value().at(0);
  };
  auto profile = [&] {
    auto st = db.prepare("SELECT profile_name FROM contacts WHERE wa_id = '447700900123'").value();
    REQUIRE(st.step().value());
    return st.column_text(0);
  };

  REQUIRE(group("Alice").has_value());
  REQUIRE(group("Alice").has_value());  // served from the memo: same facts, nothing to write
  CHECK(profile() == "Alice");

  // Another connection renames her. The memo still says "Alice", but the next webhook (which
  // says "Alice" again) must be written: data_version changed, so the memo was forgotten.
  {
    auto other = database::open(path).value();
    REQUIRE(other.exec("UPDATE contacts SET profile_name = 'Renamed elsewhere'").has_value());
  }
  REQUIRE(group("Alice").has_value());
  CHECK(profile() == "Alice");

  // A conversation deleted elsewhere is not reused from the memo either (its id would be a
  // foreign-key failure).
  {
    auto other = database::open(path).value();
    REQUIRE(other.exec("DELETE FROM messages; DELETE FROM conversations").has_value());
  }
  REQUIRE(group("Alice").has_value());
  CHECK(count(db, "conversations") == 1);

  // A group that fails is rolled back, and what it cached with it: Carol's new contact and
  // conversation rows are gone, so her next message must create them again, not reuse their ids.
  pons::store::test::refuse_boom_messages(db);
  CHECK_FALSE(group("Carol", "boom", "447700900999").has_value());
  CHECK(db.query_int64("SELECT count(*) FROM contacts WHERE wa_id = '447700900999'").value() == 0);
  auto after = group("Carol", "hello again", "447700900999");
  REQUIRE(after.has_value());
  CHECK(after->messages_new == 1);
  CHECK(db.query_int64("SELECT count(*) FROM contacts WHERE wa_id = '447700900999'").value() == 1);
}

TEST_CASE("store: an ingest_memo outlives other writers' messages, not their lookup changes",
          "[store][ingest][backends]") {
  temp_dir dir;
  const auto path = pons::store::test::test_database_location(dir);
  auto db = database::open(path).value();
  auto other = database::open(path).value();
  ingest_memo memo;
  int n = 0;
  auto group = [&](const std::string& from) {
    const int k = ++n;
    auto b = batch_from_pn1();
    b.messages.push_back(
        text_message("wamid.outlive." + std::to_string(k), from, "hi", 1700000000 + k));
    auto ctx = context("req-" + std::to_string(k));
    std::vector<ingest_request> reqs{{&b, &ctx}};
    return ingest_batches(db, reqs, &memo).value().at(0).value();
  };
  // Another writer (a second instance, on PostgreSQL) stores a message from someone else.
  auto other_writes_a_message = [&] {
    const int k = ++n;
    auto b = batch_from_pn1();
    b.messages.push_back(
        text_message("wamid.other." + std::to_string(k), "447700900555", "yo", 1700000000 + k));
    REQUIRE(ingest_batch(other, b, context("other-" + std::to_string(k))).has_value());
  };
  // PostgreSQL's triggers announce only changes to what the memo holds; SQLite counts every
  // commit of another connection.
  const bool kept_across_commits = db.kind() == backend::postgresql;

  group("447700900123");
  REQUIRE(memo.size() == 2);  // her contact and her conversation
  other_writes_a_message();
  group("447700900124");
  CHECK(memo.size() == (kept_across_commits ? 4u : 2u));

  // A target added elsewhere is seen at the next group.
  REQUIRE(other
              .exec("INSERT INTO webhook_targets(url, event_types, secret, created_at, updated_at) "
                    "VALUES ('https://a.example/hook', '[\"message.inbound.received\"]', 's', "
                    "'t', 't')")
              .has_value());
  CHECK(group("447700900123").events == 1);
  CHECK(group("447700900124").events == 1);
  // Delivery bookkeeping on a target changes nothing remembered.
  const auto before = memo.size();
  REQUIRE(other.exec("UPDATE webhook_targets SET last_success_at = 'x', consecutive_failures = 0")
              .has_value());
  CHECK(group("447700900123").events == 1);
  CHECK(memo.size() == (kept_across_commits ? before : 2u));
  // A target disabled elsewhere is seen at the next group too.
  REQUIRE(other.exec("UPDATE webhook_targets SET enabled = 0").has_value());
  CHECK(group("447700900123").events == 0);
}

TEST_CASE("store: an ingest_memo stays bounded however many people write in",
          "[store][ingest][backends]") {
  temp_dir dir;
  auto db = database::open(pons::store::test::test_database_location(dir)).value();
  ingest_memo memo(5);  // about 5 contacts and 5 conversations
  std::size_t largest = 0;
  for (int i = 0; i < 40; ++i) {
    auto b = batch_from_pn1();
    b.messages.push_back(text_message("wamid.bound." + std::to_string(i),
                                      "4477009" + std::to_string(10000 + i), "hi", 1700000000 + i));
    auto ctx = context("req-" + std::to_string(i));
    std::vector<ingest_request> reqs{{&b, &ctx}};
    REQUIRE(ingest_batches(db, reqs, &memo).value().at(0).has_value());
    largest = std::max(largest, memo.size());
  }
  CHECK(largest > 0);
  CHECK(largest <= 2 * 5 + 2);  // cleared once past twice the bound, checked before each group
  CHECK(count(db, "contacts") == 40);
}

TEST_CASE("store: a group's messages are searchable once committed, also after a failure",
          "[store][ingest][backends]") {
  temp_dir dir;
  auto db = database::open(pons::store::test::test_database_location(dir)).value();
  auto search = [&](const std::string& words) {
    search_query q;
    q.text = words;
    return search_messages(db, q).value().size();
  };
  // A message stored by another writer (the trigger indexes it at once).
  REQUIRE(ingest_batch(
              db,
              [] {
                domain::webhook_batch b;
                b.messages.push_back(
                    text_message("wamid.S0", "447700900100", "alpaca one", 1700000000));
                return b;
              }(),
              context("r0"))
              .has_value());

  std::vector<domain::webhook_batch> batches(3);
  std::vector<ingest_context> contexts;
  const char* texts[] = {"alpaca two", "boom", "zebra three"};
  for (int i = 0; i < 3; ++i) {
    batches[i].messages.push_back(text_message("wamid.S" + std::to_string(i + 1),
                                               "44770090010" + std::to_string(i + 1), texts[i],
                                               1700000001 + i));
    contexts.push_back(context("rs-" + std::to_string(i)));
  }
  // The middle batch fails, so the group is written again request by request.
  pons::store::test::refuse_boom_messages(db);
  std::vector<ingest_request> reqs;
  for (int i = 0; i < 3; ++i) reqs.push_back({&batches[i], &contexts[i]});
  auto results = ingest_batches(db, reqs).value();
  CHECK(results[0].has_value());
  CHECK_FALSE(results[1].has_value());
  CHECK(results[2].has_value());

  // Every stored message is in the index exactly once, the refused one is not.
  CHECK(search("alpaca") == 2);
  CHECK(search("zebra") == 1);
  CHECK(search("boom") == 0);
  if (db.kind() == backend::sqlite) {  // FTS5's own table (PostgreSQL's index is a column)
    CHECK(db.query_int64("SELECT count(*) FROM messages_fts").value() ==
          db.query_int64("SELECT count(*) FROM messages").value());
    REQUIRE(db.exec("INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 1)")
                .has_value());
  }
  // Indexing by trigger is back on for everyone else.
  CHECK(db.query_int64("SELECT deferred FROM messages_fts_control").value() == 0);

  // A clean group (no failure) indexes too.
  domain::webhook_batch clean;
  clean.messages.push_back(text_message("wamid.S9", "447700900109", "alpaca four", 1700000009));
  ingest_context ctx = context("rs-clean");
  std::vector<ingest_request> one{{&clean, &ctx}};
  REQUIRE(ingest_batches(db, one).value().at(0).has_value());
  CHECK(search("alpaca") == 3);
  if (db.kind() == backend::sqlite) {
    REQUIRE(db.exec("INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 1)")
                .has_value());
  }
}

TEST_CASE("store: ingest writes forwarding outbox rows for subscribed targets",
          "[store][ingest][backends]") {
  temp_dir dir;
  auto db = database::open(pons::store::test::test_database_location(dir)).value();
  REQUIRE(
      db.exec("INSERT INTO webhook_targets(url, event_types, secret, created_at, updated_at) "
              "VALUES ('https://a.example/hook', '[\"message.inbound.received\"]', 's', 't', 't'),"
              " ('https://b.example/hook', '[\"message.status.updated\"]', 's', 't', 't'),"
              " ('https://c.example/hook', '[\"message.status.updated\", "
              "\"message.inbound.received\"]', 's', 't', 't'),"
              " ('https://d.example/hook', '[\"message.inbound.received\"]', 's', 't', 't')")
          .has_value());
  REQUIRE(
      db.exec("UPDATE webhook_targets SET enabled = 0 WHERE url LIKE 'https://d.%'").has_value());

  domain::webhook_batch batch;
  batch.messages.push_back(text_message("wamid.F1", "447700900123", "forward me", 1700000000));
  batch.statuses.push_back(status_of("wamid.UNKNOWN", "sent", 1700000001));
  auto sum = ingest_batch(db, batch, context("req")).value();
  CHECK(sum.events == 4);  // inbound -> a, c; status -> b, c
  CHECK(count(db, "webhook_events") == 2);
  CHECK(count(db, "webhook_deliveries") == 4);

  auto st = db.prepare("SELECT body, event_id FROM webhook_events WHERE type = ?1").value();
  st.bind(1, "message.inbound.received");
  REQUIRE(st.step().value());
  auto body = boost::json::parse(st.column_text(0)).as_object();
  CHECK(body.at("id").as_string() == st.column_text(1));
  CHECK(body.at("id").as_string() ==
        pons::forward::event_id_for_key("msg:wamid.F1"));  // stable per change
  CHECK(body.at("type").as_string() == "message.inbound.received");
  CHECK(body.at("source").as_string() == "whatsapp");
  CHECK(body.at("accountId").as_string() == "WABA1");
  CHECK(body.at("occurredAt").as_string() == "2023-11-14T22:13:20.000Z");
  CHECK(body.at("payload").at("text").as_string() == "forward me");
  CHECK(body.at("payload").at("wamid").as_string() == "wamid.F1");
  st.reset();

  // A replay creates no new event or delivery.
  CHECK(ingest_batch(db, batch, context("again")).value().events == 0);
  CHECK(count(db, "webhook_deliveries") == 4);
}

TEST_CASE("store: every Meta message fixture ingests, and twice is a no-op",
          "[store][ingest][backends]") {
  temp_dir dir;
  auto db = database::open(pons::store::test::test_database_location(dir)).value();
  const fs::path root = fs::path(PONS_FIXTURES_DIR) / "meta" / "webhooks";
  int files = 0;
  std::int64_t stored = 0;
  for (const char* sub : {"messages", "statuses", "other_fields"}) {
    for (const auto& entry : fs::directory_iterator(root / sub)) {
      if (entry.path().extension() != ".json") continue;
      INFO(entry.path().filename().string());
      const std::string text = read_file(entry.path());
      auto value = pons::meta::read_json(text);
      REQUIRE(value.has_value());
      auto batch = pons::meta::normalise_webhook(*value);
      if (!batch) continue;  // Meta's PARTNER_ADDED example has no "object": refused upstream
      auto ctx = context(entry.path().filename().string());
      ctx.redacted_body = text;
      auto first = ingest_batch(db, *batch, ctx);
      REQUIRE(first.has_value());
      stored += first->messages_new;
      const auto rows = count(db, "messages");
      auto second = ingest_batch(db, *batch, ctx);
      REQUIRE(second.has_value());
      CHECK(second->messages_new == 0);
      CHECK(count(db, "messages") == rows);
      ++files;
    }
  }
  CHECK(files > 20);
  CHECK(stored > 10);
  CHECK(count(db, "messages") == stored);
  CHECK(count(db, "templates") >= 1);  // from message_template_status_update fixtures
  // Username (BSUID) users are stored and addressable by user id.
  CHECK(
      db.query_int64("SELECT count(*) FROM contacts WHERE wa_id = '' AND user_id <> ''").value() >=
      1);
}

TEST_CASE("store: a group failing inside the caller's transaction leaves FTS indexing on",
          "[store][ingest][fts]") {
  temp_dir dir;
  auto db = database::open(pons::store::test::test_database_location(dir)).value();
  domain::webhook_batch b;
  b.messages.push_back(text_message("wamid.F1", "447700900111", "walrus one", 1700000001));
  ingest_context ctx = context("rf-1");
  std::vector<ingest_request> reqs{{&b, &ctx}};

  // The caller's own transaction; the group's final indexing statement fails in it (the index
  // table is renamed away), so ingest_batches returns an error after it deferred indexing.
  {
    auto tx = transaction::begin(db).value();
    REQUIRE(db.exec("ALTER TABLE messages_fts RENAME TO messages_fts_away").has_value());
    CHECK_FALSE(ingest_batches(db, reqs).has_value());
    REQUIRE(db.exec("ALTER TABLE messages_fts_away RENAME TO messages_fts").has_value());
    // The caller commits anyway: the flag must not be committed with it.
    REQUIRE(tx.commit().has_value());
  }
  CHECK(db.query_int64("SELECT deferred FROM messages_fts_control").value() == 0);

  // Another connection's insert is indexed by the trigger again.
  auto other = database::open(pons::store::test::test_database_location(dir)).value();
  domain::webhook_batch b2;
  b2.messages.push_back(text_message("wamid.F2", "447700900112", "walrus two", 1700000002));
  ingest_context ctx2 = context("rf-2");
  REQUIRE(ingest_batch(other, b2, ctx2).has_value());
  CHECK(db.query_int64("SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'walrus'")
            .value() == 1);
}

TEST_CASE("store: a status from another number is skipped without using up its key",
          "[store][ingest][backends]") {
  temp_dir dir;
  auto db = database::open(pons::store::test::test_database_location(dir)).value();
  const auto now = *parse_timestamp("2026-11-25T14:00:00.000Z");
  outbound_message out;
  out.phone_number_id = "PN1";
  out.waba_id = "WABA1";
  out.to.wa_id = "447700900123";
  out.type = "text";
  out.text = "hello";
  auto sent = insert_outbound_pending(db, out, now).value();
  REQUIRE(mark_outbound_sent(db, sent.position.id, "wamid.OUT", now).has_value());

  domain::webhook_batch forged;
  forged.statuses = {status_of("wamid.OUT", "read", 1700000010)};
  forged.statuses[0].phone_number_id = "PN2";
  auto skipped = ingest_batch(db, forged, context("r1")).value();
  CHECK(skipped.statuses_applied == 0);
  CHECK(skipped.statuses_recorded == 0);
  CHECK(skipped.statuses_foreign == 1);
  CHECK(get_message(db, sent.position.id).value()->status == "sent");
  CHECK(count(db, "message_status_events") == 0);
  CHECK(recent_webhook_log(db, 1).value().at(0).notes ==
        "status read for wamid.OUT: that message belongs to another number; not applied");

  domain::webhook_batch genuine;
  genuine.statuses = {status_of("wamid.OUT", "read", 1700000010)};
  auto applied = ingest_batch(db, genuine, context("r2")).value();
  CHECK(applied.duplicates == 0);
  CHECK(applied.statuses_applied == 1);
  CHECK(get_message(db, sent.position.id).value()->status == "read");
}

namespace {

// The same history in two databases: an outbound message Meta accepted (wamid.OUT), its status
// sent, and an inbound message (wamid.OLD).
void seed_history(database& db) {
  pons::store::test::sent_text(db, "447700900123", "wamid.OUT",
                               *parse_timestamp("2026-11-25T13:00:00.000Z"));
  auto before = batch_from_pn1();
  before.statuses = {status_of("wamid.OUT", "sent", 1700000001)};
  before.messages = {text_message("wamid.OLD", "447700900123", "earlier", 1700000002)};
  REQUIRE(ingest_batch(db, before, context("before")).has_value());
}

// What a database holds after the requests, in a form two databases can be compared by.
std::vector<std::string> stored_state(database& db) {
  std::vector<std::string> rows;
  auto dump = [&](const std::string& sql) {
    auto st = db.prepare(sql).value();
    while (st.step().value()) {
      std::string row;
      for (int c = 0; c < 4; ++c) row += st.column_text(c) + "|";
      rows.push_back(std::move(row));
    }
  };
  // By name, not by position: PostgreSQL writes a group's conversations in an order of its own.
  // Each message with its sender and its conversation's person, and when it was stored.
  dump(
      "SELECT 'message', coalesce(m.wamid, '-'), m.status || '/' || m.reaction_emoji || '/' || "
      "m.created_at, c.wa_id || '/' || c.user_id || '/' || p.wa_id || '/' || p.user_id "
      "FROM messages m JOIN contacts c ON c.id = m.contact_id JOIN conversations v ON "
      "v.id = m.conversation_id JOIN contacts p ON p.id = v.contact_id "
      "ORDER BY m.wamid, m.reaction_emoji");
  dump(
      "SELECT 'contact', wa_id || '/' || user_id, profile_name, parent_user_id FROM contacts "
      "ORDER BY wa_id, user_id");
  dump("SELECT 'key', key, '', '' FROM processed_events ORDER BY key");
  dump("SELECT 'status', wamid, status, applied FROM message_status_events ORDER BY id");
  // Ids may differ (a group reserves one for every message it may store): rows are named by
  // their wamids.
  dump(
      "SELECT 'media', md.media_id, coalesce(m.wamid, '-'), md.state FROM media md "
      "LEFT JOIN messages m ON m.id = md.message_id ORDER BY md.id");
  dump(
      "SELECT 'conversation', c.wa_id, v.unread_count, v.preview FROM conversations v "
      "JOIN contacts c ON c.id = v.contact_id ORDER BY c.wa_id");
  dump(
      "SELECT 'conversation times', c.wa_id, v.last_message_at || '/' || v.last_inbound_at || "
      "'/' || v.window_expires_at, v.updated_at || '/' || v.archived || '/' || v.last_direction "
      "FROM conversations v JOIN contacts c ON c.id = v.contact_id ORDER BY c.wa_id");
  return rows;
}

std::string wamid_of(database& db, std::int64_t id) {
  auto m = get_message(db, id).value();
  return m ? m->wamid : "(no row)";
}

}  // namespace

TEST_CASE("store: a group that looks ahead stores what its requests one by one would",
          "[store][ingest][backends]") {
  temp_dir dir_group, dir_one;
  auto grouped = database::open(pons::store::test::test_database_location(dir_group)).value();
  auto one_by_one = database::open(pons::store::test::test_database_location(dir_one)).value();
  seed_history(grouped);
  seed_history(one_by_one);

  // Mostly one person's conversation (PostgreSQL writes a group by conversation, so only the
  // newcomer's requests below may move ahead of these).
  const std::string who = "447700900123";
  std::vector<domain::webhook_batch> batches(13, batch_from_pn1());
  batches[0].messages = {text_message("wamid.L1", who, "first", 1700000010)};
  batches[1].messages = {text_message("wamid.L1", who, "first", 1700000010),  // again, same group
                         text_message("wamid.L2", who, "second", 1700000011)};
  batches[2].statuses = {status_of("wamid.OUT", "read", 1700000013)};
  batches[3].statuses = {status_of("wamid.OUT", "sent", 1700000001),       // a key stored before
                         status_of("wamid.OUT", "delivered", 1700000012),  // behind read
                         status_of("wamid.OUT", "read", 1700000013)};      // a key of this group
  auto reaction = text_message("wamid.R1", who, "", 1700000014);
  reaction.type = "reaction";
  reaction.reacted = domain::reaction{"wamid.L1", "👍"};
  batches[4].messages = {reaction, reaction};
  batches[5].messages = {text_message("wamid.OLD", who, "earlier", 1700000002)};
  batches[5].statuses = {status_of("wamid.L2", "delivered", 1700000015)};
  auto image = text_message("wamid.L3", who, "", 1700000016);
  image.type = "image";
  image.media = domain::media_ref{"MEDIA9", "image/jpeg", "c2hh", "look", "", "", false, false};
  batches[6].messages = {image};
  auto removal = reaction;  // the reaction taken back reuses its wamid
  removal.reacted = domain::reaction{"wamid.L1", ""};
  batches[7].messages = {removal};
  // Someone new, twice: a contact and a conversation made in the group, then found in it.
  const std::string newcomer = "447700900777";
  batches[8].contacts = {{newcomer, "", "", "Nadia", ""}};
  batches[8].contact_phone_number_ids = {"PN1"};
  batches[8].messages = {text_message("wamid.N1", newcomer, "hi, new here", 1700000017)};
  batches[8].messages[0].sender.profile_name = "Nadia";
  // With a message Meta sent before the others, delivered after them: their window stays.
  batches[9].messages = {text_message("wamid.N2", newcomer, "me again", 1700000018),
                         text_message("wamid.N3", newcomer, "sent earlier", 1700000012)};
  batches[9].messages[0].sender.profile_name = "Nadia";
  batches[9].messages[1].sender.profile_name = "Nadia";
  // A status signed for another number: skipped, its key unused.
  batches[10].statuses = {status_of("wamid.OUT", "failed", 1700000019)};
  batches[10].statuses[0].phone_number_id = "PN2";
  // Someone known only by a user id (asked about as it comes, not looked ahead).
  auto by_user_id = text_message("wamid.U1", "", "from a username", 1700000020);
  by_user_id.from_user_id = "US.1234";
  by_user_id.sender = {"", "US.1234", "bea", "Bea", ""};
  batches[11].messages = {by_user_id};
  // A known person whose parent id Meta now sends: the lookahead's copy no longer covers them.
  batches[12].contacts = {{who, "", "", "Alice", "US.PARENT"}};
  batches[12].contact_phone_number_ids = {"PN1"};
  batches[12].messages = {text_message("wamid.L4", who, "fourth", 1700000021)};
  batches[12].messages[0].sender.parent_user_id = "US.PARENT";

  std::vector<ingest_context> contexts;
  for (std::size_t i = 0; i < batches.size(); ++i)
    contexts.push_back(context("r" + std::to_string(i)));
  std::vector<ingest_request> reqs;
  for (std::size_t i = 0; i < batches.size(); ++i) reqs.push_back({&batches[i], &contexts[i]});
  ingest_memo memo;
  auto group = ingest_batches(grouped, reqs, &memo).value();
  CHECK(memo.groups_written_again() == 0);  // written once, with its lookahead
  REQUIRE(group.size() == batches.size());

  for (std::size_t i = 0; i < batches.size(); ++i) {
    INFO("request " << i);
    REQUIRE(group[i].has_value());
    auto alone = ingest_batch(one_by_one, batches[i], contexts[i]).value();
    CHECK(group[i]->messages_new == alone.messages_new);
    CHECK(group[i]->duplicates == alone.duplicates);
    CHECK(group[i]->statuses_recorded == alone.statuses_recorded);
    CHECK(group[i]->statuses_applied == alone.statuses_applied);
    CHECK(group[i]->statuses_foreign == alone.statuses_foreign);
    CHECK(group[i]->media_jobs == alone.media_jobs);
    REQUIRE(group[i]->new_message_ids.size() == alone.new_message_ids.size());
    for (std::size_t k = 0; k < alone.new_message_ids.size(); ++k) {
      CHECK(wamid_of(grouped, group[i]->new_message_ids[k]) ==
            wamid_of(one_by_one, alone.new_message_ids[k]));
    }
  }
  CHECK(stored_state(grouped) == stored_state(one_by_one));
  // The group's read moved wamid.OUT on, and its late delivered did not move it back.
  CHECK(find_message_by_wamid(grouped, "wamid.OUT").value()->status == "read");
  CHECK(group[1]->duplicates == 1);
  CHECK(group[3]->duplicates == 2);
  CHECK(group[3]->statuses_applied == 0);
  CHECK(group[4]->duplicates == 1);

  // The ids and times the group gave its messages sort after everything stored before it.
  CHECK(grouped
            .query_int64("SELECT count(*) FROM messages m, messages o WHERE o.wamid = "
                         "'wamid.OLD' AND m.wamid IN ('wamid.L1', 'wamid.L2', 'wamid.L3') AND "
                         "(m.created_at < o.created_at OR m.id <= o.id)")
            .value() == 0);
}

TEST_CASE("store: a value the database refuses in one request does not fail its group",
          "[store][ingest][backends]") {
  temp_dir dir;
  auto db = database::open(pons::store::test::test_database_location(dir)).value();
  // A wamid with a NUL in it (valid JSON, \u0000): PostgreSQL's json cannot turn it into text, so
  // the group's lookahead, which sends the group's wamids in one parameter, fails whole.
  std::vector<domain::webhook_batch> batches(2, batch_from_pn1());
  batches[0].messages = {text_message(std::string("wamid.N\0L", 9), "447700900123", "odd", 1)};
  batches[1].messages = {text_message("wamid.fine", "447700900124", "fine", 2)};
  std::vector<ingest_context> contexts{context("odd"), context("fine")};
  const std::vector<ingest_request> reqs{{&batches[0], &contexts[0]}, {&batches[1], &contexts[1]}};
  ingest_memo memo;
  auto results = ingest_batches(db, reqs, &memo).value();
  REQUIRE(results.size() == 2);
  // The group is written again request by request on PostgreSQL, and the other request is
  // stored whatever each engine made of the odd one.
  REQUIRE(results[1].has_value());
  CHECK(results[1]->messages_new == 1);
  CHECK(wamid_exists(db, "wamid.fine").value());
  CHECK(memo.groups_written_again() == (db.kind() == backend::postgresql ? 1 : 0));
}
