// pons-webhook's media worker downloads inbound media from the fake Graph API: the URL lookup
// and the download carry the token, the file is stored content-addressed with Meta's sha256.

#include <openssl/evp.h>

#include <catch2/catch.hpp>
#include <thread>

#include "integration/graph_harness.hpp"
#include "pons/meta/graph_client.hpp"
#include "pons/store/database.hpp"
#include "pons/store/media_repository.hpp"
#include "support/webhook_process.hpp"

using namespace pons;
namespace json = boost::json;
namespace gt = pons::graph_test;

namespace {
constexpr const char* pnid = "106540352242922";
constexpr const char* waba = "102290129340398";
constexpr const char* secret = "graph-media-app-secret";
constexpr const char* user = "16505551234";
}  // namespace

TEST_CASE("media: pons-webhook downloads an inbound image from the fake and stores it",
          "[graph][media]") {
  gt::temp_dir dir;
  gt::fake_graph_process fake(dir, {"--app-secret", secret});
  test::webhook_process webhook(
      {std::string("WA_APP_SECRET=") + secret, std::string("WA_PHONE_NUMBER_ID=") + pnid,
       std::string("WA_WABA_ID=") + waba, "WA_WEBHOOK_VERIFY_TOKEN=v",
       "WA_ACCESS_TOKEN=" + fake.token(), "WA_GRAPH_BASE_URL=" + fake.base_url()});
  REQUIRE(webhook.started());
  fake.control("POST", "/_fake/config",
               json::serialize(json::object{
                   {"webhook_url",
                    "http://127.0.0.1:" + std::to_string(webhook.port()) + "/webhook/meta"}}));
  std::string bytes(20000, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7 % 251);
  std::string b64(((bytes.size() + 2) / 3) * 4 + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  b64.resize(static_cast<std::size_t>(n));
  auto res = fake.control(
      "POST", "/_fake/inbound",
      json::serialize(json::object{
          {"from", user},
          {"phone_number_id", pnid},
          {"image", json::object{{"mime_type", "image/jpeg"}, {"data_base64", b64}}}}));
  REQUIRE(res.at("webhook_statuses").at(0) == 200);
  std::string media_id(res.at("media_id").as_string());
  std::string sha_hex(res.at("sha256").as_string());
  REQUIRE(sha_hex == meta::sha256_hex(bytes));

  auto db = store::database::open(webhook.db_path());
  REQUIRE(db.has_value());
  std::optional<store::media_record> done;
  for (int i = 0; i < 200 && !done; ++i) {
    auto m = store::find_media(*db, media_id);
    REQUIRE(m.has_value());
    if (*m && (*m)->state == "done") done = **m;
    if (!done) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  REQUIRE(done.has_value());
  CHECK(done->sha256 == sha_hex);
  CHECK(gt::read_file(done->path) == bytes);
  // The fake saw the media lookup and the download, both with the token.
  std::size_t lookups = 0, downloads = 0;
  for (const auto& r : fake.requests()) {
    std::string path(r.at("path").as_string());
    if (path == "/v26.0/" + media_id) ++lookups;
    if (path == "/whatsapp_business/attachments/") ++downloads;
    if (path == "/v26.0/" + media_id || path == "/whatsapp_business/attachments/") {
      CHECK(r.at("auth") == "ok");
    }
  }
  CHECK(lookups == 1);
  CHECK(downloads == 1);
}
