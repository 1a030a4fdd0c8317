#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <sstream>
#include <string>
#include <vector>

#include "pons/cli/forward_admin.hpp"
#include "pons/forward/delivery_repository.hpp"
#include "pons/forward/outbox.hpp"
#include "pons/forward/target_metrics.hpp"
#include "pons/forward/target_repository.hpp"
#include "pons/store/database.hpp"
#include "support/admin_cli.hpp"
#include "unit/store_test_util.hpp"

using namespace pons::forward;
using namespace pons::cli;
using pons::store::database;
using pons::store::test::temp_dir;
using pons::test::cli_result;

namespace {

cli_result run(database& db, std::vector<std::string_view> args) {
  std::ostringstream out, err;
  const int code = run_forward_command(args, db, out, err);
  return {code, out.str(), err.str()};
}

std::string stored_secret(database& db, std::int64_t id) {
  auto st = db.prepare("SELECT secret FROM webhook_targets WHERE id = ?1").value();
  st.bind(1, id);
  REQUIRE(st.step().value());
  return st.column_text(0);
}

}  // namespace

TEST_CASE("forward: CLI add prints the secret once: list and show never do", "[forward][cli]") {
  temp_dir dir;
  auto db = database::open(dir.file("pons.db")).value();

  auto added = run(db, {"targets", "add", "--url", "https://crm.example.com/hook", "--events",
                        "message.inbound.received, message.status.updated", "--description", "CRM",
                        "--max-attempts", "5", "--timeout-ms", "2500"});
  INFO(added.err);
  REQUIRE(added.code == 0);
  const auto secret = stored_secret(db, 1);
  CHECK(added.out.find(secret) != std::string::npos);
  CHECK(added.out.find("shown once") != std::string::npos);

  auto list = run(db, {"targets", "list"});
  REQUIRE(list.code == 0);
  CHECK(list.out.find("https://crm.example.com/hook") != std::string::npos);
  CHECK(list.out.find("LAST SUCCESS") != std::string::npos);
  CHECK(list.out.find("message.inbound.received,message.status.updated") != std::string::npos);
  CHECK(list.out.find(secret) == std::string::npos);

  auto show = run(db, {"targets", "show", "1"});
  REQUIRE(show.code == 0);
  CHECK(show.out.find("2500 ms") != std::string::npos);
  CHECK(show.out.find(secret) == std::string::npos);

  auto json_list = run(db, {"targets", "list", "--json"});
  REQUIRE(json_list.code == 0);
  auto a = boost::json::parse(json_list.out).as_array();
  REQUIRE(a.size() == 1);
  CHECK(a[0].at("id") == 1);
  CHECK(a[0].at("url") == "https://crm.example.com/hook");
  CHECK(a[0].at("maxAttempts") == 5);
  CHECK(a[0].at("timeoutMs") == 2500);
  CHECK(a[0].at("eventTypes").as_array().size() == 2);
  CHECK(a[0].at("consecutiveFailures") == 0);
  CHECK_FALSE(a[0].as_object().contains("secret"));
}

TEST_CASE("forward: CLI --json add and rotate-secret return the new secret", "[forward][cli]") {
  temp_dir dir;
  auto db = database::open(dir.file("pons.db")).value();
  auto added = run(db, {"targets", "add", "--json", "--url=http://localhost:3000/in"});
  REQUIRE(added.code == 0);
  auto o = boost::json::parse(added.out).as_object();
  const std::string first(o.at("secret").as_string());
  CHECK(first == stored_secret(db, 1));
  CHECK(o.at("target").at("url") == "http://localhost:3000/in");

  auto rotated = run(db, {"targets", "rotate-secret", "1", "--json"});
  REQUIRE(rotated.code == 0);
  const std::string second(boost::json::parse(rotated.out).at("secret").as_string());
  CHECK(second != first);
  CHECK(second == stored_secret(db, 1));
  CHECK(second.size() == 64);
}

