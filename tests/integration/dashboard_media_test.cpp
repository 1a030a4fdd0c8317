// GET /api/v1/media on the real pons-webhook: a message's stored photo is served as what it is;
// a file that is not a plain image, sound or video only as bytes to download; nothing outside
// the media folder; a file not yet downloaded says so; another account's key sees nothing.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>

#include "pons/store/api_key_repository.hpp"
#include "pons/store/database.hpp"
#include "support/dashboard_session.hpp"
#include "support/webhook_payloads.hpp"

namespace fs = std::filesystem;
using pons::test::cookie_pair;
using pons::test::dashboard;
using pons::test::http_response;
using pons::test::status_of;

namespace {

constexpr std::string_view png_bytes{"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16};

// Four received messages (ids 1-4), each given a media row as the media worker leaves them.
struct inbox_with_media : dashboard {
  inbox_with_media() {
    for (int i = 1; i <= 4; ++i) {
      auto r = svc.post(pons::test::simple_payload(
          pons::test::default_phone_number_id,
          {pons::test::text_message_json("wamid.MEDIA" + std::to_string(i), "16505551234",
                                         "file " + std::to_string(i), std::time(nullptr))}));
      REQUIRE(r);
      REQUIRE(r->status == 200);
    }
    const auto media = fs::path(svc.db_path()).parent_path() / "media";
    fs::create_directories(media);
    std::ofstream(media / "photo.png", std::ios::binary) << png_bytes;
    std::ofstream(media / "page.html") << "<script>alert(document.cookie)</script>";
    auto db = pons::store::database::open(svc.db_path());
    REQUIRE(db.has_value());
    const char* rows[][4] = {{"1", "image/png", "photo.png", "done"},
                             {"2", "text/html", "page.html", "done"},
                             {"3", "image/png", "../pons.db", "done"},
                             {"4", "image/jpeg", "", "queued"}};
    for (const auto& row : rows) {
      REQUIRE(db->exec(fmt::format(
          "INSERT INTO media (message_id, media_id, phone_number_id, mime, path, state, "
          "next_attempt_at, created_at, updated_at) VALUES ({0}, 'media-{0}', '{1}', '{2}', "
          "'{3}', '{4}', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', "
          "'2026-01-01T00:00:00.000Z')",
          row[0], pons::test::default_phone_number_id, row[1], row[2], row[3])));
    }
    cookie = cookie_pair(
        signed_in("mo@example.com", "member", "a long enough password").header("set-cookie"));
  }

  std::optional<http_response> media(const std::string& query, const std::string& as) {
    return request("GET", "/api/v1/media?" + query, as);
  }

  std::string cookie;
};

}  // namespace

TEST_CASE("dashboard media: a photo is served as itself, anything else only as a download",
          "[dashboard][media]") {
  inbox_with_media d;
  auto photo = d.media("message_id=1", d.cookie);
  CHECK(status_of(photo) == 200);
  CHECK(photo->body == png_bytes);
  CHECK(photo->header("content-type") == "image/png");
  CHECK(photo->header("content-disposition") == "inline; filename=\"photo.png\"");
  CHECK(photo->header("x-content-type-options") == "nosniff");
  CHECK(photo->header("content-security-policy").starts_with("sandbox;"));

  // HTML sent as a "document" never becomes a page of this site.
  auto page = d.media("message_id=2", d.cookie);
  CHECK(status_of(page) == 200);
  CHECK(page->header("content-type") == "application/octet-stream");
  CHECK(page->header("content-disposition") == "attachment; filename=\"page.html\"");
}

TEST_CASE("dashboard media: nothing from outside the media folder, and clear refusals",
          "[dashboard][media]") {
  inbox_with_media d;
  auto outside = d.media("message_id=3", d.cookie);
  CHECK(status_of(outside) == 404);
  CHECK(outside->body.find("SQLite") == std::string::npos);
  CHECK(outside->body.find("media folder") != std::string::npos);

  auto queued = d.media("message_id=4", d.cookie);
  CHECK(status_of(queued) == 409);
  CHECK(queued->body.find("not downloaded yet") != std::string::npos);

  CHECK(status_of(d.media("message_id=99", d.cookie)) == 404);
  CHECK(status_of(d.media("message_id=abc", d.cookie)) == 400);
  CHECK(status_of(d.media("message_id=1", "")) == 401);
}

TEST_CASE("dashboard media: a key of another account is told nothing is there",
          "[dashboard][media]") {
  inbox_with_media d;
  auto db = pons::store::database::open(d.svc.db_path());
  REQUIRE(db.has_value());
  REQUIRE(
      db->exec("INSERT INTO accounts (waba_id, created_at, updated_at) VALUES "
               "('999000111222333', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')"));
  auto key_for = [&](std::string waba) {
    pons::store::api_key_spec spec;
    spec.name = "media test";
    spec.scopes = {"read"};
    spec.waba_id = std::move(waba);
    auto made = pons::store::create_api_key(*db, spec, std::chrono::system_clock::now());
    REQUIRE(made.has_value());
    return made->secret;
  };
  const auto elsewhere = key_for("999000111222333");
  const auto here = key_for("102290129340398");
  auto refused = pons::test::http_request(d.svc.port(), "GET", "/api/v1/media?message_id=1", "",
                                          {{"Authorization", "Bearer " + elsewhere}});
  CHECK(status_of(refused) == 404);
  auto allowed = pons::test::http_request(d.svc.port(), "GET", "/api/v1/media?message_id=1", "",
                                          {{"Authorization", "Bearer " + here}});
  CHECK(status_of(allowed) == 200);
}
