// pons-webhook storing what Meta sends: signed POSTs become rows in one durable transaction,
// replays add nothing, storage trouble is never answered 200.
#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <set>
#include <thread>

#include "pons/store/message_repository.hpp"
#include "support/webhook_payloads.hpp"
#include "support/webhook_process.hpp"

using namespace pons::test;
using namespace std::chrono_literals;

namespace {

const std::string number = default_phone_number_id;

std::string q(const std::string& s) {
  return "'" + s + "'";
}

// An outbound message already sent (as pons-mcp would have stored it), so statuses can apply.
std::int64_t store_sent_message(const std::string& db_path, const std::string& wamid) {
  auto db = pons::store::database::open(db_path);
  REQUIRE(db.has_value());
  pons::store::outbound_message m;
  m.phone_number_id = number;
  m.waba_id = "102290129340398";
  m.to.wa_id = "16505551234";
  m.type = "text";
  m.text = "hello";
  auto now = std::chrono::system_clock::now();
  auto ins = pons::store::insert_outbound_pending(*db, m, now);
  REQUIRE(ins.has_value());
  auto id = ins->position.id;
  REQUIRE(pons::store::mark_outbound_sent(*db, id, wamid, now).has_value());
  return id;
}

}  // namespace

TEST_CASE("a signed message is stored once: a replay adds no rows", "[webhook][ingest]") {
  webhook_process svc;
  REQUIRE(svc.started());
  auto body = webhook_fixture("messages/text.json");
  auto r = svc.post(body);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(svc.count("SELECT count(*) FROM messages WHERE direction = 'inbound' AND type = 'text' "
                  "AND text = 'Does it come in another color?'") == 1);
  CHECK(svc.count("SELECT count(*) FROM contacts WHERE wa_id = '16505551234'") == 1);
  // A message is deduplicated by its wamid (unique in messages), not by a processed_events key.
  CHECK(svc.count("SELECT count(*) FROM messages WHERE wamid IS NOT NULL") == 1);
  CHECK(svc.count("SELECT count(*) FROM processed_events WHERE key LIKE 'msg:%'") == 0);
  CHECK(svc.count("SELECT count(*) FROM webhook_log WHERE http_status = 200 AND "
                  "signature = 'valid'") == 1);
  auto events = svc.count("SELECT count(*) FROM processed_events");

  // Meta delivers at least once: the same POST again, on the short path too.
  auto again = svc.post(body, default_app_secret, "/webhook");
  REQUIRE(again);
  CHECK(again->status == 200);
  CHECK(svc.count("SELECT count(*) FROM messages") == 1);
  CHECK(svc.count("SELECT count(*) FROM contacts") == 1);
  CHECK(svc.count("SELECT count(*) FROM processed_events") == events);
  auto m = svc.get("/metrics");
  REQUIRE(m);
  CHECK(m->body.find("pons_webhook_duplicates_total 1") != std::string::npos);
  CHECK(m->body.find("pons_webhook_ingest_seconds_count 2") != std::string::npos);
  // Each group was written once, with what it looked up first.
  CHECK(m->body.find("pons_webhook_groups_written_again_total 0") != std::string::npos);
  // Both answers waited for a WAL fdatasync on the sync thread (commits themselves do not sync).
  auto syncs_at = m->body.find("\npons_webhook_wal_syncs_total ");
  REQUIRE(syncs_at != std::string::npos);
  CHECK(std::stoi(m->body.substr(syncs_at + 30)) >= 2);
}

TEST_CASE("the raw body is kept byte for byte, escapes included", "[webhook][ingest]") {
  webhook_process svc;
  REQUIRE(svc.started());
  // Meta escapes non-ASCII and '/'; the signature is over these exact bytes.
  auto body = simple_payload(
      number, {text_message_json("wamid.escape1", "16505551234", R"(caf\u00e9 a\/b)")});
  auto r = svc.post(body);
  REQUIRE(r);
  CHECK(r->status == 200);
  auto db = pons::store::database::open(svc.db_path());
  REQUIRE(db.has_value());
  auto st = db->prepare("SELECT body FROM webhook_log");
  REQUIRE(st.has_value());
  REQUIRE(st->step().value());
  CHECK(st->column_text(0) == body);
  auto text = db->prepare("SELECT text FROM messages WHERE wamid = 'wamid.escape1'");
  REQUIRE(text.has_value());
  REQUIRE(text->step().value());
  CHECK(text->column_text(0) == "caf\xc3\xa9 a/b");
}

