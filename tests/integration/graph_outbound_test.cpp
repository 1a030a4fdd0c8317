// The outbound flow end to end: the fake Graph API plays Meta (and the user, through signed
// webhooks into the real pons-webhook), the outbound sender writes the same database.

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <catch2/catch.hpp>

#include "integration/graph_harness.hpp"
#include "pons/outbound/sender.hpp"
#include "pons/store/contact_repository.hpp"
#include "pons/store/conversation_repository.hpp"
#include "pons/store/database.hpp"
#include "pons/store/message_repository.hpp"
#include "support/webhook_process.hpp"

using namespace pons;
namespace json = boost::json;
namespace gt = pons::graph_test;

namespace {

constexpr const char* pnid = "106540352242922";
constexpr const char* waba = "102290129340398";
constexpr const char* secret = "graph-test-app-secret";
constexpr const char* user = "16505551234";

// The fake (as Meta) wired to a real pons-webhook (as our ingress) and a sender on the same db.
struct world {
  gt::temp_dir dir;
  gt::fake_graph_process fake{dir, {"--app-secret", secret}};
  test::webhook_process webhook{
      {std::string("WA_APP_SECRET=") + secret, std::string("WA_PHONE_NUMBER_ID=") + pnid,
       std::string("WA_WABA_ID=") + waba, "WA_WEBHOOK_VERIFY_TOKEN=verify",
       "WA_ACCESS_TOKEN=" + fake.token(), "WA_GRAPH_BASE_URL=" + fake.base_url()},
      {"--no-media"}};
  std::optional<store::database> db;
  std::vector<std::chrono::milliseconds> waits;
  std::unique_ptr<meta::graph_client> graph;
  meta::send_pacer pacer;

  explicit world(meta::pacing_config pacing = {}) : pacer(pacing) {
    REQUIRE(webhook.started());
    fake.control("POST", "/_fake/config",
                 json::serialize(json::object{
                     {"webhook_url",
                      "http://127.0.0.1:" + std::to_string(webhook.port()) + "/webhook/meta"}}));
    auto opened = store::database::open(webhook.db_path());
    REQUIRE(opened.has_value());
    db.emplace(std::move(*opened));
    meta::graph_config c;
    c.base_url = fake.base_url();
    c.access_token = fake.token();
    c.backoff_base = std::chrono::milliseconds(10);
    c.backoff_cap = std::chrono::milliseconds(40);
    graph = std::make_unique<meta::graph_client>(c);
  }

  outbound::outbound_sender sender(outbound::outbound_config config = {}) {
    return outbound::outbound_sender(*db, *graph, pacer, config, nullptr,
                                     [this](std::chrono::milliseconds d) { waits.push_back(d); });
  }

  // The user writes to us: opens the 24-hour window. Returns the inbound wamid.
  std::string user_writes(const std::string& from, const std::string& text) {
    auto res = fake.control(
        "POST", "/_fake/inbound",
        json::serialize(json::object{{"from", from}, {"text", text}, {"phone_number_id", pnid}}));
    REQUIRE(res.at("webhook_statuses").as_array().size() == 1);
    REQUIRE(res.at("webhook_statuses").at(0) == 200);
    return std::string(res.at("wamid").as_string());
  }

  store::message_record row(std::int64_t id) {
    auto m = store::get_message(*db, id);
    REQUIRE(m.has_value());
    REQUIRE(m->has_value());
    return **m;
  }

  std::size_t message_posts() {
    std::size_t n = 0;
    for (const auto& r : fake.requests()) {
      if (r.at("path").as_string() == std::string("/v26.0/") + pnid + "/messages" &&
          !r.at("json").as_object().contains("status")) {
        ++n;
      }
    }
    return n;
  }
};

outbound::send_request text_request(std::string to, std::string body) {
  outbound::send_request r;
  r.phone_number_id = pnid;
  r.waba_id = waba;
  r.message = meta::outgoing_message{meta::recipient{std::move(to), ""},
                                     meta::text_message{std::move(body), false}, ""};
  return r;
}

std::string base64_of_sha256(std::string_view bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  unsigned char out[64];
  int n = EVP_EncodeBlock(out, digest, sizeof digest);
  return std::string(reinterpret_cast<char*>(out), static_cast<std::size_t>(n));
}

}  // namespace

