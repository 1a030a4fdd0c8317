// pons-webhook keeps the message templates of every configured account in step with Meta: a sync
// at start (in the background), periodically, and when Meta reports a template status change;
// `pons-webhook templates sync` does it by hand. The fake Graph API plays Meta.
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "integration/graph_harness.hpp"
#include "pons/meta/signature.hpp"
#include "support/webhook_process.hpp"

using namespace pons;
namespace json = boost::json;
namespace gt = pons::graph_test;
using namespace std::chrono_literals;

namespace {

constexpr const char* pnid = "106540352242922";
constexpr const char* waba = "102290129340398";  // the fake's WABA and the fixtures' entry id
constexpr const char* secret = "templates-test-app-secret";

// Polls `done` until it holds or a generous deadline passes (the test then fails on it).
template <class Pred>
bool eventually(Pred done, std::chrono::seconds patience = 20s) {
  auto deadline = std::chrono::steady_clock::now() + patience;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return done();
}

std::vector<std::string> env_for(const gt::fake_graph_process& fake) {
  return {std::string("WA_APP_SECRET=") + secret, std::string("WA_PHONE_NUMBER_ID=") + pnid,
          std::string("WA_WABA_ID=") + waba,      "WA_WEBHOOK_VERIFY_TOKEN=verify",
          "WA_ACCESS_TOKEN=" + fake.token(),      "WA_GRAPH_BASE_URL=" + fake.base_url()};
}

std::size_t template_requests(const gt::fake_graph_process& fake) {
  std::size_t n = 0;
  for (const auto& r : fake.requests())
    if (std::string_view(r.at("path").as_string()).find("/message_templates") !=
        std::string_view::npos)
      ++n;
  return n;
}

std::size_t count_of(std::string_view text, std::string_view what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string_view::npos; pos = text.find(what, pos + 1))
    ++n;
  return n;
}

// What `pons-webhook templates ...` printed and how it ended.
struct cli_run {
  int code = -1;
  std::string out;
  std::string err;
};

cli_run run_cli(const test::temp_dir& dir, std::vector<std::string> args,
                std::vector<std::string> env) {
  static int runs = 0;
  auto out = dir.file("cli-" + std::to_string(++runs) + ".out");
  auto err = dir.file("cli-" + std::to_string(runs) + ".err");
  env.push_back("HOME=" + dir.path());
  auto p = test::process::start(PONS_WEBHOOK_BIN, args, std::move(env), out, err);
  cli_run r;
  r.code = p.wait_exit(60s).value_or(-1);
  r.out = test::read_text_file(out);
  r.err = test::read_text_file(err);
  return r;
}

std::string template_json(const std::string& name, const std::string& status,
                          const std::string& body) {
  return json::serialize(
      json::object{{"name", name},
                   {"language", "en_US"},
                   {"status", status},
                   {"category", "UTILITY"},
                   {"id", "77" + std::to_string(name.size())},
                   {"components", json::array{json::object{{"type", "BODY"}, {"text", body}}}}});
}

}  // namespace

TEST_CASE("pons-webhook syncs the configured account's templates at start",
          "[webhook][templates]") {
  gt::temp_dir dir;
  gt::fake_graph_process fake{dir, {"--app-secret", secret}};
  test::webhook_process svc(env_for(fake), {"--no-media"});
  REQUIRE(svc.started());
  // The fake lists five templates (four APPROVED) for the WABA.
  CHECK(eventually([&] { return svc.count("SELECT count(*) FROM templates") == 5; }));
  CHECK(svc.count("SELECT count(*) FROM templates WHERE status = 'APPROVED' AND waba_id = '" +
                  std::string(waba) + "'") == 4);
  CHECK(eventually([&] {
    return svc.count("SELECT count(*) FROM accounts WHERE templates_synced_at <> ''") == 1;
  }));
  CHECK(eventually([&] { return svc.log().find("event=template_sync") != std::string::npos; }));
  auto log = svc.log();
  CHECK(log.find("added=5") != std::string::npos);
}

TEST_CASE("a slow Graph API does not delay the webhook listener", "[webhook][templates]") {
  gt::temp_dir dir;
  gt::fake_graph_process fake{dir, {"--app-secret", secret}};
  // The template list answers only after the test is over.
  fake.control("POST", "/_fake/inject",
               R"({"path":"/message_templates","delay_ms":600000,"times":1})");
  test::webhook_process svc(env_for(fake), {"--no-media"});
  REQUIRE(svc.started());
  // The sync is under way (the fake has the request) ...
  REQUIRE(eventually([&] { return template_requests(fake) == 1; }));
  // ... and webhooks are stored and answered meanwhile.
  auto r = svc.post(test::webhook_fixture("messages/text.json"), secret);
  REQUIRE(r);
  CHECK(r->status == 200);
  auto health = svc.get("/health");
  REQUIRE(health);
  CHECK(health->status == 200);
  CHECK(svc.count("SELECT count(*) FROM messages") == 1);
  CHECK(svc.count("SELECT count(*) FROM templates") == 0);
}

