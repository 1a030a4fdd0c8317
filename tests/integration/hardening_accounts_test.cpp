// Accounts do not cross: a body signed by one account cannot write for another account's number,
// whatever type its ids have; statuses apply only to messages of their own number; ids that are
// not ids are kept in the webhook log only; and a body is not parsed before its signature is
// verified.
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "hardening_support.hpp"
#include "pons/store/message_repository.hpp"

using namespace pons::test;
using namespace pons::test::hardening;

namespace {

// Two accounts with their own app secrets: A owns number 1001 (WABA 111), B owns 2002 (WABA 222).
std::string two_accounts_config(const temp_dir& dir) {
  auto cfg = dir.file("accounts.json");
  write_text_file(cfg, R"({"accounts":[
    {"waba_id":"111","app_secret":"secret-a","verify_token":"token-a","phone_numbers":["1001"]},
    {"waba_id":"222","app_secret":"secret-b","verify_token":"token-b","phone_numbers":["2002"]}]})",
                  0600);
  return cfg;
}

// One change of field "messages" whose metadata.phone_number_id is `id_json` verbatim (a JSON
// string, number, or anything else), carrying `messages` and `statuses`.
std::string change_with_id(const std::string& id_json, const std::vector<std::string>& messages,
                           const std::vector<std::string>& statuses = {}) {
  auto join = [](const std::vector<std::string>& items) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + items[i];
    return out;
  };
  std::string value = R"({"messaging_product":"whatsapp","metadata":{"display_phone_number":)"
                      R"("15550001111","phone_number_id":)" +
                      id_json + "}";
  if (!messages.empty()) {
    value += R"(,"contacts":[{"profile":{"name":"X"},"wa_id":"16505551234"}])";
    value += R"(,"messages":[)" + join(messages) + "]";
  }
  if (!statuses.empty()) value += R"(,"statuses":[)" + join(statuses) + "]";
  return R"({"value":)" + value + R"(},"field":"messages"})";
}

// An outbound message of `number` already sent with `wamid`, as pons-mcp stores it.
std::int64_t store_sent(const std::string& db_path, const std::string& number,
                        const std::string& waba, const std::string& wamid) {
  auto db = pons::store::database::open(db_path);
  REQUIRE(db.has_value());
  pons::store::outbound_message m;
  m.phone_number_id = number;
  m.waba_id = waba;
  m.to.wa_id = "16505551234";
  m.type = "text";
  m.text = "hello from " + number;
  auto now = std::chrono::system_clock::now();
  auto ins = pons::store::insert_outbound_pending(*db, m, now);
  REQUIRE(ins.has_value());
  REQUIRE(pons::store::mark_outbound_sent(*db, ins->position.id, wamid, now).has_value());
  return ins->position.id;
}

// The value of an unlabelled metric line `name value`, or -1 when the page has no such line.
long long metric(const std::string& page, const std::string& name) {
  const std::string key = "\n" + name + " ";
  auto at = page.find(key);
  if (at == std::string::npos) return -1;
  return std::stoll(page.substr(at + key.size()));
}

}  // namespace