TEST_CASE("a batch with several entries, changes, messages and statuses", "[webhook][ingest]") {
  webhook_process svc;
  REQUIRE(svc.started());
  auto sent = store_sent_message(svc.db_path(), "wamid.out1");
  auto body = webhook_payload_json(
      {{"102290129340398",
        {messages_change_json(number, {text_message_json("wamid.b1", "111", "one"),
                                       text_message_json("wamid.b2", "111", "two")}),
         messages_change_json(number, {},
                              {status_json("wamid.out1", "delivered", "16505551234")})}},
       {"102290129340398",
        {messages_change_json(number, {text_message_json("wamid.b3", "222", "three")}, {}, "222",
                              "Other Person")}}});
  auto r = svc.post(body);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(svc.count("SELECT count(*) FROM messages WHERE direction = 'inbound'") == 3);
  CHECK(svc.count("SELECT count(*) FROM contacts WHERE wa_id IN ('111', '222')") == 2);
  CHECK(svc.count("SELECT count(*) FROM message_status_events WHERE wamid = 'wamid.out1'") == 1);
  CHECK(svc.count("SELECT count(*) FROM messages WHERE id = " + std::to_string(sent) +
                  " AND status = 'delivered'") == 1);
  CHECK(svc.count("SELECT count(*) FROM webhook_log") == 1);
}

TEST_CASE("statuses: before their message, and read before delivered", "[webhook][ingest]") {
  webhook_process svc;
  REQUIRE(svc.started());
  // A status for a message not stored yet is recorded and acknowledged.
  auto early = svc.post(simple_payload(number, {}, {status_json("wamid.later", "sent", "1")}));
  REQUIRE(early);
  CHECK(early->status == 200);
  CHECK(svc.count("SELECT count(*) FROM message_status_events WHERE wamid = 'wamid.later' AND "
                  "message_id IS NULL") == 1);

  // Read arrives before delivered: the message stays read.
  auto id = store_sent_message(svc.db_path(), "wamid.rbd");
  auto read = svc.post(
      simple_payload(number, {}, {status_json("wamid.rbd", "read", "16505551234", 1750263780)}));
  auto delivered = svc.post(simple_payload(
      number, {}, {status_json("wamid.rbd", "delivered", "16505551234", 1750263775)}));
  REQUIRE((read && delivered));
  CHECK(read->status == 200);
  CHECK(delivered->status == 200);
  CHECK(svc.count("SELECT count(*) FROM messages WHERE id = " + std::to_string(id) +
                  " AND status = 'read'") == 1);
  CHECK(svc.count("SELECT count(*) FROM message_status_events WHERE wamid = 'wamid.rbd'") == 2);
}

TEST_CASE("unknown fields and message types are stored and acknowledged", "[webhook][ingest]") {
  webhook_process svc;
  REQUIRE(svc.started());
  std::string odd_message =
      R"({"from":"16505551234","id":"wamid.holo","timestamp":"1749416383","type":"hologram",)"
      R"("hologram":{"frames":3},"brand_new_field":{"x":[1,2],"Api_Token":"SHOULD-NOT-BE-STORED"}})";
  auto body = simple_payload(number, {odd_message});
  body.insert(body.size() - 1, R"(,"future_top_level":true)");
  auto r = svc.post(body);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(svc.count("SELECT count(*) FROM messages WHERE wamid = 'wamid.holo' AND type = "
                  "'hologram'") == 1);
  // A secret-looking key is redacted before the payload is stored anywhere.
  CHECK(svc.count("SELECT count(*) FROM webhook_log WHERE body LIKE '%hologram%'") == 1);
  CHECK(svc.count("SELECT count(*) FROM webhook_log WHERE body LIKE '%SHOULD-NOT-BE-STORED%'") ==
        0);
  CHECK(svc.count("SELECT count(*) FROM messages WHERE raw_json LIKE '%SHOULD-NOT-BE-STORED%'") ==
        0);

  // A field Pons has never heard of, for a known number.
  auto other = webhook_payload_json(
      {{"102290129340398",
        {R"({"value":{"messaging_product":"whatsapp","metadata":{"phone_number_id":")" + number +
         R"("},"surprise":42},"field":"something_new"})"}}});
  auto r2 = svc.post(other);
  REQUIRE(r2);
  CHECK(r2->status == 200);
  CHECK(svc.count("SELECT count(*) FROM webhook_log WHERE http_status = 200") == 2);
}