TEST_CASE("a failing template sync is logged once with the reason and retried on the next period",
          "[webhook][templates]") {
  gt::temp_dir dir;
  gt::fake_graph_process fake{dir, {"--app-secret", secret}};
  // Meta refuses the token for the first sync (190 is final: no retries inside one sync).
  fake.control("POST", "/_fake/inject", R"({"path":"/message_templates","code":190,"times":1})");
  test::webhook_process svc(env_for(fake), {"--no-media", "--template-sync-interval-s", "1"});
  REQUIRE(svc.started());
  REQUIRE(eventually([&] { return template_requests(fake) >= 1; }));
  auto r = svc.post(test::webhook_fixture("messages/text.json"), secret);
  REQUIRE(r);
  CHECK(r->status == 200);
  // The next period's sync succeeds.
  REQUIRE(eventually([&] { return svc.count("SELECT count(*) FROM templates") == 5; }));
  auto log = svc.log();
  CHECK(count_of(log, "level=warn event=template_sync") == 1);
  CHECK(log.find("access token") != std::string::npos);
  CHECK(svc.count("SELECT count(*) FROM accounts WHERE templates_sync_error <> ''") == 0);
}

TEST_CASE("a status update for a template not stored yet syncs that account",
          "[webhook][templates]") {
  gt::temp_dir dir;
  gt::fake_graph_process fake{dir, {"--app-secret", secret}};
  test::webhook_process svc(env_for(fake), {"--no-media"});
  REQUIRE(svc.started());
  REQUIRE(eventually([&] { return svc.count("SELECT count(*) FROM templates") == 5; }));
  // Meta approves a template created after the start-up sync (and lists only that one now).
  fake.control("POST", "/_fake/templates",
               R"({"data":[)" +
                   template_json("brand_new_notice__", "APPROVED", "Our shop opens at {{1}}.") +
                   "]}");
  auto body = test::webhook_fixture("other_fields/message_template_status_update_approved.json");
  body.replace(body.find("order_confirmation"), 18, "brand_new_notice__");
  auto r = svc.post(body, secret);
  REQUIRE(r);
  CHECK(r->status == 200);
  // The sync brings its body (a status update alone carries none) and drops the ones Meta no
  // longer lists.
  CHECK(eventually([&] {
    return svc.count(
               "SELECT count(*) FROM templates WHERE name = 'brand_new_notice__' AND "
               "components_json LIKE '%Our shop opens%'") == 1;
  }));
  CHECK(eventually([&] { return svc.count("SELECT count(*) FROM templates") == 1; }));
}

TEST_CASE("pons-webhook templates sync says what changed per account, and errors in words",
          "[webhook][templates][cli]") {
  gt::temp_dir dir;
  gt::fake_graph_process fake{dir, {"--app-secret", secret}};
  test::temp_dir home;
  auto db = home.file("pons.db");
  auto env = env_for(fake);

  auto first = run_cli(home, {"templates", "sync", "--db", db}, env);
  CHECK(first.code == 0);
  CHECK(first.out == std::string("Account ") + waba +
                         ": 5 templates (4 approved): 5 added, 0 updated, 0 removed.\n");

  // Meta now lists one template changed and one new; the other four are gone.
  fake.control("POST", "/_fake/templates",
               R"({"data":[)" + template_json("hello_world", "PAUSED", "Welcome!") + "," +
                   template_json("fresh_offer", "APPROVED", "Hi {{1}}") + "]}");
  auto second = run_cli(home, {"templates", "sync", "--db", db, "--account", waba}, env);
  CHECK(second.code == 0);
  CHECK(second.out == std::string("Account ") + waba +
                          ": 2 templates (1 approved): 1 added, 1 updated, 4 removed.\n");

  fake.control("POST", "/_fake/inject", R"({"path":"/message_templates","code":190,"times":1})");
  auto refused = run_cli(home, {"templates", "sync", "--db", db}, env);
  CHECK(refused.code == 1);
  CHECK(refused.out.empty());
  CHECK(refused.err.find(std::string("Account ") + waba + ": not synced:") != std::string::npos);
  CHECK(refused.err.find("access token") != std::string::npos);
  CHECK(refused.err.find(fake.token()) == std::string::npos);

  auto unknown = run_cli(home, {"templates", "sync", "--db", db, "--account", "999"}, env);
  CHECK(unknown.code == 2);
  CHECK(unknown.err.find("999") != std::string::npos);
  CHECK(unknown.err.find(waba) != std::string::npos);  // names the accounts there are

  auto help = run_cli(home, {"templates", "sync", "--help"}, {});
  CHECK(help.code == 0);
  CHECK(help.out.find("usage: pons-webhook templates sync") != std::string::npos);
  CHECK(help.out.find("--account") != std::string::npos);

  auto no_token =
      run_cli(home, {"templates", "sync", "--db", db},
              {std::string("WA_WABA_ID=") + waba, std::string("WA_PHONE_NUMBER_ID=") + pnid});
  CHECK(no_token.code == 1);
  CHECK(no_token.err.find("WA_ACCESS_TOKEN") != std::string::npos);
}
