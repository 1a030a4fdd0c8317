// The Graph API client against the fake Graph API: sends, typed errors, retries and their
// limit, token hygiene, mark read, media upload/download and template paging, over HTTP and
// verified TLS.

#include "pons/meta/graph_client.hpp"

#include <catch2/catch.hpp>
#include <mutex>

#include "integration/graph_harness.hpp"

using namespace pons;
using namespace pons::graph_test;
namespace json = boost::json;

namespace {

struct recorder {
  std::vector<std::string> lines;
  std::vector<std::chrono::milliseconds> waits;
};

meta::graph_config config_for(const fake_graph_process& fake) {
  meta::graph_config c;
  c.base_url = fake.base_url();
  c.access_token = fake.token();
  c.backoff_base = std::chrono::milliseconds(100);
  c.backoff_cap = std::chrono::milliseconds(400);
  c.timeout = std::chrono::seconds(5);
  return c;
}

std::unique_ptr<meta::graph_client> client_for(const meta::graph_config& c, recorder& rec) {
  return std::make_unique<meta::graph_client>(
      c, [&rec](std::string_view line) { rec.lines.emplace_back(line); },
      [&rec](std::chrono::milliseconds d) { rec.waits.push_back(d); });
}

meta::outgoing_message text_to(std::string to, std::string body) {
  return meta::outgoing_message{meta::recipient{std::move(to), ""},
                                meta::text_message{std::move(body), false}, ""};
}

std::size_t count_path(const json::array& requests, std::string_view suffix) {
  std::size_t n = 0;
  for (const auto& r : requests) {
    std::string_view path = r.at("path").as_string();
    if (path.size() >= suffix.size() && path.substr(path.size() - suffix.size()) == suffix) ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("graph client: a text send returns the fake's wamid", "[graph][client]") {
  temp_dir dir;
  fake_graph_process fake(dir, {});
  recorder rec;
  auto client = client_for(config_for(fake), rec);
  auto sent = client->send("106540352242922", text_to("16505551234", "Hello from Pons"));
  REQUIRE(sent.has_value());
  CHECK(sent->wamid.rfind("wamid.", 0) == 0);
  CHECK(sent->wa_id == "16505551234");

  auto requests = fake.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].at("path") == "/v26.0/106540352242922/messages");
  CHECK(requests[0].at("auth") == "ok");
  CHECK(requests[0].at("json").at("text").at("body") == "Hello from Pons");
  CHECK(requests[0].at("json").at("to") == "16505551234");
}

TEST_CASE("graph client: 131047 is a typed, final error (no retry)", "[graph][client]") {
  temp_dir dir;
  fake_graph_process fake(dir, {});
  fake.control("POST", "/_fake/inject", R"({"code": 131047, "recipient": "16505550000"})");
  recorder rec;
  auto client = client_for(config_for(fake), rec);
  auto sent = client->send("1", text_to("16505550000", "late reply"));
  REQUIRE_FALSE(sent.has_value());
  CHECK(sent.error().code == domain::meta_errc::reengagement_required);
  CHECK(sent.error().meta_code() == 131047);
  CHECK_FALSE(sent.error().retryable());
  CHECK(sent.error().attempts == 1);
  CHECK(rec.waits.empty());
  CHECK(fake.requests().size() == 1);
  CHECK(sent.error().explain().find("24") != std::string::npos);

  // Other recipients are not affected by the injection.
  CHECK(client->send("1", text_to("16505551234", "hi")).has_value());
}

TEST_CASE("graph client: a 5xx once then success is retried once", "[graph][client]") {
  temp_dir dir;
  fake_graph_process fake(dir, {});
  fake.control("POST", "/_fake/inject", R"({"http_status": 500, "times": 1})");
  recorder rec;
  auto client = client_for(config_for(fake), rec);
  auto sent = client->send("1", text_to("16505551234", "retry me"));
  REQUIRE(sent.has_value());
  CHECK(fake.requests().size() == 2);
  REQUIRE(rec.waits.size() == 1);
  CHECK(rec.waits[0] >= std::chrono::milliseconds(50));
  CHECK(rec.waits[0] <= std::chrono::milliseconds(100));
}

TEST_CASE("graph client: retries stop at the limit with growing, capped backoff",
          "[graph][client]") {
  temp_dir dir;
  fake_graph_process fake(dir, {});
  fake.control("POST", "/_fake/inject", R"({"code": 130429})");
  recorder rec;
  auto config = config_for(fake);
  auto client = client_for(config, rec);
  auto sent = client->send("1", text_to("16505551234", "throttled"));
  REQUIRE_FALSE(sent.has_value());
  CHECK(sent.error().code == domain::meta_errc::rate_limit_hit);
  CHECK(sent.error().retryable());
  CHECK(sent.error().attempts == 4);
  CHECK(fake.requests().size() == 4);
  REQUIRE(rec.waits.size() == 3);
  // Exponential (100, 200, 400 ms) with up to half of each randomised, capped at 400 ms.
  CHECK(rec.waits[0] >= std::chrono::milliseconds(50));
  CHECK(rec.waits[0] <= std::chrono::milliseconds(100));
  CHECK(rec.waits[1] >= std::chrono::milliseconds(100));
  CHECK(rec.waits[1] <= std::chrono::milliseconds(200));
  CHECK(rec.waits[2] >= std::chrono::milliseconds(200));
  CHECK(rec.waits[2] <= std::chrono::milliseconds(400));

  // 131056 (pair rate limit) is retried too; 100 is not.
  fake.control("DELETE", "/_fake/inject");
  fake.control("POST", "/_fake/inject", R"({"code": 131056, "times": 2})");
  rec.waits.clear();
  CHECK(client->send("1", text_to("16505551234", "paced")).has_value());
  CHECK(rec.waits.size() == 2);
  fake.control("POST", "/_fake/inject", R"({"code": 100, "times": 1})");
  rec.waits.clear();
  auto invalid = client->send("1", text_to("16505551234", "bad"));
  REQUIRE_FALSE(invalid.has_value());
  CHECK(invalid.error().meta_code() == 100);
  CHECK(rec.waits.empty());
}

TEST_CASE("graph client: the token never appears in logs or errors", "[graph][client]") {
  temp_dir dir;
  fake_graph_process fake(dir, {});
  recorder rec;
  auto config = config_for(fake);
  config.access_token = "EAAG-wrong-SECRET-token-987654321";
  auto client = client_for(config, rec);
  auto sent = client->send("1", text_to("16505551234", "hi"));
  REQUIRE_FALSE(sent.has_value());
  CHECK(sent.error().code == domain::meta_errc::access_token_expired);
  CHECK(sent.error().meta_code() == 190);
  CHECK(sent.error().attempts == 1);  // 190 is final
  auto text = sent.error().explain() + sent.error().meta->message + sent.error().meta->details +
              sent.error().code.message();
  CHECK(text.find(config.access_token) == std::string::npos);
  CHECK(text.find("SECRET") == std::string::npos);
  REQUIRE_FALSE(rec.lines.empty());
  for (const auto& line : rec.lines) CHECK(line.find("SECRET") == std::string::npos);

  // Also with the right token and a failure that goes through retries and a transport error.
  recorder ok_rec;
  auto good = config_for(fake);
  auto ok_client = client_for(good, ok_rec);
  fake.control("POST", "/_fake/inject", R"({"delay_ms": 1500, "times": 4})");
  good.timeout = std::chrono::milliseconds(200);
  auto slow_client = client_for(good, ok_rec);
  auto slow = slow_client->send("1", text_to("16505551234", "hi"));
  REQUIRE_FALSE(slow.has_value());
  CHECK(slow.error().code == http::client_errc::timeout);
  CHECK(slow.error().explain().find(fake.token()) == std::string::npos);
  for (const auto& line : ok_rec.lines) CHECK(line.find(fake.token()) == std::string::npos);
  (void)ok_client;
}

TEST_CASE("graph client: a slow answer times out and the retry succeeds", "[graph][client]") {
  temp_dir dir;
  fake_graph_process fake(dir, {});
  fake.control("POST", "/_fake/inject", R"({"delay_ms": 1500, "times": 1})");
  recorder rec;
  auto config = config_for(fake);
  config.timeout = std::chrono::milliseconds(300);
  auto client = client_for(config, rec);
  auto sent = client->send("1", text_to("16505551234", "eventually"));
  REQUIRE(sent.has_value());
  CHECK(rec.waits.size() == 1);
}

TEST_CASE("graph client: mark read and typing indicator reach the fake", "[graph][client]") {
  temp_dir dir;
  fake_graph_process fake(dir, {});
  recorder rec;
  auto client = client_for(config_for(fake), rec);
  REQUIRE(client->mark_read("1", "wamid.INBOUND1", true).has_value());
  auto marks = fake.control("GET", "/_fake/read-marks").at("message_ids").as_array();
  REQUIRE(marks.size() == 1);
  CHECK(marks[0] == "wamid.INBOUND1");
  auto req = fake.requests().at(0).at("json");
  CHECK(req.at("status") == "read");
  CHECK(req.at("typing_indicator").at("type") == "text");
}

TEST_CASE("graph client: upload a local file, get its URL, download it", "[graph][client][media]") {
  temp_dir dir;
  fake_graph_process fake(dir, {});
  recorder rec;
  auto client = client_for(config_for(fake), rec);
  std::string bytes;
  for (int i = 0; i < 70000; ++i) bytes += static_cast<char>(i * 31 % 256);
  std::ofstream(dir.file("photo.png"), std::ios::binary) << bytes;

  auto id = client->upload_media_file("106540352242922", dir.file("photo.png"), "image/png");
  REQUIRE(id.has_value());
  auto upload = fake.requests().back();
  CHECK(upload.at("path") == "/v26.0/106540352242922/media");
  CHECK(std::string(upload.at("content_type").as_string()).rfind("multipart/form-data", 0) == 0);

  auto info = client->get_media(*id);
  REQUIRE(info.has_value());
  CHECK(info->id == *id);
  CHECK(info->mime_type == "image/png");
  CHECK(info->file_size == bytes.size());
  CHECK(info->sha256 == meta::sha256_hex(bytes));
  auto downloaded = client->download_media(*info);
  REQUIRE(downloaded.has_value());
  CHECK(*downloaded == bytes);

  // A tampered hash is caught.
  auto wrong = *info;
  wrong.sha256 = std::string(64, '0');
  auto refused = client->download_media(wrong);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == meta::graph_errc::integrity_mismatch);