TEST_CASE("template updates route by the WABA id when there is no number", "[webhook][ingest]") {
  webhook_process svc;
  REQUIRE(svc.started());
  auto r = svc.post(webhook_fixture("other_fields/message_template_status_update_approved.json"));
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(svc.count("SELECT count(*) FROM webhook_log WHERE http_status = 200") == 1);
  // Another WABA with no number: unknown, refused.
  auto body = webhook_fixture("other_fields/message_template_status_update_approved.json");
  body.replace(body.find("102290129340398"), 15, "999990129340398");
  auto r2 = svc.post(body);
  REQUIRE(r2);
  CHECK(r2->status == 404);
}

TEST_CASE("two accounts with different secrets never sign for each other", "[webhook][ingest]") {
  temp_dir cfg_dir;
  auto cfg = cfg_dir.file("accounts.json");
  write_text_file(cfg, R"({"accounts":[
    {"waba_id":"111","app_secret":"secret-a","verify_token":"token-a","phone_numbers":["1001"]},
    {"waba_id":"222","app_secret":"secret-b","verify_token":"token-b","phone_numbers":["2002"]}]})",
                  0600);
  webhook_process svc({}, {"--config", cfg});
  REQUIRE(svc.started());
  auto for_b =
      simple_payload("2002", {text_message_json("wamid.acct.b", "333", "hi b")}, {}, "222");
  auto wrong = svc.post(for_b, std::string("secret-a"));
  REQUIRE(wrong);
  CHECK(wrong->status == 404);
  CHECK(svc.count("SELECT count(*) FROM messages") == 0);
  auto right = svc.post(for_b, std::string("secret-b"));
  REQUIRE(right);
  CHECK(right->status == 200);
  auto for_a =
      simple_payload("1001", {text_message_json("wamid.acct.a", "333", "hi a")}, {}, "111");
  auto a = svc.post(for_a, std::string("secret-a"));
  REQUIRE(a);
  CHECK(a->status == 200);
  CHECK(svc.count("SELECT count(*) FROM messages WHERE phone_number_id = '1001'") == 1);
  CHECK(svc.count("SELECT count(*) FROM messages WHERE phone_number_id = '2002'") == 1);

  // A body signed by account A cannot smuggle a change for account B's number.
  auto mixed = webhook_payload_json(
      {{"111", {messages_change_json("1001", {text_message_json("wamid.mix1", "4", "x")})}},
       {"222", {messages_change_json("2002", {text_message_json("wamid.mix2", "4", "y")})}}});
  auto smuggled = svc.post(mixed, std::string("secret-a"));
  REQUIRE(smuggled);
  CHECK(smuggled->status == 404);
  CHECK(svc.count("SELECT count(*) FROM messages WHERE wamid LIKE 'wamid.mix%'") == 0);
}

