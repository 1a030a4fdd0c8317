// Attachments from the dashboard's composer on the real pons-webhook: a file POSTed to
// /api/v1/uploads lands in the upload folder under a plain new name, byte for byte, readable by
// its owner only, and send_media takes it by that name (dry run: read and checked, not sent);
// a read-only key, a request without the CSRF token or without a session, and an empty body are
// refused.
#include <sys/stat.h>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "support/dashboard_session.hpp"
#include "support/webhook_payloads.hpp"

namespace json = boost::json;
using pons::test::dashboard;
using pons::test::http_request;
using pons::test::status_of;

namespace {

const std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + "a picture the customer asked for";

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("dashboard attachments: stored in the upload folder and sent by name", "[dashboard]") {
  dashboard d({"--mcp-dry-run"});
  const auto member = d.sign_in("mo@example.com", "member");
  auto stored = d.request("POST", "/api/v1/uploads?filename=..%2F..%2Fphoto%201.png", member.cookie,
                          {{"Content-Type", "image/png"}, {"X-CSRF-Token", member.csrf}}, png);
  REQUIRE(status_of(stored) == 201);
  auto answer = json::parse(stored->body).as_object();
  const std::string name(answer.at("path").as_string());
  CHECK(name.starts_with("dashboard-"));
  CHECK(name.ends_with("-photo1.png"));
  CHECK(answer.at("size") == static_cast<std::int64_t>(png.size()));
  const auto file = std::filesystem::path(d.svc.db_path()).parent_path() / "outbox" / name;
  REQUIRE(std::filesystem::exists(file));
  CHECK(read_file(file) == png);
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  // send_media takes it by its name in the folder; the dry run reads and checks it. The
  // customer wrote first: the window is open.
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  auto wrote = d.svc.post(pons::test::simple_payload(
      pons::test::default_phone_number_id,
      {pons::test::text_message_json("wamid.ATTACH1", "16505551234", "send me the photo", now)}));
  REQUIRE(wrote);
  REQUIRE(wrote->status == 200);
  auto sent = d.post_json(member, "/api/v1/tools/send_media",
                          R"({"to":"+16505551234","kind":"image","path":")" + name + R"("})");
  REQUIRE(sent);
  INFO(sent->body);
  REQUIRE(sent->status == 200);
  CHECK(sent->body.find("dry_run") != std::string::npos);

  // Refused: no CSRF token, no session, an empty body, a key that may only read.
  CHECK(status_of(d.request("POST", "/api/v1/uploads?filename=x.png", member.cookie,
                            {{"Content-Type", "image/png"}}, png)) == 403);
  CHECK(status_of(http_request(d.svc.port(), "POST", "/api/v1/uploads?filename=x.png", png,
                               {{"Content-Type", "image/png"}})) == 401);
  CHECK(status_of(d.request("POST", "/api/v1/uploads?filename=x.png", member.cookie,
                            {{"Content-Type", "image/png"}, {"X-CSRF-Token", member.csrf}}, "")) ==
        400);
  const auto owner = d.sign_in("ana@example.com", "owner");
  auto key = d.post_json(owner, "/api/v1/keys", R"({"name":"reader","scopes":["read"]})");
  REQUIRE(status_of(key) == 201);
  const std::string secret(json::parse(key->body).at("secret").as_string());
  auto refused =
      http_request(d.svc.port(), "POST", "/api/v1/uploads?filename=x.png", png,
                   {{"Content-Type", "image/png"}, {"Authorization", "Bearer " + secret}});
  CHECK(status_of(refused) == 403);
  // Only the one file was written.
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(file.parent_path()))
    ++files;
  CHECK(files == 1);
}