  // Unreadable file.
  auto missing = client->upload_media_file("1", dir.file("nope.png"), "image/png");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code == meta::graph_errc::file_unreadable);
}

TEST_CASE("graph client: media URLs need the token and expire after 5 minutes",
          "[graph][client][media]") {
  temp_dir dir;
  // 600x time: the 5-minute lifetime passes in 0.5 s.
  fake_graph_process fake(dir, {"--time-scale", "600"});
  recorder rec;
  auto client = client_for(config_for(fake), rec);
  auto id = client->upload_media("1", "some bytes", "image/jpeg", "a.jpg");
  REQUIRE(id.has_value());
  auto info = client->get_media(*id);
  REQUIRE(info.has_value());

  auto other_config = config_for(fake);
  other_config.access_token = "another-token";
  other_config.max_retries = 0;
  recorder other_rec;
  auto other = client_for(other_config, other_rec);
  auto unauthorized = other->download_media(*info);
  REQUIRE_FALSE(unauthorized.has_value());
  CHECK(unauthorized.error().meta->http_status == 401);

  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  auto expired = client->download_media(*info);
  REQUIRE_FALSE(expired.has_value());
  CHECK(expired.error().meta->http_status == 404);
  // A fresh URL works again.
  auto fresh = client->get_media(*id);
  REQUIRE(fresh.has_value());
  CHECK(client->download_media(*fresh).has_value());
}