TEST_CASE("A phone number id sent as a JSON number is checked like a string",
          "[hardening][accounts]") {
  temp_dir dir;
  webhook_process svc({}, {"--config", two_accounts_config(dir), "--no-media"});
  REQUIRE(svc.started());

  // Signed by A, for B's number written as a JSON number: refused, nothing stored for B.
  auto for_b = webhook_payload_json(
      {{"222", {change_with_id("2002", {text_message("wamid.num.b", "smuggled")})}}});
  auto r = svc.post(for_b, std::string("secret-a"));
  REQUIRE(r);
  CHECK(r->status == 404);

  // A's own change first (a string id), B's number as a JSON number second: refused whole.
  auto mixed = webhook_payload_json(
      {{"111",
        {change_with_id(R"("1001")", {text_message("wamid.num.a1", "mine")}),
         change_with_id("2002", {text_message("wamid.num.b2", "smuggled")})}}});
  auto r2 = svc.post(mixed, std::string("secret-a"));
  REQUIRE(r2);
  CHECK(r2->status == 404);
  CHECK(svc.count("SELECT count(*) FROM messages") == 0);

  // A number written as a float that renders like B's number is no id: that change is skipped,
  // A's own message in the same body is stored.
  auto float_id = webhook_payload_json(
      {{"111",
        {change_with_id(R"("1001")", {text_message("wamid.num.a3", "mine")}),
         change_with_id("2002.0", {text_message("wamid.num.b3", "smuggled")}),
         change_with_id("2.002e3", {text_message("wamid.num.b4", "smuggled")})}}});
  auto r3 = svc.post(float_id, std::string("secret-a"));
  REQUIRE(r3);
  CHECK(r3->status == 200);
  CHECK(svc.count("SELECT count(*) FROM messages WHERE phone_number_id = '2002'") == 0);
  CHECK(svc.count("SELECT count(*) FROM messages WHERE wamid LIKE 'wamid.num.b%'") == 0);
  CHECK(svc.count("SELECT count(*) FROM messages WHERE wamid = 'wamid.num.a3' AND "
                  "phone_number_id = '1001'") == 1);

  // A's number as a JSON number is A's number: stored under its canonical text.
  auto own = webhook_payload_json(
      {{"111", {change_with_id("1001", {text_message("wamid.num.a4", "mine")})}}});
  auto r4 = svc.post(own, std::string("secret-a"));
  REQUIRE(r4);
  CHECK(r4->status == 200);
  CHECK(svc.count("SELECT count(*) FROM messages WHERE wamid = 'wamid.num.a4' AND "
                  "phone_number_id = '1001'") == 1);

  // B's WABA id (as a JSON number) on an entry signed by A: refused, so A cannot update B's
  // templates either.
  auto template_for_b =
      R"({"object":"whatsapp_business_account","entry":[{"id":222,"time":1,"changes":[)"
      R"({"value":{"event":"REJECTED","message_template_id":7,"message_template_name":"t",)"
      R"("message_template_language":"en_US","reason":"NONE"},)"
      R"("field":"message_template_status_update"}]}]})";
  auto r5 = svc.post(template_for_b, std::string("secret-a"));
  REQUIRE(r5);
  CHECK(r5->status == 404);
  CHECK(svc.count("SELECT count(*) FROM templates") == 0);
  auto r6 = svc.post(template_for_b, std::string("secret-b"));
  REQUIRE(r6);
  CHECK(r6->status == 200);
  CHECK(svc.count("SELECT count(*) FROM phone_numbers") == 2);
}

TEST_CASE("An unknown number sent as a JSON number is refused and creates no rows",
          "[hardening][accounts]") {
  webhook_process svc;
  REQUIRE(svc.started());
  const auto numbers = svc.count("SELECT count(*) FROM phone_numbers");
  const auto accounts = svc.count("SELECT count(*) FROM accounts");
  auto body = webhook_payload_json(
      {{"102290129340398", {change_with_id("999999", {text_message("wamid.unk.1", "hi")})}}});
  auto r = svc.post(body);
  REQUIRE(r);
  CHECK(r->status == 404);
  CHECK(svc.count("SELECT count(*) FROM messages") == 0);
  CHECK(svc.count("SELECT count(*) FROM phone_numbers") == numbers);
  CHECK(svc.count("SELECT count(*) FROM accounts") == accounts);
  CHECK(svc.count("SELECT count(*) FROM phone_numbers WHERE phone_number_id = '999999'") == 0);
}

TEST_CASE("Messages without a usable id and changes without a usable number are only logged",
          "[hardening][accounts]") {
  webhook_process svc;
  REQUIRE(svc.started());
  const std::string number = default_phone_number_id;
  const auto numbers = svc.count("SELECT count(*) FROM phone_numbers");
  auto bad_id = [](const std::string& id_member) {
    return R"({"from":"16505551234",)" + id_member +
           R"("timestamp":"1749416383","type":"text","text":{"body":"bad id"}})";
  };
  // Ids that are null, an array, a number, empty or missing; one good message among them.
  auto body = webhook_payload_json(
      {{"102290129340398",
        {change_with_id("\"" + number + "\"",
                        {bad_id(R"("id":null,)"), bad_id(R"("id":["x"],)"), bad_id(R"("id":5,)"),
                         bad_id(R"("id":"",)"), bad_id(""), text_message("wamid.good.1", "good")},
                        {R"({"id":null,"status":"read","timestamp":"1","recipient_id":"1"})"})}}});
  auto r = svc.post(body);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(svc.count("SELECT count(*) FROM messages") == 1);
  CHECK(svc.count("SELECT count(*) FROM messages WHERE wamid = 'wamid.good.1'") == 1);
  CHECK(svc.count("SELECT count(*) FROM message_status_events") == 0);
  CHECK(svc.count("SELECT count(*) FROM webhook_log WHERE http_status = 200") == 1);
  CHECK(svc.count("SELECT count(*) FROM webhook_log WHERE notes LIKE '%messages[0]: id%' AND "
                  "notes LIKE '%messages[4]: id%' AND notes NOT LIKE '%messages[5]%'") == 1);

  // Metadata that is no object, a number id that is not digits, an id that is missing: those
  // changes are skipped, no number is created, the body is logged with the reasons.
  auto no_number = webhook_payload_json(
      {{"102290129340398",
        {R"({"value":{"messaging_product":"whatsapp","metadata":"x","messages":[)" +
             text_message("wamid.meta.1", "hi") + R"(]},"field":"messages"})",
         change_with_id(R"("12ab")", {text_message("wamid.meta.2", "hi")}),
         change_with_id("null", {text_message("wamid.meta.3", "hi")})}}});
  auto r2 = svc.post(no_number);
  REQUIRE(r2);
  CHECK(r2->status == 200);
  CHECK(svc.count("SELECT count(*) FROM messages WHERE wamid LIKE 'wamid.meta.%'") == 0);
  CHECK(svc.count("SELECT count(*) FROM phone_numbers") == numbers);
  CHECK(svc.count("SELECT count(*) FROM phone_numbers WHERE phone_number_id = ''") == 0);
  CHECK(svc.count("SELECT count(*) FROM webhook_log WHERE notes LIKE "
                  "'%changes[0]: metadata.phone_number_id%'") == 1);
  CHECK(svc.count("SELECT count(*) FROM webhook_log") == 2);
}