TEST_CASE("a locked database answers 500, never 200", "[webhook][ingest]") {
  webhook_process svc;
  REQUIRE(svc.started());
  auto db = pons::store::database::open(svc.db_path());
  REQUIRE(db.has_value());
  REQUIRE(db->exec("BEGIN IMMEDIATE").has_value());
  // The service waits its busy timeout (5 s), then gives up on this commit.
  auto r = http_request(
      svc.port(), "POST", "/webhook/meta",
      simple_payload(number, {text_message_json("wamid.locked", "1", "x")}),
      {{"X-Hub-Signature-256",
        pons::meta::sign_body(simple_payload(number, {text_message_json("wamid.locked", "1", "x")}),
                              default_app_secret)}},
      30s);
  REQUIRE(r);
  CHECK(r->status == 500);
  REQUIRE(db->exec("ROLLBACK").has_value());
  CHECK(svc.count("SELECT count(*) FROM messages") == 0);
  // Meta retries; now it is stored.
  auto retry = svc.post(simple_payload(number, {text_message_json("wamid.locked", "1", "x")}));
  REQUIRE(retry);
  CHECK(retry->status == 200);
  CHECK(svc.count("SELECT count(*) FROM messages WHERE wamid = 'wamid.locked'") == 1);
}

TEST_CASE("a full writer queue answers 503 with Retry-After", "[webhook][ingest]") {
  webhook_process svc(default_webhook_env(), {"--queue-limit", "2"});
  REQUIRE(svc.started());
  auto db = pons::store::database::open(svc.db_path());
  REQUIRE(db.has_value());
  REQUIRE(db->exec("BEGIN IMMEDIATE").has_value());
  std::mutex mu;
  std::vector<int> statuses;
  std::vector<std::string> retry_after;
  std::vector<std::thread> clients;
  for (int i = 0; i < 8; ++i) {
    clients.emplace_back([&, i] {
      auto body =
          simple_payload(number, {text_message_json("wamid.q" + std::to_string(i), "1", "x")});
      auto r = http_request(
          svc.port(), "POST", "/webhook/meta", body,
          {{"X-Hub-Signature-256", pons::meta::sign_body(body, default_app_secret)}}, 30s);
      std::lock_guard lock(mu);
      statuses.push_back(r ? r->status : 0);
      if (r && r->status == 503) retry_after.push_back(r->header("retry-after"));
    });
    std::this_thread::sleep_for(50ms);
  }
  std::this_thread::sleep_for(500ms);
  REQUIRE(db->exec("ROLLBACK").has_value());
  for (auto& t : clients) t.join();
  auto ok = std::count(statuses.begin(), statuses.end(), 200);
  auto busy = std::count(statuses.begin(), statuses.end(), 503);
  CHECK(ok + busy == 8);
  CHECK(busy >= 1);
  CHECK(ok >= 1);
  for (const auto& ra : retry_after) CHECK_FALSE(ra.empty());
  // Exactly the ones answered 200 are stored.
  CHECK(svc.count("SELECT count(*) FROM messages") == ok);
}

TEST_CASE("SIGTERM under load loses nothing that was answered 200", "[webhook][ingest]") {
  webhook_process svc;
  REQUIRE(svc.started());
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::set<std::string> acknowledged;
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; !stop && i < 100000; ++i) {
        auto wamid = "wamid.load." + std::to_string(c) + "." + std::to_string(i);
        auto body = simple_payload(number, {text_message_json(wamid, "16505551234", "load")});
        std::optional<http_response> r;
        try {
          r = http_request(
              svc.port(), "POST", "/webhook/meta", body,
              {{"X-Hub-Signature-256", pons::meta::sign_body(body, default_app_secret)}}, 10s);
        } catch (const std::exception&) {
          return;  // connection refused: the service has stopped listening
        }
        if (r && r->status == 200) {
          std::lock_guard lock(mu);
          acknowledged.insert(wamid);
        }
      }
    });
  }
  std::this_thread::sleep_for(700ms);
  svc.proc().signal(SIGTERM);
  auto code = svc.proc().wait_exit(20s);
  stop = true;
  for (auto& t : clients) t.join();
  REQUIRE(code);
  CHECK(*code == 0);
  REQUIRE(acknowledged.size() > 10);
  auto db = pons::store::database::open(svc.db_path());
  REQUIRE(db.has_value());
  std::size_t missing = 0;
  for (const auto& wamid : acknowledged) {
    auto n = db->query_int64("SELECT count(*) FROM messages WHERE wamid = " + q(wamid));
    if (!n || *n != 1) ++missing;
  }
  CHECK(missing == 0);
}