TEST_CASE("graph client: templates are listed page by page with cursors", "[graph][client]") {
  temp_dir dir;
  fake_graph_process fake(dir, {});
  recorder rec;
  auto config = config_for(fake);
  config.template_page_size = 2;
  auto client = client_for(config, rec);
  auto all = client->list_all_templates("102290129340398");
  REQUIRE(all.has_value());
  auto expected = fake.control("GET", "/_fake/templates").at("data").as_array();
  REQUIRE(all->size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CHECK((*all)[i].name == std::string(expected[i].at("name").as_string()));
    CHECK((*all)[i].language == std::string(expected[i].at("language").as_string()));
    CHECK((*all)[i].status == std::string(expected[i].at("status").as_string()));
    CHECK(json::parse((*all)[i].components_json) == expected[i].at("components"));
  }
  auto requests = fake.requests();
  CHECK(count_path(requests, "/message_templates") == (expected.size() + 1) / 2);
  CHECK(std::string(requests[0].at("query").as_string()).find("after=") == std::string::npos);
  CHECK(std::string(requests[1].at("query").as_string()).find("after=") != std::string::npos);
}

TEST_CASE("graph client: a template is created once and deleted by name", "[graph][client]") {
  temp_dir dir;
  fake_graph_process fake(dir, {});
  recorder rec;
  auto client = client_for(config_for(fake), rec);
  auto body = json::parse(R"({"name":"order_shipped","language":"en_US","category":"UTILITY",
    "components":[{"type":"BODY","text":"Your order {{1}} has shipped today.",
                   "example":{"body_text":[["1042"]]}}]})")
                  .as_object();
  auto created = client->create_message_template("102290129340398", body);
  REQUIRE(created.has_value());
  CHECK_FALSE(created->id.empty());
  CHECK(created->status == "PENDING");
  CHECK(created->category == "UTILITY");

  // A second creation is Meta's duplicate refusal, typed by its subcode.
  auto again = client->create_message_template("102290129340398", body);
  REQUIRE_FALSE(again.has_value());
  CHECK(again.error().meta_code() == 100);
  CHECK(again.error().code == domain::meta_errc::template_language_exists);
  CHECK(again.error().explain().find("Content in This Language Already Exists") !=
        std::string::npos);

  // A creation is never retried: a lost answer would come back as that duplicate.
  fake.control("DELETE", "/_fake/requests");
  fake.control("POST", "/_fake/inject", R"({"http_status": 500, "times": 1})");
  body["name"] = "order_delayed";
  auto failed = client->create_message_template("102290129340398", body);
  REQUIRE_FALSE(failed.has_value());
  CHECK(fake.requests().size() == 1);

  // The name travels percent-encoded as one query value: '&' cannot add a parameter.
  fake.control("DELETE", "/_fake/requests");
  auto odd = client->delete_message_template("102290129340398", "x&hsm_id=1");
  REQUIRE_FALSE(odd.has_value());
  CHECK(odd.error().code == domain::meta_errc::template_name_not_found);
  auto requests = fake.requests();
  REQUIRE(requests.size() == 1);
  CHECK(std::string(requests[0].at("query").as_string()) == "name=x%26hsm_id%3D1");

  auto deleted = client->delete_message_template("102290129340398", "order_shipped", created->id);
  REQUIRE(deleted.has_value());
  auto listed = fake.control("GET", "/_fake/templates").at("data").as_array();
  for (const auto& t : listed) CHECK(t.at("name").as_string() != "order_shipped");
}