TEST_CASE("A status signed by one account never changes another account's message",
          "[hardening][accounts]") {
  temp_dir dir;
  webhook_process svc({}, {"--config", two_accounts_config(dir), "--no-media"});
  REQUIRE(svc.started());
  const auto b_message = store_sent(svc.db_path(), "2002", "222", "wamid.out.b");
  const std::string b_status =
      "SELECT count(*) FROM messages WHERE id = " + std::to_string(b_message) + " AND status = ";

  // A signs statuses for B's wamid under its own number: acknowledged (the body is A's), but
  // B's message does not move, nothing is recorded for it, nothing is forwarded.
  auto forged = webhook_payload_json({{"111",
                                       {change_with_id(R"("1001")", {},
                                                       {status_item("wamid.out.b", "failed"),
                                                        status_item("wamid.out.b", "read")})}}});
  auto r = svc.post(forged, std::string("secret-a"));
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(svc.count(b_status + "'sent'") == 1);
  CHECK(svc.count("SELECT count(*) FROM message_status_events") == 0);
  CHECK(svc.count("SELECT count(*) FROM webhook_log WHERE notes LIKE '%another number%'") == 1);

  // B's own statuses still apply: A's forgeries did not use up their idempotency keys.
  auto genuine = webhook_payload_json(
      {{"222", {change_with_id(R"("2002")", {}, {status_item("wamid.out.b", "read")})}}});
  auto r2 = svc.post(genuine, std::string("secret-b"));
  REQUIRE(r2);
  CHECK(r2->status == 200);
  CHECK(svc.count(b_status + "'read'") == 1);
  CHECK(svc.count("SELECT count(*) FROM message_status_events WHERE wamid = 'wamid.out.b' AND "
                  "applied = 1 AND phone_number_id = '2002'") == 1);

  // A status for a wamid not stored yet is kept under its own number and adopted only by a
  // message of that number.
  auto early = webhook_payload_json(
      {{"111", {change_with_id(R"("1001")", {}, {status_item("wamid.later.b", "failed")})}}});
  auto r3 = svc.post(early, std::string("secret-a"));
  REQUIRE(r3);
  CHECK(r3->status == 200);
  const auto later = store_sent(svc.db_path(), "2002", "222", "wamid.later.b");
  CHECK(svc.count("SELECT count(*) FROM messages WHERE id = " + std::to_string(later) +
                  " AND status = 'sent'") == 1);
}