TEST_CASE("forward: CLI refuses a non-loopback http URL with a clear error", "[forward][cli]") {
  temp_dir dir;
  auto db = database::open(dir.file("pons.db")).value();
  auto r = run(db, {"targets", "add", "--url", "http://crm.example.com/hook"});
  CHECK(r.code == 1);
  CHECK(r.err.find("https://") != std::string::npos);
  CHECK(r.err.find("localhost") != std::string::npos);
  CHECK(list_targets(db).value().empty());

  CHECK(run(db, {"targets", "add"}).code == 2);
  CHECK(run(db, {"targets", "add", "--url", "https://x.example/", "--bogus"}).code == 2);
  CHECK(run(db, {"targets", "frobnicate"}).code == 2);
  CHECK(run(db, {"targets", "show", "abc"}).code == 2);
  auto missing = run(db, {"targets", "show", "42"});
  CHECK(missing.code == 1);
  CHECK(missing.err.find("no such target") != std::string::npos);
  CHECK(
      run(db, {"targets", "add", "--url", "https://x.example/", "--events", "message.nope"}).code ==
      1);
}

TEST_CASE("forward: CLI update, remove and deliveries list/show/retry", "[forward][cli]") {
  temp_dir dir;
  auto db = database::open(dir.file("pons.db")).value();
  REQUIRE(run(db, {"targets", "add", "--url", "https://a.example/", "--max-attempts", "1"}).code ==
          0);
  auto upd =
      run(db, {"targets", "update", "1", "--disable", "--phone-number-id", "pn-7", "--json"});
  REQUIRE(upd.code == 0);
  auto t = boost::json::parse(upd.out).as_object();
  CHECK(t.at("enabled") == false);
  CHECK(t.at("phoneNumberId") == "pn-7");
  REQUIRE(run(db, {"targets", "update", "1", "--enable", "--phone-number-id", ""}).code == 0);
  CHECK(get_target(db, 1)->enabled);
  CHECK(get_target(db, 1)->phone_number_id.empty());
  CHECK(run(db, {"targets", "update", "1", "--url", "http://example.org/"}).code == 1);

  const auto now = std::chrono::system_clock::now();
  REQUIRE(enqueue_event(db, "message.status.updated", "waba", "pn", R"({"s":1})", now).has_value());
  auto jobs = claim_due(db, now + std::chrono::seconds(1), {}).value();
  REQUIRE(jobs.size() == 1);
  attempt_outcome failed{503, "HTTP 503", now, std::chrono::milliseconds(7)};
  REQUIRE(record_attempt(db, jobs[0], failed, now, std::chrono::seconds(5)).has_value());

  auto list = run(db, {"deliveries", "list", "--state", "dead", "--json"});
  REQUIRE(list.code == 0);
  auto rows = boost::json::parse(list.out).as_array();
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].at("state") == "dead");
  CHECK(rows[0].at("lastStatusCode") == 503);
  CHECK(run(db, {"deliveries", "list", "--state", "bogus"}).code == 2);
  auto table = run(db, {"deliveries", "list"});
  CHECK(table.out.find("HTTP 503") != std::string::npos);

  auto show = run(db, {"deliveries", "show", "1", "--json"});
  REQUIRE(show.code == 0);
  auto d = boost::json::parse(show.out).as_object();
  CHECK(d.at("body").at("payload").at("s") == 1);
  REQUIRE(d.at("attemptLog").as_array().size() == 1);
  CHECK(d.at("attemptLog").at(0).at("statusCode") == 503);
  CHECK(d.at("attemptLog").at(0).at("durationMs") == 7);

  auto metrics = render_target_metrics(db).value();
  CHECK(metrics.find("pons_forward_target_consecutive_failures{target=\"1\"} 1") !=
        std::string::npos);
  CHECK(metrics.find("pons_forward_target_dead{target=\"1\"} 1") != std::string::npos);
  CHECK(metrics.find("# TYPE pons_forward_target_queued gauge") != std::string::npos);

  auto retry = run(db, {"deliveries", "retry", "--dead"});
  REQUIRE(retry.code == 0);
  CHECK(retry.out == "1 dead delivery will be sent again now.\n");
  CHECK(get_delivery(db, 1)->delivery.state == "pending");
  CHECK(run(db, {"deliveries", "retry", "--dead"}).out == "No dead deliveries to retry.\n");
  CHECK(run(db, {"deliveries", "retry", "99"}).code == 1);

  auto removed = run(db, {"targets", "remove", "1"});
  REQUIRE(removed.code == 0);
  CHECK(list_targets(db).value().empty());
  CHECK(list_deliveries(db, {}).value().empty());
  CHECK(render_target_metrics(db).value().empty());
}