TEST_CASE("graph client: verified TLS with WA_GRAPH_CA_FILE", "[graph][client][tls]") {
  temp_dir dir;
  auto pki = make_pki(dir);
  fake_graph_process fake(dir, {"--tls-cert", pki.server_cert, "--tls-key", pki.server_key});
  fake.ca_file = pki.ca_cert;
  auto base = fake.base_url();
  auto token = fake.token();
  auto env = [&](const char* name) -> const char* {
    std::string_view n(name);
    if (n == "WA_GRAPH_BASE_URL") return base.c_str();
    if (n == "WA_ACCESS_TOKEN") return token.c_str();
    if (n == "WA_GRAPH_CA_FILE") return pki.ca_cert.c_str();
    if (n == "WA_GRAPH_VERSION") return "v24.0";
    return nullptr;
  };
  auto config = meta::graph_config_from_env(env);
  CHECK(config.version == "v24.0");
  recorder rec;
  auto client = client_for(config, rec);
  auto sent = client->send("1", text_to("16505551234", "over TLS"));
  REQUIRE(sent.has_value());
  CHECK(fake.requests().at(0).at("path") == "/v24.0/1/messages");

  // Without the CA file the same server is refused (and that is not retried).
  config.ca_file.clear();
  recorder rec2;
  auto untrusted = client_for(config, rec2);
  auto refused = untrusted->send("1", text_to("16505551234", "over TLS"));
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == http::client_errc::tls_failed);
}

TEST_CASE("graph client: configuration defaults", "[graph][client]") {
  auto config = meta::graph_config_from_env([](const char*) -> const char* { return nullptr; });
  CHECK(config.base_url == "https://graph.facebook.com");
  CHECK(config.version == meta::default_graph_version);
  CHECK(config.timeout == std::chrono::seconds(30));
  CHECK(config.max_retries == 3);
}