TEST_CASE("An unsigned or forged 4 MiB body is refused before it is parsed",
          "[hardening][accounts]") {
  webhook_process svc;
  REQUIRE(svc.started());
  // Valid JSON carrying an unknown number: were it parsed before the signature check, it would
  // be refused as an unknown number; checked first, it is refused as unsigned.
  std::string text(4 * 1024 * 1024 - 1024, 'a');
  auto big = webhook_payload_json(
      {{"102290129340398", {change_with_id("\"999999\"", {text_message("wamid.big", text)})}}});
  REQUIRE(big.size() < 4 * 1024 * 1024);
  auto forged = svc.post(big, std::string("not-the-secret"));
  REQUIRE(forged);
  CHECK(forged->status == 404);
  auto unsigned_body = svc.post(big, std::nullopt);
  REQUIRE(unsigned_body);
  CHECK(unsigned_body->status == 404);
  // Invalid JSON of the same size, forged: refused the same way, never kept.
  std::string numbers = "[" + std::string(4 * 1024 * 1024 - 16, '0');
  for (std::size_t i = 2; i < numbers.size(); i += 2) numbers[i] = ',';
  auto garbage = svc.post(numbers, std::string("not-the-secret"));
  REQUIRE(garbage);
  CHECK(garbage->status == 404);

  const auto log = svc.log();
  CHECK(log.find("signature=unknown_number") == std::string::npos);
  CHECK(log.find("signature=missing") != std::string::npos);
  CHECK(svc.count("SELECT count(*) FROM webhook_log") == 0);
  auto m = svc.get("/metrics");
  REQUIRE(m);
  CHECK(metric(m->body, "pons_webhook_signature_failures_total") == 3);
  CHECK(metric(m->body, "pons_webhook_parses_total{signature=\"unverified\"}") == 0);
  CHECK(metric(m->body, "pons_webhook_parses_total{signature=\"verified\"}") == 0);

  // A signed body is parsed once, after its signature.
  auto ok = svc.post(payload({text_message("wamid.small", "hi")}));
  REQUIRE(ok);
  CHECK(ok->status == 200);
  auto m2 = svc.get("/metrics");
  REQUIRE(m2);
  CHECK(metric(m2->body, "pons_webhook_parses_total{signature=\"verified\"}") == 1);
  CHECK(metric(m2->body, "pons_webhook_parses_total{signature=\"unverified\"}") == 0);
}

TEST_CASE("With many app secrets the hinted one verifies before parsing, others parse in budget",
          "[hardening][accounts]") {
  // Nine accounts, each with its own secret: more than the service tries blindly before parsing.
  temp_dir dir;
  std::string accounts;
  for (int i = 1; i <= 9; ++i) {
    accounts += std::string(i > 1 ? "," : "") + R"({"waba_id":"90)" + std::to_string(i) +
                R"(","app_secret":"secret-)" + std::to_string(i) + R"(","verify_token":"t)" +
                std::to_string(i) + R"(","phone_numbers":["900)" + std::to_string(i) + R"("]})";
  }
  auto cfg = dir.file("accounts.json");
  write_text_file(cfg, R"({"accounts":[)" + accounts + "]}", 0600);
  webhook_process svc({}, {"--config", cfg, "--no-media"});
  REQUIRE(svc.started());

  // The number in the body says whose secret to try: verified without a blind parse.
  auto for_9 = webhook_payload_json(
      {{"909", {change_with_id(R"("9009")", {text_message("wamid.many.9", "hi")})}}});
  auto r = svc.post(for_9, std::string("secret-9"));
  REQUIRE(r);
  CHECK(r->status == 200);
  // No number: the entry's WABA id says whose secret to try.
  auto template_5 =
      R"({"object":"whatsapp_business_account","entry":[{"id":"905","time":1,"changes":[)"
      R"({"value":{"event":"APPROVED","message_template_id":5,"message_template_name":"t5",)"
      R"("message_template_language":"en_US","reason":"NONE"},)"
      R"("field":"message_template_status_update"}]}]})";
  auto r2 = svc.post(template_5, std::string("secret-5"));
  REQUIRE(r2);
  CHECK(r2->status == 200);
  auto m = svc.get("/metrics");
  REQUIRE(m);
  CHECK(metric(m->body, "pons_webhook_parses_total{signature=\"verified\"}") == 2);
  CHECK(metric(m->body, "pons_webhook_parses_total{signature=\"unverified\"}") == 0);

  // Signed with another account's secret than its number's: the hint fails, the body is parsed
  // within the unverified budget, found to be 3's, and refused.
  auto forged = webhook_payload_json(
      {{"903", {change_with_id(R"("9003")", {text_message("wamid.many.3", "hi")})}}});
  auto r3 = svc.post(forged, std::string("secret-4"));
  REQUIRE(r3);
  CHECK(r3->status == 404);
  auto m2 = svc.get("/metrics");
  REQUIRE(m2);
  CHECK(metric(m2->body, "pons_webhook_parses_total{signature=\"unverified\"}") == 1);
  CHECK(svc.count("SELECT count(*) FROM messages WHERE wamid = 'wamid.many.3'") == 0);
  CHECK(svc.count("SELECT count(*) FROM messages WHERE wamid = 'wamid.many.9'") == 1);
}