TEST_CASE("outbound: happy path row is sent with the fake's wamid, statuses follow",
          "[graph][outbound]") {
  world w;
  w.user_writes(user, "Hi, is my order ready?");
  auto sender = w.sender();
  auto out = sender.send(text_request("+1 650-555-1234", "Yes, it ships today."));
  REQUIRE(out.has_value());
  CHECK(out->state == outbound::send_state::sent);
  REQUIRE(out->wamid.rfind("wamid.", 0) == 0);
  auto row = w.row(out->message_id);
  CHECK(row.status == "sent");
  CHECK(row.wamid == out->wamid);
  CHECK(row.direction == "outbound");
  CHECK(row.text == "Yes, it ships today.");
  CHECK(row.contact_wa_id == user);
  // The fake saw exactly that request, to the number in Meta's form.
  auto requests = w.fake.requests();
  CHECK(requests.back().at("json").at("to") == user);

  // Meta reports delivery and reading: the row moves forward through the real webhook.
  auto delivered =
      w.fake.control("POST", "/_fake/deliver-statuses",
                     json::serialize(json::object{{"wamid", out->wamid},
                                                  {"statuses", {"sent", "delivered", "read"}}}));
  for (const auto& s : delivered.at("webhook_statuses").as_array()) CHECK(s == 200);
  CHECK(w.row(out->message_id).status == "read");
}

TEST_CASE("outbound: 131047 from Meta is a typed error and the row fails with its code",
          "[graph][outbound]") {
  world w;
  w.user_writes(user, "hello");
  w.fake.control("POST", "/_fake/inject",
                 json::serialize(json::object{{"code", 131047}, {"recipient", user}}));
  auto sender = w.sender();
  auto out = sender.send(text_request(user, "A reply Meta refuses"));
  REQUIRE(out.has_value());
  CHECK(out->state == outbound::send_state::failed);
  REQUIRE(out->error.has_value());
  CHECK(out->error->code == domain::meta_errc::reengagement_required);
  CHECK(out->error_code == 131047);
  CHECK(out->explanation.find("template") != std::string::npos);
  auto row = w.row(out->message_id);
  CHECK(row.status == "failed");
  REQUIRE(row.error_code.has_value());
  CHECK(*row.error_code == 131047);
  CHECK_FALSE(row.error_title.empty());
  CHECK(w.message_posts() == 1);
}

TEST_CASE("outbound: a 5xx then success gives one sent row and two requests", "[graph][outbound]") {
  world w;
  w.user_writes(user, "hello");
  w.fake.control("DELETE", "/_fake/requests");
  w.fake.control("POST", "/_fake/inject", R"({"http_status": 503, "times": 1})");
  auto sender = w.sender();
  auto out = sender.send(text_request(user, "Second time lucky"));
  REQUIRE(out.has_value());
  CHECK(out->state == outbound::send_state::sent);
  CHECK(w.message_posts() == 2);
  auto count = w.db->query_int64("SELECT count(*) FROM messages WHERE direction = 'outbound'");
  REQUIRE(count.has_value());
  CHECK(*count == 1);
  CHECK(w.row(out->message_id).status == "sent");
}

TEST_CASE("outbound: mark_read calls the fake and updates the inbound rows", "[graph][outbound]") {
  world w;
  auto first = w.user_writes(user, "one");
  auto second = w.user_writes(user, "two");
  auto sender = w.sender();
  auto done = sender.mark_read(pnid, second, true);
  REQUIRE(done.has_value());
  auto marks = w.fake.control("GET", "/_fake/read-marks").at("message_ids").as_array();
  REQUIRE(marks.size() == 1);
  CHECK(marks[0].as_string() == second);
  for (const auto& wamid : {first, second}) {
    auto m = store::find_message_by_wamid(*w.db, wamid);
    REQUIRE(m.has_value());
    REQUIRE(m->has_value());
    CHECK((*m)->status == "read");
  }
  auto m = store::find_message_by_wamid(*w.db, second);
  auto conv = store::get_conversation(*w.db, (*m)->conversation_id);
  REQUIRE(conv.has_value());
  REQUIRE(conv->has_value());
  CHECK((*conv)->unread_count == 0);
}