TEST_CASE("fake graph: Meta's request validation answers with Meta's codes", "[graph][fake]") {
  temp_dir dir;
  fake_graph_process fake(dir, {});
  recorder rec;
  auto config = config_for(fake);
  config.max_retries = 0;
  auto client = client_for(config, rec);
  auto code_of = [&](const std::string& body) {
    auto res = client->send_body("1", json::parse(body).as_object());
    REQUIRE_FALSE(res.has_value());
    REQUIRE(res.error().meta.has_value());
    CHECK(res.error().meta->http_status == 400);
    return res.error().meta_code();
  };
  CHECK(code_of(R"({"to":"1","type":"text","text":{"body":"x"}})") == 131008);
  CHECK(code_of(R"({"messaging_product":"whatsapp","type":"text","text":{"body":"x"}})") == 131008);
  CHECK(code_of(R"({"messaging_product":"whatsapp","to":"1","type":"image"})") == 131008);
  CHECK(code_of(R"({"messaging_product":"whatsapp","to":"1","text":{"body":")" +
                std::string(4097, 'x') + R"("}})") == 100);
  CHECK(code_of(R"({"messaging_product":"whatsapp","to":"1","type":"audio",
                    "audio":{"id":"1","caption":"no"}})") == 131009);
  CHECK(code_of(R"({"messaging_product":"whatsapp","to":"1","type":"interactive","interactive":
      {"type":"button","body":{"text":"b"},"action":{"buttons":[
      {"type":"reply","reply":{"id":"1","title":"a"}},{"type":"reply","reply":{"id":"2","title":"b"}},
      {"type":"reply","reply":{"id":"3","title":"c"}},{"type":"reply","reply":{"id":"4","title":"d"}}]}}})") ==
        131009);
  CHECK(code_of(R"({"messaging_product":"whatsapp","to":"1","type":"template",
                    "template":{"name":"no_such_template","language":{"code":"en_US"}}})") ==
        132001);
  CHECK(code_of(R"({"messaging_product":"whatsapp","to":"1","type":"carrier_pigeon",
                    "carrier_pigeon":{}})") == 131051);
  // A valid body without `type` is a text message (Meta's default).
  CHECK(client
            ->send_body("1", json::parse(R"({"messaging_product":"whatsapp","to":"1",
                                               "text":{"body":"hi"}})")
                                 .as_object())
            .has_value());
}

// Not run by ctest: `pons_integration_tests "[.graph-bench]"` prints sends/s over keep-alive.
TEST_CASE("graph client: send throughput against the fake", "[.graph-bench]") {
  temp_dir dir;
  auto pki = make_pki(dir);
  for (bool tls : {false, true}) {
    std::vector<std::string> args;
    if (tls) args = {"--tls-cert", pki.server_cert, "--tls-key", pki.server_key};
    fake_graph_process fake(dir, args);
    auto config = config_for(fake);
    config.ca_file = pki.ca_cert;
    recorder rec;
    auto client = client_for(config, rec);
    const int n = 500;
    auto started = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) {
      REQUIRE(client->send("1", text_to("16505551234", "bench")).has_value());
    }
    auto s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::printf("%s keep-alive: %d sends in %.3f s = %.0f sends/s, %.2f ms each\n",
                tls ? "https" : "http", n, s, n / s, s * 1000 / n);
    // A new client per send (a new connection and, for https, a full handshake each time).
    started = std::chrono::steady_clock::now();
    for (int i = 0; i < n / 5; ++i) {
      auto fresh = client_for(config, rec);
      REQUIRE(fresh->send("1", text_to("16505551234", "bench")).has_value());
    }
    s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::printf("%s new client per send: %.2f ms each\n", tls ? "https" : "http",
                s * 1000 / (n / 5));
  }
}

TEST_CASE("graph client: ids that are not Meta ids are refused before any request",
          "[graph][client]") {
  temp_dir dir;
  fake_graph_process fake(dir, {});
  recorder rec;
  auto client = client_for(config_for(fake), rec);
  const std::vector<std::string> hostile = {"../../../../etc/passwd",
                                            "id\r\nX-Injected: 1",
                                            "123/messages",
                                            "123?fields=x",
                                            "",
                                            "1%2e%2e",
                                            "12 34",
                                            std::string(40, '1')};
  for (const auto& id : hostile) {
    INFO("id: " << id);
    auto media = client->get_media(id);
    REQUIRE_FALSE(media.has_value());
    CHECK_FALSE(media.error().retryable());
    CHECK(media.error().code == meta::graph_errc::invalid_media_id);
    CHECK(media.error().explain().find("media id") != std::string::npos);
    auto sent = client->send(id, text_to("16505551234", "hi"));
    REQUIRE_FALSE(sent.has_value());
    CHECK(sent.error().explain().find("phone number id") != std::string::npos);
    REQUIRE_FALSE(client->mark_read(id, "wamid.X", false).has_value());
    REQUIRE_FALSE(client->upload_media(id, "bytes", "image/jpeg", "a.jpg").has_value());
    auto templates = client->list_templates(id);
    REQUIRE_FALSE(templates.has_value());
    CHECK(templates.error().explain().find("WhatsApp Business Account id") != std::string::npos);
  }
  // None of them reached the Graph API (every call carries the bearer token).
  CHECK(fake.requests().empty());
  // Real ids still work, and the template cursor still travels percent-encoded.
  CHECK(client->send("106540352242922", text_to("16505551234", "hi")).has_value());
  (void)client->list_templates("102290129340398", "a+b/c=");  // the fake refuses the cursor
  auto last = fake.requests().back();
  CHECK(last.at("path") == "/v26.0/102290129340398/message_templates");
  CHECK(std::string(last.at("query").as_string()).find("after=a%2Bb") != std::string::npos);
}