TEST_CASE("outbound: a closed window returns 131047 and the approved templates, no call",
          "[graph][outbound]") {
  world w;
  auto sender = w.sender();
  auto synced = sender.sync_templates(waba);
  REQUIRE(synced.has_value());
  CHECK(synced->templates == 5);
  CHECK(synced->approved == 4);

  auto out = sender.send(text_request("+44 7700 900123", "Hello out of the blue"));
  REQUIRE(out.has_value());
  CHECK(out->state == outbound::send_state::window_closed);
  CHECK(out->error_code == 131047);
  CHECK(out->message_id == 0);
  CHECK(out->templates.size() == 4);
  CHECK(out->explanation.find("hello_world") != std::string::npos);
  CHECK(out->explanation.find("summer_launch") == std::string::npos);  // rejected
  CHECK(w.message_posts() == 0);

  // A template goes through outside the window.
  auto tpl = text_request("+44 7700 900123", "");
  tpl.message.content = meta::template_message{"hello_world", "en_US", {}};
  auto sent = sender.send(tpl);
  REQUIRE(sent.has_value());
  CHECK(sent->state == outbound::send_state::sent);
  CHECK(w.message_posts() == 1);
}

TEST_CASE("outbound: the same idempotency key sends once and returns the first result",
          "[graph][outbound]") {
  world w;
  w.user_writes(user, "hello");
  auto sender = w.sender();
  auto req = text_request(user, "Only once please");
  req.idempotency_key = "client-key-42";
  auto first = sender.send(req);
  auto second = sender.send(req);
  REQUIRE(first.has_value());
  REQUIRE(second.has_value());
  CHECK(first->state == outbound::send_state::sent);
  CHECK_FALSE(first->replayed);
  CHECK(second->replayed);
  CHECK(second->wamid == first->wamid);
  CHECK(second->message_id == first->message_id);
  CHECK(w.message_posts() == 1);
}

TEST_CASE("outbound: invalid input writes nothing, dry run records without sending",
          "[graph][outbound]") {
  world w;
  w.user_writes(user, "hello");
  auto sender = w.sender();
  auto bad_number = sender.send(text_request("not a number", "x"));
  REQUIRE(bad_number.has_value());
  CHECK(bad_number->state == outbound::send_state::invalid);
  CHECK(bad_number->explanation ==
        "Not sent: The phone number contains letters or symbols; only digits, spaces, - . ( ) / "
        "and one + before the digits are allowed. A valid number is the full international "
        "number, e.g. +44 7700 900123.");
  auto too_long = sender.send(text_request(user, std::string(4097, 'x')));
  REQUIRE(too_long.has_value());
  CHECK(too_long->state == outbound::send_state::invalid);
  CHECK(too_long->explanation.find("4096") != std::string::npos);
  CHECK(too_long->explanation.find("..") == std::string::npos);
  auto count = w.db->query_int64("SELECT count(*) FROM messages WHERE direction = 'outbound'");
  CHECK(*count == 0);

  outbound::outbound_config dry;
  dry.dry_run = true;
  auto dry_sender = w.sender(dry);
  auto out = dry_sender.send(text_request(user, "Just practising"));
  REQUIRE(out.has_value());
  CHECK(out->state == outbound::send_state::dry_run);
  CHECK(out->message_id != 0);
  CHECK(w.row(out->message_id).text == "Just practising");
  CHECK(w.message_posts() == 0);
}

TEST_CASE("outbound: the per-recipient pace queues, and refuses waits that are too long",
          "[graph][outbound]") {
  meta::pacing_config pacing;
  pacing.recipient_burst = 1;  // one message, then one every 6 s
  world w(pacing);
  w.user_writes(user, "hello");
  outbound::outbound_config config;
  config.max_queue_wait = std::chrono::seconds(10);
  auto sender = w.sender(config);
  auto first = sender.send(text_request(user, "one"));
  auto second = sender.send(text_request(user, "two"));
  REQUIRE(first.has_value());
  REQUIRE(second.has_value());
  CHECK(first->waited.count() == 0);
  CHECK(second->state == outbound::send_state::sent);
  CHECK(second->waited > std::chrono::milliseconds(5000));
  CHECK(second->waited <= std::chrono::milliseconds(6000));
  REQUIRE(w.waits.size() == 1);

  // A third right away would wait ~12 s: more than allowed, so it fails as 131056 unsent.
  config.max_queue_wait = std::chrono::seconds(8);
  auto impatient = w.sender(config);
  auto third = impatient.send(text_request(user, "three"));
  REQUIRE(third.has_value());
  CHECK(third->state == outbound::send_state::failed);
  CHECK(third->error_code == 131056);
  CHECK(w.row(third->message_id).status == "failed");
  CHECK(w.message_posts() == 2);
}

TEST_CASE("outbound: two processes sending from one number share its pace", "[graph][outbound]") {
  meta::pacing_config pacing;
  pacing.number_burst = 2;
  pacing.number_rate = 1.0 / 60;  // two at once, then one a minute
  world w(pacing);
  for (const char* u : {"16505550101", "16505550102", "16505550103"}) w.user_writes(u, "hi");
  outbound::outbound_config config;
  config.max_queue_wait = std::chrono::minutes(2);
  auto here = w.sender(config);
  // The other process: its own connection, Graph client and recipient pacer.
  auto other_db = store::database::open(w.webhook.db_path()).value();
  meta::send_pacer other_pacer(pacing);
  std::vector<std::chrono::milliseconds> other_waits;
  outbound::outbound_sender there(other_db, *w.graph, other_pacer, config, nullptr,
                                  [&](std::chrono::milliseconds d) { other_waits.push_back(d); });

  auto first = here.send(text_request("16505550101", "one"));
  auto second = there.send(text_request("16505550102", "two"));
  auto third = here.send(text_request("16505550103", "three"));
  REQUIRE(first.has_value());
  REQUIRE(second.has_value());
  REQUIRE(third.has_value());
  CHECK(first->waited.count() == 0);
  CHECK(second->waited.count() == 0);
  // Three different recipients: only the number's pace, counted across both, holds the third.
  CHECK(third->state == outbound::send_state::sent);
  CHECK(third->waited > std::chrono::seconds(50));
  CHECK(third->waited <= std::chrono::seconds(60));
  CHECK(other_waits.empty());
  REQUIRE(w.waits.size() == 1);
  CHECK(w.message_posts() == 3);
}

TEST_CASE("outbound: an inbound image is downloadable with a matching sha256",
          "[graph][outbound][media]") {
  world w;
  std::string bytes = "\x89PNG\r\n\x1a\n fake image payload for the media test";
  unsigned char b64[256];
  int n = EVP_EncodeBlock(b64, reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  auto res = w.fake.control(
      "POST", "/_fake/inbound",
      json::serialize(json::object{
          {"from", user},
          {"phone_number_id", pnid},
          {"image", json::object{{"mime_type", "image/png"},
                                 {"caption", "my receipt"},
                                 {"data_base64", std::string(reinterpret_cast<char*>(b64), n)}}}}));
  REQUIRE(res.at("webhook_statuses").at(0) == 200);
  auto stored = store::find_message_by_wamid(*w.db, std::string(res.at("wamid").as_string()));
  REQUIRE(stored.has_value());
  REQUIRE(stored->has_value());
  const auto& m = **stored;
  CHECK(m.type == "image");
  CHECK(m.media_caption == "my receipt");
  REQUIRE_FALSE(m.media_id.empty());
  // The webhook carries Meta's base64 sha256; the download must hash to the same digest.
  CHECK(m.media_sha256 == base64_of_sha256(bytes));

  auto info = w.graph->get_media(m.media_id);
  REQUIRE(info.has_value());
  auto downloaded = w.graph->download_media(*info);
  REQUIRE(downloaded.has_value());
  CHECK(*downloaded == bytes);
  CHECK(base64_of_sha256(*downloaded) == m.media_sha256);
  CHECK(meta::sha256_hex(*downloaded) == std::string(res.at("sha256").as_string()));
}
